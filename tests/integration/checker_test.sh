#!/usr/bin/env bash
# The checker, end to end: real MPTCP and TCP clients in the client
# namespace talk to the daemon in the server namespace, and every answer is
# checked against what the connection really is.
source "$(dirname "$0")/lib/prelude.sh"
: "${PROBE_BIN:?path to mptcp_http_probe}"

topo_up
topo_cgroup_up || exit 1
LOG=$(mktemp); trap 'topo_down; rm -f "$LOG"' EXIT
# The daemon traces only the test's cgroup, which it runs in: its counts of
# its own accepted connections are this test's alone, whatever else runs.
in_cgroup "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --metrics-listen "$SRV4:9684" --cgroup "$TOPO_CGROUP" 2>"$LOG" &
DAEMON=$!
TOPO_PIDS+=("$DAEMON")
wait_for_http "http://$SRV4:8684/healthz" || { cat "$LOG"; exit 1; }

URL4="http://$SRV4:8684"
URL6="http://[$SRV6]:8684"
header() { grep -i "^$1:" <<<"$2" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

echo "# start-up log"
assert_match 'info  checker: listening on \[::\]:8684 \(MPTCP\)' "$(cat "$LOG")" "one log line for the MPTCP listener"

echo "# --metrics-listen: Prometheus' home on plain TCP, where a scrape is no MPTCP fallback"
assert_match 'info  metrics: listening on 10.0.3.2:9684 \(plain TCP' "$(cat "$LOG")" "one log line for the metrics listener"
inbound_fallbacks() {
  in_client curl -s "http://$SRV4:9684/metrics" | awk '$1 == "mptcp_connections_fallback_total{direction=\"inbound\"}" {print $2}'
}
# settled_fallbacks: the count once it has not moved for a second and a
# half (bounded): wait_for_http's own plain connection is an inbound
# fallback whose event may still be on its way on a loaded machine.
settled_fallbacks() {
  local last now stable=0
  last=$(inbound_fallbacks)
  for _ in $(seq 40); do
    sleep 0.5
    now=$(inbound_fallbacks)
    if [[ "$now" == "$last" ]]; then ((++stable >= 3)) && break; else stable=0; fi
    last=$now
  done
  echo "$last"
}
FB0=$(settled_fallbacks)
for _ in 1 2 3; do in_client curl -s -o /dev/null "http://$SRV4:9684/metrics"; done
assert_eq "$FB0" "$(settled_fallbacks)" "three scrapes of the metrics listener: no inbound fallback"
in_client curl -s -o /dev/null "http://$SRV4:8684/metrics"
assert_eq "$((FB0 + 1))" "$(wait_for_value "$((FB0 + 1))" inbound_fallbacks)" "a scrape of the checker's MPTCP port is one"
assert_eq '["address","tls","transport"]' "$(in_client curl -s "http://$SRV4:9684/healthz" | jq -c '.listeners[0] | keys')" "its /healthz is the public one"
assert_eq 405 "$(in_client curl -s -o /dev/null -w '%{http_code}' -X POST "http://$SRV4:9684/metrics")" "and it is hardened like the checker"

echo "# plain curl over IPv4: not MPTCP, with the seed's headers"
HDRS=$(in_client curl -s -D - -o /tmp/body.$$ "$URL4/"); BODY=$(cat /tmp/body.$$)
assert_eq "You are not using MPTCP." "$(head -1 <<<"$BODY")" "plain curl first line"
assert_eq "false" "$(header X-MPTCP "$HDRS")" "X-MPTCP false for plain TCP"
assert_match "^$CLI4_A:[0-9]+$" "$(header X-Client-Address "$HDRS")" "X-Client-Address is the client's ip:port"
assert_match '^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "$(header X-Timestamp "$HDRS")" "X-Timestamp is RFC 3339"
assert_match '^mptcp-observer/' "$(header Server "$HDRS")" "Server header"
assert_contains "Subflows: 0" "$BODY" "plain TCP has no subflows"

echo "# mptcpize curl over IPv4 and IPv6: MPTCP"
HDRS=$(in_client mptcpize run curl -s -D - -o /tmp/body.$$ "$URL4/"); BODY=$(cat /tmp/body.$$)
assert_eq "You are using MPTCP." "$(head -1 <<<"$BODY")" "mptcpize curl first line (IPv4)"
assert_eq "true" "$(header X-MPTCP "$HDRS")" "X-MPTCP true"
assert_match "Client: $CLI4_A:[0-9]+" "$BODY" "text names the client address"
assert_match "initial client $CLI4_A:[0-9]+ <-> server $SRV4:8684(, handshake [0-9.]+ ms)?, rtt [0-9.]+ ms" "$BODY" "text line for the initial subflow"
BODY=$(in_client mptcpize run curl -s "$URL6/")
assert_eq "You are using MPTCP." "$(head -1 <<<"$BODY")" "mptcpize curl first line (IPv6)"
assert_match "Client: \[$CLI6_A\]:[0-9]+" "$BODY" "IPv6 client in brackets"

echo "# JSON by Accept header and by ?format=json"
JSON=$(in_client mptcpize run curl -s -H 'Accept: application/json' "$URL4/")
assert_eq "true" "$(jq -r .mptcp <<<"$JSON")" "JSON mptcp true"
assert_match "^$CLI4_A:[0-9]+$" "$(jq -r .client <<<"$JSON")" "JSON client"
assert_eq "initial" "$(jq -r '.subflows[0].kind' <<<"$JSON")" "JSON first subflow is initial"
assert_match '^[0-9]+$' "$(jq -r '.subflows[0].rtt_us' <<<"$JSON")" "JSON subflow has rtt_us"
assert_match '^[0-9]+$' "$(jq -r '.subflows[0].bytes_received' <<<"$JSON")" "JSON subflow has bytes_received"
JSON=$(in_client curl -s "$URL4/?format=json")
assert_eq "false" "$(jq -r .mptcp <<<"$JSON")" "?format=json for plain TCP says false"
assert_eq "0" "$(jq -r '.subflows | length' <<<"$JSON")" "plain TCP JSON has no subflows"

echo "# one writer: a format chosen by ?format= or by Accept gets the same head"
# The client's port, the time and the body's length (it names the port, and
# the subflow's counters) differ between two requests; nothing else may.
heads() {
  in_client mptcpize run curl -s -D - -o /dev/null "$@" |
    sed -E 's/^(X-Client-Address: [^:]+|X-Timestamp: |Content-Length: ).*/\1/' | tr -d '\r'
}
assert_eq "$(heads "$URL4/?format=text")" "$(heads "$URL4/")" "text: the same head both ways"
assert_eq "$(heads "$URL4/?format=json")" "$(heads -H 'Accept: application/json' "$URL4/")" "JSON: the same head both ways"
assert_eq "$(heads "$URL4/?format=html")" "$(heads -H 'Accept: text/html' "$URL4/")" "HTML: the same head both ways"
assert_eq "$(heads -I "$URL4/?format=text")" "$(heads -I "$URL4/")" "HEAD: the same head both ways"
assert_eq "$(heads -H 'Connection: close' "$URL4/?format=text")" "$(heads -H 'Connection: close' "$URL4/")" "Connection: close: the same head both ways"
HDRS=$(heads "$URL4/")
for h in 'Server: mptcp-observer/' 'Cache-Control: no-store' 'Content-Type: text/plain; charset=utf-8' 'Vary: Accept' 'X-MPTCP: true'; do
  assert_contains "$h" "$HDRS" "the verdict sends $h"
done
assert_contains "Accept-Ranges: bytes" "$(heads -I "$URL4/download?size=1K")" "a HEAD of /download says it serves ranges"
assert_contains "Connection: close" "$(heads -H 'Connection: close' "$URL4/")" "Connection: close is answered in kind"
RAW=$(in_client timeout 5 bash -c "exec 3<>/dev/tcp/$SRV4/8684; printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nAccept: application/json\r\nConnection: close\r\n\r\n' >&3; cat <&3")
assert_eq 3 "$(grep -c '^HTTP/1.1 200' <<<"$RAW")" "three pipelined quick requests get three answers"
assert_eq 1 "$(grep -c '^You are not using MPTCP.' <<<"$RAW")" "the HEAD among them has no body, the GET has"
assert_contains '"mptcp": false' "$RAW" "the last one is JSON"

echo "# an MPTCP client sends data, then asks with ?wait: the join from the second path shows"
for v in 4 6; do
  if [[ $v == 4 ]]; then host=$SRV4; second=$CLI4_B; first=$CLI4_A; else host=$SRV6; second="\\[$CLI6_B\\]"; first="\\[$CLI6_A\\]"; fi
  JSON=$(in_client "$PROBE_BIN" "$host" 8684 /download?size=256K "/?format=json&wait=3s")
  assert_eq "true" "$(jq -r .mptcp <<<"$JSON")" "IPv$v probe: mptcp"
  assert_eq "2" "$(jq -r '.subflows | length' <<<"$JSON")" "IPv$v probe: two subflows"
  assert_match "^$first:[0-9]+$" "$(jq -r '.subflows[] | select(.kind=="initial") | .remote' <<<"$JSON")" "IPv$v probe: initial subflow from the first path"
  assert_match "^$second:[0-9]+$" "$(jq -r '.subflows[] | select(.kind=="join") | .remote' <<<"$JSON")" "IPv$v probe: join from the second path"
  assert_match '^[0-9]+$' "$(jq -r '.subflows[] | select(.kind=="join") | .handshake_us' <<<"$JSON")" "IPv$v probe: the join's handshake time (from BPF)"
done

echo "# ?wait on a fresh connection: the answer comes once the join is there"
BODY=$(in_client mptcpize run curl -s "$URL4/?wait=5s")
assert_contains "Subflows: 2" "$BODY" "wait=5s sees the joined subflow"
assert_match "join +client $CLI4_B:[0-9]+" "$BODY" "text marks the join"

echo "# the checker's own connection joins the connection table (source getsockopt)"
in_client mptcpize run bash -c "exec 3<>/dev/tcp/$SRV4/8684; printf 'GET / HTTP/1.1\r\nHost: a\r\n\r\n' >&3; sleep 3" &
HOLD=$!
from_getsockopt() {
  in_server curl -s "http://127.0.0.1:8685/api/v1/connections?netns=$(netns_inode "$SRV")" |
    jq -r '[.connections[] | select(.sources | index("getsockopt"))] | length'
}
assert_eq 1 "$(wait_for_value 1 from_getsockopt)" "the open checker connection lists getsockopt among its sources"
wait $HOLD 2>/dev/null

echo "# HTML for browsers"
HTML=$(in_client mptcpize run curl -s -H 'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' "$URL4/")
assert_contains '<h1 class="yes" id="verdict">You are using MPTCP.</h1>' "$HTML" "HTML verdict"
assert_contains '<table id="subflows">' "$HTML" "HTML subflow table"
assert_not_contains '<script' "$HTML" "HTML has no scripts"
assert_not_contains 'src="http' "$HTML" "HTML loads nothing from elsewhere"

echo "# download streams the size asked for over MPTCP"
OUT=$(in_client mptcpize run curl -s -D /tmp/hdr.$$ -o /dev/null -w '%{size_download} %{http_code}' "$URL4/download?size=10M")
assert_eq "10485760 200" "$OUT" "download of 10M"
assert_eq "true" "$(header X-MPTCP "$(cat /tmp/hdr.$$)")" "download carries X-MPTCP"
assert_eq "10485760" "$(header Content-Length "$(cat /tmp/hdr.$$)")" "download has a Content-Length"

echo "# bad input gets a clear answer"
code_and_body() { in_client curl -s -w '\n%{http_code}' "$@"; }
OUT=$(code_and_body "$URL4/?wait=abc"); assert_eq "400" "$(tail -1 <<<"$OUT")" "wait=abc is 400"
assert_eq 1 "$(head -n -1 <<<"$OUT" | grep -c .)" "the 400 reason is one line"
assert_contains "wait" "$OUT" "the 400 reason names the parameter"
OUT=$(code_and_body "$URL4/?wait=11s"); assert_eq "400" "$(tail -1 <<<"$OUT")" "wait over 10s is 400"
OUT=$(code_and_body "$URL4/?format=a%0Ab%0D%0Ac"); assert_eq "400" "$(tail -1 <<<"$OUT")" "format with newlines is 400"
assert_eq 1 "$(head -n -1 <<<"$OUT" | grep -c .)" "and its reason is still one line"
OUT=$(code_and_body "$URL4/?format=xml"); assert_eq "400" "$(tail -1 <<<"$OUT")" "format=xml is 400"
OUT=$(code_and_body "$URL4/download?size=2G"); assert_eq "400" "$(tail -1 <<<"$OUT")" "size over 1G is 400"
OUT=$(code_and_body "$URL4/nope"); assert_eq "404" "$(tail -1 <<<"$OUT")" "unknown path is 404"
OUT=$(code_and_body -X POST "$URL4/"); assert_eq "405" "$(tail -1 <<<"$OUT")" "POST is 405"
OUT=$(code_and_body -X DELETE "$URL4/download"); assert_eq "405" "$(tail -1 <<<"$OUT")" "DELETE is 405"
RAW=$(in_client timeout 5 bash -c "exec 3<>/dev/tcp/$SRV4/8684; printf 'NONSENSE\r\n\r\n' >&3; cat <&3")
assert_match '^HTTP/1.1 400' "$RAW" "a malformed request line gets 400"
RAW=$(in_client timeout 5 bash -c "exec 3<>/dev/tcp/$SRV4/8684; printf 'GET / HTTP/1.1\r\nX-Big: ' >&3; head -c 200000 /dev/zero | tr '\0' a >&3 2>/dev/null; cat <&3" 2>/dev/null)
assert_not_contains "200 OK" "$RAW" "a 200 KB header is not served"
assert_match '^HTTP/1.1 431' "$RAW" "a 200 KB header gets 431"
RAW=$(in_client timeout 5 bash -c "exec 3<>/dev/tcp/$SRV4/8684; printf 'POST /nope HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel' >&3; timeout 3 cat <&3")
assert_match '^HTTP/1.1 4[0-9][0-9]' "$RAW" "a chunked body no route takes is answered at once, without waiting for it"
assert_contains "Connection: close" "$RAW" "and that connection is closed, as its answer says"
RAW=$(in_client timeout 5 bash -c "exec 3<>/dev/tcp/$SRV4/8684; printf 'GET / HTTP/1.1\r\nContent-Length: x\r\n\r\n' >&3; cat <&3")
assert_match '^HTTP/1.1 400' "$RAW" "an unreadable Content-Length gets 400"
OUT=$(in_client curl -s --max-time 3 -o /dev/null -w '%{http_code} %{size_download}' "$URL4/download?size=0")
assert_eq "200 0" "$OUT" "download of 0 bytes"
OUT=$(in_client curl -s --max-time 3 -o /dev/null -w '%{http_code} %{size_download}' -H 'Range: bytes=0-99999999999' "$URL4/download?size=1K")
assert_eq "206 1024" "$OUT" "a Range cannot lift the download size limit"
OUT=$(in_client curl -s --max-time 3 -o /dev/null -w '%{http_code}' -H 'Range: bytes=0-1,5-9' "$URL4/download?size=1K")
assert_eq "416" "$OUT" "several ranges are refused"
OUT=$(in_client mptcpize run curl -s -D - -o /dev/null "$URL4/?wait=100ms")
assert_eq 1 "$(grep -ci '^X-MPTCP:' <<<"$OUT")" "after a wait, X-MPTCP is sent once"
RAW=$(in_client timeout 5 bash -c "exec 3<>/dev/tcp/$SRV4/8684; printf 'GET /?format=json HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >&3; cat <&3")
assert_eq 2 "$(grep -c '^HTTP/1.1 200' <<<"$RAW")" "two pipelined requests get two answers"
assert_contains '"status": "serving"' "$RAW" "the second pipelined answer is the second request's"

echo "# idle keep-alive connections do not hold up other clients"
in_client bash -c "for i in 1 2 3 4 5 6; do exec {fd}<>/dev/tcp/$SRV4/8684; done; sleep 8" &
IDLE=$!
sleep 0.5
OUT=$(in_client curl -s --max-time 3 -o /dev/null -w '%{http_code}' "$URL4/")
assert_eq "200" "$OUT" "a request is served while 6 idle connections are open (2 workers)"
kill $IDLE 2>/dev/null; wait $IDLE 2>/dev/null

echo "# slow clients hold only their own connection"
# More clients than workers (2) trickle a request a byte at a time, and as
# many hold a ?wait; a plain request is still answered at once.
in_client bash -c "for i in 1 2 3 4 5 6; do (exec 3<>/dev/tcp/$SRV4/8684; for b in G E T ' ' /; do printf %s \"\$b\" >&3; sleep 1; done) & done; wait" &
TRICKLE=$!
for i in 1 2; do in_client mptcpize run curl -s -o /dev/null "$URL4/?wait=4s" & done
sleep 0.5
OUT=$(in_client curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$URL4/")
assert_eq "200" "$OUT" "a request is served while 6 clients trickle and 2 wait (2 workers)"
OUT=$(in_client curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$URL4/healthz")
assert_eq "200" "$OUT" "healthz too"
wait $TRICKLE 2>/dev/null

echo "# a path that strips the MPTCP option: the server sees plain TCP"
in_router iptables -t mangle -A FORWARD -p tcp --dport 8684 -j TCPOPTSTRIP --strip-options 30
BODY=$(in_client mptcpize run curl -s "$URL4/")
assert_eq "You are not using MPTCP." "$(head -1 <<<"$BODY")" "stripped MPTCP option reported as not MPTCP"
in_router iptables -t mangle -F FORWARD

echo "# --max-connections: a connection past the limit is refused, and counted in /metrics"
LIMITED_LOG=$(mktemp)
start_in "$SRV" "$OBSERVER_BIN" --no-bpf --listen '[::]:8690' --admin-listen 127.0.0.1:8695 --max-connections 2 2>"$LIMITED_LOG"
LIMITED=$LAST_PID
wait_for_http "http://$SRV4:8690/healthz" || { cat "$LIMITED_LOG"; exit 1; }
limited_metric() { in_server curl -s http://127.0.0.1:8695/metrics | awk -v s="$1" '$1 == s {print $2 + 0}'; }
open_now() { limited_metric 'mptcp_observer_http_connections_open{server="checker"}'; }
in_client bash -c "exec 3<>/dev/tcp/$SRV4/8690 4<>/dev/tcp/$SRV4/8690; sleep 6" &
HOLD=$!
assert_eq 2 "$(wait_for_value 2 open_now)" "two idle connections are open (the limit)"
OUT=$(in_client curl -s --max-time 2 -o /dev/null -w '%{http_code}' "http://$SRV4:8690/")
assert_eq "000" "$OUT" "a third is refused (reset, no answer)"
assert_eq 1 "$(limited_metric 'mptcp_observer_http_connections_total{server="checker",outcome="refused"}')" "the refusal is counted"
kill $HOLD 2>/dev/null; wait $HOLD 2>/dev/null
assert_eq 0 "$(wait_for_value 0 open_now)" "the connections close, and the gauge follows"
kill "$LIMITED"; wait "$LIMITED" 2>/dev/null
assert_eq "" "$(grep -E ' (error|warn) ' "$LIMITED_LOG")" "no warnings or errors in that daemon's log"
rm -f "$LIMITED_LOG"

echo "# clients that ask to close: each connection ends with its answer, none lingers into the per-client cap"
BURST_LOG=$(mktemp)
start_in "$SRV" "$OBSERVER_BIN" --no-bpf --listen '[::]:8691' --admin-listen 127.0.0.1:8696 \
  --max-connections-per-client 32 2>"$BURST_LOG"
BURST=$LAST_PID
wait_for_http "http://$SRV4:8691/healthz" || { cat "$BURST_LOG"; exit 1; }
# 16 clients at once, one MPTCP connection a request, each closed once its
# answer is read: a server waiting for every client's DATA_FIN held one
# close in ten for its drain's quiet second, and refused thousands.
read -r FAILED DONE < <(in_client python3 "$(dirname "$0")/../tools/close_burst.py" "$SRV4" 8691 3 16)
((DONE > 1000)) && pass "a burst of $DONE requests was made" || fail "only $DONE requests in the burst"
assert_eq 0 "$FAILED" "no request of the burst failed"
burst_metric() { in_server curl -s http://127.0.0.1:8696/metrics | awk -v s="$1" '$1 == s {print $2 + 0}'; }
assert_eq 0 "$(burst_metric 'mptcp_observer_http_connections_total{server="checker",outcome="refused_client"}')" \
  "no connection was refused for the per-client cap"
kill "$BURST"; wait "$BURST" 2>/dev/null
rm -f "$BURST_LOG"

echo "# the daemon is still serving after all of the above"
assert_eq "200" "$(in_client curl -s -o /dev/null -w '%{http_code}' "$URL4/healthz")" "healthz still 200"
kill -0 "$DAEMON" 2>/dev/null && pass "daemon process alive" || fail "daemon died"
assert_eq "" "$(grep -E ' (error|warn) ' "$LOG")" "no warnings or errors in the log"

rm -f /tmp/body.$$ /tmp/hdr.$$
finish
