#!/usr/bin/env bash
# HTTPS on the checker: TLS ends in the daemon, on the client's own MPTCP
# connection, so an MPTCP client over TLS is told it uses MPTCP with both
# of its subflows, exactly as over plain HTTP. Then what TLS adds: start-up
# errors for a bad certificate, SIGHUP reloads (and a broken file that does
# not replace the certificate in use), handshakes that fail or never end.
source "$(dirname "$0")/lib/prelude.sh"
command -v openssl >/dev/null || { echo "FATAL: openssl is needed (scripts/install-deps)" >&2; exit 1; }

topo_up
TMP=$(mktemp -d)
LOG=$TMP/daemon.log
trap 'topo_down; rm -rf "$TMP"' EXIT

# A throwaway CA, and server certificates it signs for both server addresses.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
  -subj "/CN=mptcp-observer test CA" -keyout "$TMP/ca.key" -out "$TMP/ca.pem" 2>/dev/null
printf 'subjectAltName=IP:%s,IP:%s\n' "$SRV4" "$SRV6" >"$TMP/san.cnf"
server_certificate() {  # serial name: $TMP/name.pem and $TMP/name.key
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=mptcp-observer test server" -keyout "$TMP/$2.key" -out "$TMP/$2.csr" 2>/dev/null
  openssl x509 -req -in "$TMP/$2.csr" -CA "$TMP/ca.pem" -CAkey "$TMP/ca.key" -set_serial "$1" -days 1 \
    -extfile "$TMP/san.cnf" -out "$TMP/$2.pem" 2>/dev/null
}
server_certificate 0x1001 first
server_certificate 0x2002 second
cp "$TMP/first.pem" "$TMP/server.pem"; cp "$TMP/first.key" "$TMP/server.key"

echo "# a certificate that cannot be used stops start-up with one line naming the file"
for bad in "--tls-cert $TMP/missing.pem --tls-key $TMP/server.key|$TMP/missing.pem: cannot read it: No such file or directory" \
           "--tls-cert $TMP/server.pem --tls-key $TMP/second.key|$TMP/second.key: this key does not match the certificate in $TMP/server.pem"; do
  # shellcheck disable=SC2086
  in_server timeout 10 "$OBSERVER_BIN" --no-bpf --listen-tls '[::]:8443' ${bad%%|*} --admin-listen '' 2>"$TMP/bad.err"
  rc=$?
  assert_match '^[1-9]' "$rc" "the daemon exits non-zero ($rc)"
  assert_eq 1 "$(wc -l <"$TMP/bad.err")" "stderr is one line"
  assert_contains "${bad#*|}" "$(cat "$TMP/bad.err")" "and it says which file and why"
done

echo "# the daemon: plain HTTP on 8684 and HTTPS on 8443, side by side"
start_in "$SRV" "$OBSERVER_BIN" --no-bpf --listen '[::]:8684' --listen-tls '[::]:8443' \
  --tls-cert "$TMP/server.pem" --tls-key "$TMP/server.key" 2>"$LOG"
DAEMON=$LAST_PID
wait_for_http "http://$SRV4:8684/healthz" || { cat "$LOG"; exit 1; }
assert_contains "checker: listening on [::]:8443 (MPTCP, HTTPS)" "$(cat "$LOG")" "one log line for the HTTPS listener"
assert_contains "tls: loaded $TMP/server.pem: subject CN=mptcp-observer test server, serial 1001" "$(cat "$LOG")" \
  "one log line names the certificate"
assert_eq "false true" "$(in_client curl -s "http://$SRV4:8684/healthz" | jq -r '[.listeners[].tls] | join(" ")')" \
  "healthz says which listener is HTTPS"

# A client that connects and never starts its handshake: it runs alongside
# the rest and is looked at the end.
in_client bash -c "exec 3<>/dev/tcp/$SRV4/8443; s=\$(date +%s%N); timeout 20 cat <&3 >/dev/null; echo \$(( (\$(date +%s%N) - s) / 1000000 ))" \
  >"$TMP/silent.ms" 2>/dev/null &
SILENT=$!

HTTPS4="https://$SRV4:8443"
HTTPS6="https://[$SRV6]:8443"
CA=(--cacert "$TMP/ca.pem")
header() { grep -i "^$1:" <<<"$2" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

echo "# an MPTCP client over TLS uses MPTCP, with both subflows; a plain one does not"
BODY=$(in_client mptcpize run curl -s "${CA[@]}" "$HTTPS4/?wait=2s")
assert_eq "You are using MPTCP." "$(head -1 <<<"$BODY")" "mptcpize curl over TLS (IPv4)"
assert_contains "Subflows: 2" "$BODY" "both subflows carry the TLS session"
assert_match "join +client $CLI4_B:[0-9]+ <-> server $SRV4:8443" "$BODY" "the join from the second path"
BODY=$(in_client mptcpize run curl -s "${CA[@]}" "$HTTPS6/")
assert_eq "You are using MPTCP." "$(head -1 <<<"$BODY")" "mptcpize curl over TLS (IPv6)"
BODY=$(in_client curl -s "${CA[@]}" "$HTTPS4/")
assert_eq "You are not using MPTCP." "$(head -1 <<<"$BODY")" "plain curl over TLS"
assert_contains "Subflows: 0" "$BODY" "plain TCP has no subflows"

echo "# JSON and the X-MPTCP header as over plain HTTP"
HDRS=$(in_client mptcpize run curl -s "${CA[@]}" -D - -o "$TMP/body" -H 'Accept: application/json' "$HTTPS4/")
assert_eq "true" "$(header X-MPTCP "$HDRS")" "X-MPTCP true over TLS"
assert_match "^$CLI4_A:[0-9]+$" "$(header X-Client-Address "$HDRS")" "X-Client-Address over TLS"
assert_eq "true mptcp initial" "$(jq -r '"\(.mptcp) \(.verdict) \(.subflows[0].kind)"' "$TMP/body")" "JSON over TLS"
assert_eq "$SRV4:8443" "$(jq -r .server "$TMP/body")" "JSON names the HTTPS address"
HDRS=$(in_client curl -s "${CA[@]}" -D - -o /dev/null "$HTTPS4/")
assert_eq "false" "$(header X-MPTCP "$HDRS")" "X-MPTCP false for plain TCP over TLS"
heads() {  # the head of an answer, less what differs between two requests
  in_client mptcpize run curl -s "${CA[@]}" -D - -o /dev/null "$@" |
    sed -E 's/^(X-Client-Address: [^:]+|X-Timestamp: |Content-Length: ).*/\1/' | tr -d '\r'
}
for q in "/" "/?format=json" "/?format=html" "/download?size=1K"; do
  assert_eq "$(heads "http://$SRV4:8684$q")" "$(heads "$HTTPS4$q")" "the same head over TLS as over HTTP for $q"
done
assert_eq "1.1" "$(in_client curl -s "${CA[@]}" --http2 -o /dev/null -w '%{http_version}' "$HTTPS4/")" \
  "a client that offers h2 gets HTTP/1.1 (ALPN)"

echo "# a download over TLS arrives whole"
OUT=$(in_client mptcpize run curl -s "${CA[@]}" -o "$TMP/tls.bin" -w '%{size_download} %{http_code}' "$HTTPS4/download?size=10M")
assert_eq "10485760 200" "$OUT" "10M over TLS"
in_client mptcpize run curl -s -o "$TMP/plain.bin" "http://$SRV4:8684/download?size=10M"
cmp -s "$TMP/tls.bin" "$TMP/plain.bin" && pass "the bytes are those of the plain download" || fail "the TLS download differs"
RAW=$(in_client timeout 5 openssl s_client -quiet -connect "$SRV4:8443" -CAfile "$TMP/ca.pem" 2>/dev/null \
  < <(printf 'GET /?format=json HTTP/1.1\r\nHost: a\r\n\r\nHEAD / HTTP/1.1\r\nHost: a\r\n\r\nGET /healthz HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'; sleep 3))
assert_eq 3 "$(grep -c '^HTTP/1.1 200' <<<"$RAW")" "three pipelined requests over TLS get three answers"
assert_contains '"status": "serving"' "$RAW" "the last of them is the last request's"

echo "# handshakes that fail are refused and counted"
in_client curl -s -o /dev/null "$HTTPS4/"  # does not trust the certificate
assert_eq 60 "$?" "a client without the CA refuses the certificate"
in_client curl -s -o /dev/null "http://$SRV4:8443/"
assert_eq 52 "$?" "plain HTTP to the HTTPS port gets no answer"
in_client curl -s "${CA[@]}" --tls-max 1.1 -o /dev/null "$HTTPS4/"
assert_eq 35 "$?" "TLS 1.1 is refused"
metric() { in_server curl -s http://127.0.0.1:8685/metrics | awk -v s="$1" '$1 == s {print $2 + 0}'; }
failed() { metric 'mptcp_observer_http_connections_total{server="checker",outcome="tls_handshake_failed"}'; }
assert_eq 3 "$(wait_for_value 3 failed)" "the three failed handshakes are counted"

echo "# SIGHUP: new connections get a new certificate; a broken one is not used"
serial() { in_client timeout 5 openssl s_client -connect "$SRV4:8443" -CAfile "$TMP/ca.pem" </dev/null 2>/dev/null | openssl x509 -noout -serial; }
assert_eq "serial=1001" "$(serial)" "the first certificate"
cp "$TMP/second.pem" "$TMP/server.pem"; cp "$TMP/second.key" "$TMP/server.key"
kill -HUP "$DAEMON"
reloaded() { grep -c 'tls: reloaded' "$LOG"; }
assert_eq 1 "$(wait_for_value 1 reloaded)" "one log line for the reload"
assert_contains "tls: reloaded $TMP/server.pem for new connections: subject CN=mptcp-observer test server, serial 2002" \
  "$(cat "$LOG")" "it names the new certificate"
assert_eq "serial=2002" "$(serial)" "a new connection gets the new certificate"
LINES=$(wc -l <"$LOG")
echo "not a certificate" >"$TMP/server.pem"
kill -HUP "$DAEMON"
failed_reload() { grep -c 'reload failed' "$LOG"; }
assert_eq 1 "$(wait_for_value 1 failed_reload)" "a broken file is logged"
assert_eq $((LINES + 1)) "$(wc -l <"$LOG")" "in one line"
assert_contains "error tls: reload failed, new connections keep the certificate in use: --tls-cert $TMP/server.pem: no PEM certificate in it" \
  "$(tail -1 "$LOG")" "which names the file and why"
assert_eq "serial=2002" "$(serial)" "and the certificate in use stays"
assert_eq "You are using MPTCP." "$(in_client mptcpize run curl -s "${CA[@]}" "$HTTPS4/" | head -1)" "HTTPS still serves"

echo "# a client that never completes its handshake is closed after the I/O timeout (10 s), and counted"
wait "$SILENT"
MS=$(cat "$TMP/silent.ms")
assert_match '^(9[0-9]{3}|1[0-2][0-9]{3})$' "$MS" "closed after ${MS} ms"
assert_eq 1 "$(metric 'mptcp_observer_http_connections_total{server="checker",outcome="timed_out"}')" "counted as timed_out"

echo "# the daemon is still serving, and its log holds no other warning or error"
kill -0 "$DAEMON" 2>/dev/null && pass "daemon process alive" || fail "daemon died"
assert_eq 1 "$(grep -cE ' (error|warn) ' "$LOG")" "the broken reload is the only error in the log"
finish
