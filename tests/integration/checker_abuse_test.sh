#!/usr/bin/env bash
# The checker under abuse (issue 16): every attack the issue lists, against a
# daemon alone in a network namespace of its own (its loopback is private,
# so the fixed ports and the 127.0.0.x source addresses are ours).
#
# tests/tools/http_abuse.py runs each attack and reports what it saw as one
# line of JSON: the answers, the daemon's memory (VmRSS sampled, VmHWM), a
# fresh `GET /` probed every second during the attack, the counters of
# /metrics, and how long the open-connection gauge took to come back. This
# file holds the expectations, from the specification of the checker's HTTP
# pipeline, and prints one PASS or FAIL line per attack with its figures.
#
# Bounds: the daemon's resident memory may rise at most RSS_BOUND_MIB above
# its idle figure (after start-up and a few answers) during an attack, and
# must be back within RSS_NEAR_MIB of its figure before the attack once the
# attack's connections are gone (malloc keeps some of what was freed); the
# driver kills the daemon beyond 1 GiB (it is then started again for the
# next attack, whose line says so).
source "$(dirname "$0")/lib/prelude.sh"
DRIVER=${ABUSE_DRIVER:-$(cd "$HERE/../tools" && pwd)/http_abuse.py}
command -v python3 >/dev/null || { echo "FATAL: python3 is not installed (scripts/install-deps installs it)" >&2; exit 1; }
topo_require_root

RSS_BOUND_MIB=64
RSS_NEAR_MIB=32
PORT=8684
ADMIN=8685

NS="${TOPO_ID}-abuse"
TOPO_EXTRA_NS+=("$NS")
WORK=$(mktemp -d)
trap 'topo_down; rm -rf "$WORK"' EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" sysctl -qw net.mptcp.enabled=1
# A ?wait over MPTCP lasts its whole time only while a join could still come.
ip -n "$NS" mptcp limits set subflows 2
# Attackers and probes come from addresses of their own: the per-address
# caps must not mix them up.
for i in $(seq 2 99) 250; do ip -n "$NS" addr add "127.0.0.$i/32" dev lo; done
# 10,000 idle connections need as many descriptors, in the daemon and in the driver.
ulimit -n "$(ulimit -Hn)"
in_ns() { ip netns exec "$NS" "$@"; }

# The compressed body of attack 1: 1 GiB of zeros, about 1 KB as brotli.
if command -v brotli >/dev/null; then
  BOMB_ENCODING=br
  head -c 1G /dev/zero | brotli -q 4 -c >"$WORK/bomb"
else
  BOMB_ENCODING=gzip
  head -c 1G /dev/zero | gzip -c >"$WORK/bomb"
fi

LISTEN="127.0.0.1:$PORT"
DAEMON=""
STARTS=0
IDLE_KIB=0
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null; }

start_daemon() {  # extra flags
  STARTS=$((STARTS + 1))
  LOG="$WORK/daemon.$STARTS.log"
  start_in "$NS" "$OBSERVER_BIN" --no-bpf --netns-dir '' --listen "$LISTEN" \
    --admin-listen "127.0.0.1:$ADMIN" "$@" 2>"$LOG"
  DAEMON=$LAST_PID
  for _ in $(seq 100); do
    kill -0 "$DAEMON" 2>/dev/null || break
    in_ns curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$ADMIN/healthz" && break
    sleep 0.1
  done
  if ! in_ns curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/"; then
    DAEMON=""
    return 1
  fi
  # Idle: after a few answers, so that what every first request allocates is counted in.
  for _ in $(seq 20); do in_ns curl -s -o /dev/null "http://127.0.0.1:$PORT/"; done
  in_ns curl -s -o /dev/null "http://127.0.0.1:$ADMIN/metrics"
  sleep 0.5
  IDLE_KIB=$(rss_kib "$DAEMON")
  echo "# daemon $STARTS (pid $DAEMON, on $LISTEN, flags: ${*:-none}): idle VmRSS $((IDLE_KIB / 1024)) MiB"
}

stop_daemon() {
  [[ -n "$DAEMON" ]] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
  DAEMON=""
}

# --- one attack: run the driver, then expectations, then one line --------

R=""
ATTACK=""
NOTE=""
FAILED_CHECKS=()

run() {  # name, driver arguments...
  ATTACK=$1; shift
  NOTE=""
  FAILED_CHECKS=()
  if [[ -z "$DAEMON" ]] || ! kill -0 "$DAEMON" 2>/dev/null; then
    wait "$DAEMON" 2>/dev/null
    start_daemon || { R=""; NOTE="the daemon did not start"; return 1; }
    [[ $STARTS -gt 1 ]] && NOTE="daemon restarted first; "
  fi
  R=$(in_ns python3 "$DRIVER" --pid "$DAEMON" --port "$PORT" --admin "127.0.0.1:$ADMIN" "$@" 2>"$WORK/$ATTACK.err")
  echo "$R" >"$WORK/$ATTACK.json"
  if ! jq -e .attack <<<"$R" >/dev/null 2>&1; then
    NOTE+="the driver gave no result: $(tail -3 "$WORK/$ATTACK.err" | tr '\n' ' ')"
    R=""
    return 1
  fi
  if jq -e .error <<<"$R" >/dev/null; then
    NOTE+="driver: $(jq -r .error <<<"$R")"
  fi
  if jq -e .result.error <<<"$R" >/dev/null; then
    NOTE+="driver: $(jq -r .result.error <<<"$R")"
  fi
}

# expect DESCRIPTION JQ: JQ is true of the driver's result. In JQ, $idle is
# the daemon's idle VmRSS (KiB), $bound and $near the bounds (KiB).
expect() {
  if [[ -z "$R" ]] || ! jq -e --argjson idle "${IDLE_KIB:-0}" --argjson bound $((RSS_BOUND_MIB * 1024)) \
    --argjson near $((RSS_NEAR_MIB * 1024)) "$2" <<<"$R" >/dev/null 2>&1; then
    FAILED_CHECKS+=("$1")
  fi
}

# What every attack must leave as it was.
expect_daemon_unharmed() {
  expect "the daemon survived (not killed at 1 GiB)" '.alive_after'
  expect "VmRSS stayed under idle + ${RSS_BOUND_MIB} MiB" '(.peak_kib - $idle) <= $bound'
  expect "a fresh GET / was answered (200, verdict, < 3 s) every time during it" \
    '.probes.count >= 1 and .probes.failed == 0'
  expect "the open-connection gauge came back to its idle value" '.release_s != null'
  expect "VmRSS came back within ${RSS_NEAR_MIB} MiB of its value before the attack" \
    '.rss_after_kib != null and (.rss_after_kib - .rss_before_kib) <= $near'
}

# verdict NUMBER FIGURES_JQ: one line for the attack, PASS or FAIL.
verdict() {
  local figures common
  common='"peak +\(((.peak_kib - $idle) / 1024) | floor) MiB" +
    (if .killed then " (killed)" else "" end) +
    ", after +\(if .rss_after_kib then (((.rss_after_kib - $idle) / 1024) | floor | tostring) else "?" end) MiB" +
    " (\(if .rss_after_kib then (((.rss_after_kib - .rss_before_kib) / 1024) | floor | tostring) else "?" end) MiB from before)" +
    ", probes \(.probes.count - .probes.failed)/\(.probes.count) ok (max \(.probes.max_ms) ms)" +
    ", released in \(.release_s // "never") s"'
  if [[ -n "$R" ]]; then
    figures=$(jq -r --argjson idle "$IDLE_KIB" "($2) + \"; \" + $common" <<<"$R" 2>&1)
  else
    figures="no figures"
  fi
  local line="$1 $ATTACK: ${NOTE}${figures}"
  [[ -z "$R" ]] && line="$1 $ATTACK: ${NOTE:-no result}"
  if ((${#FAILED_CHECKS[@]} == 0)) && [[ -n "$R" ]]; then
    echo "PASS $line"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL $line"
    local c
    for c in "${FAILED_CHECKS[@]}"; do echo "       not as specified: $c"; done
    FAILED=$((FAILED + 1))
  fi
}

# ABUSE_ATTACKS="3 7" runs only those attacks (numbers as in the issue).
selected() { [[ -z "${ABUSE_ATTACKS:-}" || " $ABUSE_ATTACKS " == *" $1 "* ]]; }

start_daemon || { cat "$WORK/daemon.1.log"; exit 1; }

# --- 1. decompression bomb --------------------------------------------------
if selected 1; then
  run bomb bomb --file "$WORK/bomb" --encoding "$BOMB_ENCODING"
  expect "GET / with a $BOMB_ENCODING body: 413 every time" '.result.get_statuses == {"413": .result.rounds}'
  expect "GET: answered before the body was sent" '.result.get_answered_before_body == .result.rounds'
  expect "GET: Connection: close, and closed" '.result.get.connection == "close" and .result.get_closed == .result.rounds'
  expect "POST /upload with a $BOMB_ENCODING body: 405 every time" '.result.post_statuses == {"405": .result.rounds}'
  expect "POST: answered before the body was sent" '.result.post_answered_before_body == .result.rounds'
  expect "POST: Allow: GET, HEAD" '.result.post.allow == "GET, HEAD"'
  expect "POST: Connection: close, and closed" '.result.post.connection == "close" and .result.post_closed == .result.rounds'
  expect "refusals counted as body (413) and method (405)" \
    '.refusals.body == .result.rounds and .refusals.method == .result.rounds'
  expect_daemon_unharmed
  verdict 1 '"\(.result.rounds) rounds of a \(.result.body_bytes)-byte \(.result.encoding) body (1 GiB decoded): GET / \(.result.get_statuses), answered before the body \(.result.get_answered_before_body); POST \(.result.post_statuses), before the body \(.result.post_answered_before_body); refusals body \(.refusals.body // "-") method \(.refusals.method // "-")"'
fi

# --- 2. range amplification -------------------------------------------------
if selected 2; then
  run range range --ranges 2000
  expect "2,000 ranges on /metrics: 416 every time" '.result.metrics_many_statuses == {"416": .result.metrics_many_requests}'
  expect "2,000 ranges on /metrics: a small answer (< 4 KiB)" '.result.metrics_many_max_length < 4096'
  expect "2 ranges on /download: 416" '.result.download_two.status == 416'
  expect "1 range on /metrics (not /download): 416" '.result.metrics_one.status == 416'
  expect "1 range on /download: 206 bytes 0-9/1048576, 10 bytes" \
    '.result.download_one.status == 206 and .result.download_one.content_range == "bytes 0-9/1048576" and .result.download_one.content_length == 10'
  expect "refusals counted as range" '.refusals.range == .result.metrics_many_requests + 2'
  expect_daemon_unharmed
  verdict 2 '"\(.result.metrics_many_requests) × \(.result.ranges) ranges (\(.result.header_bytes)-byte header) on /metrics: \(.result.metrics_many_statuses), answers up to \(.result.metrics_many_max_length) bytes in \(.result.metrics_many_max_ms) ms; 2 ranges on /download \(.result.download_two.status); 1 range on /metrics \(.result.metrics_one.status); 1 range on /download \(.result.download_one.status) \(.result.download_one.content_range // "")"'
fi

# --- 3. worker pinning by slow readers -------------------------------------
if selected 3; then
  run pin pin --sources 8 --per-source 4 --size 1G --rate 20480 --duration 22 --wait-probe-at 4 8 12
  expect "32 slow readers from 8 addresses (4 each): all 200" '.result.statuses == {"200": 32}'
  expect "GET /?wait=1s from another address answered in < 3 s meanwhile" \
    '.result.wait_probes_ok == (.result.wait_probes | length) and .result.wait_probe_max_ms < 3000'
  expect "the daemon let go of the slow readers 8-20 s after they started" \
    '.result.daemon_released_s != null and .result.daemon_released_s >= 8 and .result.daemon_released_s <= 20'
  expect "counted as slow_reader" '.connections.slow_reader == 32'
  expect_daemon_unharmed
  verdict 3 '"32 readers at \(.result.read_kib_per_s_median) KiB/s: \(.result.statuses); ?wait=1s probes \(.result.wait_probes | map("\(.status // "none")/\(.ms) ms") | join(", ")); daemon let go after \(.result.daemon_released_s // "never") s; client saw \(.result.ended_by_server) end within 22 s; slow_reader \(.connections.slow_reader // "-")"'
fi

# --- 4. slowloris -----------------------------------------------------------
if selected 4; then
  run slowloris slowloris --connections 1000 --duration 15
  expect "1,000 trickling connections, all opened" '.result.connect_errors == {}'
  expect "each closed by the daemon 9-13 s after its first byte" \
    '.result.closed_by_server == .result.connections and .result.closed_s_min >= 9 and .result.closed_s_max <= 13'
  expect "counted as timed_out" '.connections.timed_out == .result.connections'
  expect_daemon_unharmed
  verdict 4 '"\(.result.connections) connections at a byte a second: \(.result.closed_by_server) closed by the daemon after \(.result.closed_s_min)-\(.result.closed_s_max) s; timed_out \(.connections.timed_out // "-")"'
fi

# --- 5. idle keep-alive connections -----------------------------------------
if selected 5; then
  run idle idle --connections 10000 --hold 45
  expect "10,000 connections opened (half after an answer, half silent)" \
    '.result.opened == .result.connections and .result.open_errors == {}'
  expect "the daemon held them all, refusing none" \
    '.open_peak >= .open_before + .result.connections and (.connections.refused // 0) == 0'
  # The client notes each connection's last activity a little late while it
  # opens the others, and the daemon looks for expired ones once a second.
  expect "each closed 27-36 s after its last activity" \
    '.result.closed_by_server == .result.opened and .result.closed_s_min >= 27 and .result.closed_s_max <= 36'
  expect "counted as idle_closed" '.connections.idle_closed == .result.opened'
  expect_daemon_unharmed
  verdict 5 '"\(.result.opened) idle connections (\(.result.answered) answered, \(.result.silent) silent), \(.open_peak) open at most, \(.result.closed_by_server) closed by the daemon after \(.result.closed_s_min)-\(.result.closed_s_max) s; idle_closed \(.connections.idle_closed // "-"), refused \(.connections.refused // "-")"'
fi

# --- 6. pipelining flood ----------------------------------------------------
if selected 6; then
  run pipeline --source 127.0.0.60 pipeline --requests 100000 --marker 1000
  expect "VmRSS bounded while 100,000 requests go unanswered-unread" '(.result.rss_while_unread_kib - $idle) <= $bound'
  expect "answers in order (every 1000th is /healthz)" '.result.in_order'
  expect "all 100,000 answered, or the last answer says Connection: close and nothing is cut" '.result.clean'
  expect_daemon_unharmed
  verdict 6 '"\(.result.requests) pipelined requests, \(.result.sent_before_reading_requests) sent before reading; \(.result.answers) answers, in order: \(.result.in_order), last says close: \(.result.last_answer_closes), \(.result.leftover_bytes) bytes of a cut answer, end \(.result.end)"'
fi

# --- 7. malformed and oversized heads ---------------------------------------
if selected 7; then
  # The status each case must get; every refusal closes (Connection: close).
  declare -A WANT=(
    [uri_100k]=414 [request_line_8192]=404 [request_line_8193]=414
    [header_line_9k]=431 [header_line_8192]=200 [header_line_8195]=431
    [head_70k_small_fields]=431 [head_60k_allowed]=200 [fields_101]=431 [fields_100_allowed]=200
    [bare_lf]=400 [bare_lf_header]=400 [bare_cr]=400 [nul_in_header]=400 [ctl_in_header]=400
    [del_in_header]=400 [htab_in_header_allowed]=200 [obs_fold]=400
    [http_2_0]=505 [http_3]=505 [http_1_2]=505 [http_1_0_allowed]=200
    [te_chunked_get]=413 [cl_and_te]=400 [cl_two_different]=400 [cl_unreadable]=400 [cl_body_get]=413
    [method_delete]=405 [accept_encoding_ignored]=200
  )
  declare -A REASON=([400]=malformed [405]=method [413]=body [414]=uri_too_long [431]=head_too_large [505]=version)
  run malformed malformed
  WRONG=()
  declare -A PER_REASON=()
  for c in "${!WANT[@]}"; do
    want=${WANT[$c]}
    got=$(jq -r --arg c "$c" '.result.cases[$c] | "\(.status) \(.connection) \(.closed) \(.statuses_seen | join(","))"' <<<"$R" 2>/dev/null)
    read -r status connection closed seen <<<"${got:-none none none none}"
    if [[ "$status" != "$want" || "$seen" != "$want" ]]; then
      WRONG+=("$c $seen (want $want)")
    elif [[ -n "${REASON[$want]:-}" ]] && [[ "$connection" != close || "$closed" != true ]]; then
      WRONG+=("$c $want without closing (Connection: $connection, closed $closed)")
    fi
    reason=${REASON[$want]:-}
    [[ -n "$reason" ]] && PER_REASON[$reason]=$((${PER_REASON[$reason]:-0} + 1))
  done
  ((${#WRONG[@]} == 0)) || FAILED_CHECKS+=("cases: ${WRONG[*]}")
  expect "Accept-Encoding ignored: the answer is not compressed" \
    '.result.cases.accept_encoding_ignored.content_encoding == null and .result.cases.accept_encoding_ignored.first_line == "You are not using MPTCP."'
  for reason in "${!PER_REASON[@]}"; do
    expect "refusals counted as $reason" ".refusals.$reason == ${PER_REASON[$reason]} * .result.passes"
  done
  expect_daemon_unharmed
  RIGHT=$((${#WANT[@]} - ${#WRONG[@]}))
  verdict 7 "\"$RIGHT of ${#WANT[@]} cases as specified, \(.result.passes) passes; refusals \(if .refusals == null or .refusals == {} then \"not exported\" else (.refusals | to_entries | map(\"\(.key) \(.value)\") | join(\", \")) end)\""
fi

# --- 8. ?wait flood ---------------------------------------------------------
if selected 8; then
  run waitflood_one_address waitflood --sources 1 --first-source 80 --per-source 20 --wait 10s
  expect "20 concurrent ?wait=10s from one address: 4 served, 16 refused with 429" \
    '.result.statuses == {"200": 4, "429": 16}'
  expect "the 429s come at once (< 2 s) with Retry-After: 1" \
    '.result.refused_ms_max < 2000 and .result.refused_retry_after == ["1"]'
  expect "counted as client_limit" '.refusals.client_limit == 16'
  expect_daemon_unharmed
  verdict 8a '"20 × ?wait=10s from one address: \(.result.statuses), refused within \(.result.refused_ms_max // "-") ms, Retry-After \(.result.refused_retry_after); client_limit \(.refusals.client_limit // "-")"'

  # A dual-stack listener this time: IPv4 clients arrive as ::ffff:a.b.c.d,
  # and must still count per IPv4 address, not as one IPv6 /64.
  stop_daemon
  LISTEN="[::]:$PORT"
  if start_daemon --max-waiting 16; then
    run waitflood_many_addresses waitflood --sources 8 --first-source 81 --per-source 3 --wait 10s
    expect "24 concurrent ?wait=10s from 8 addresses (3 each) on [::], --max-waiting 16: 16 served, 8 refused with 503" \
      '.result.statuses == {"200": 16, "503": 8}'
    expect "the 503s come at once (< 2 s) with Retry-After: 1" \
      '.result.refused_ms_max < 2000 and .result.refused_retry_after == ["1"]'
    expect "counted as busy" '.refusals.busy == 8'
    expect_daemon_unharmed
    verdict 8b '"24 × ?wait=10s from 8 addresses on [::] (--max-waiting 16): \(.result.statuses), refused within \(.result.refused_ms_max // "-") ms, Retry-After \(.result.refused_retry_after); busy \(.refusals.busy // "-")"'
  else
    ATTACK=waitflood_many_addresses
    R=""
    NOTE="the daemon does not start with --max-waiting 16: $(grep -v ' info ' "$LOG" | head -1)"
    FAILED_CHECKS=("--max-waiting exists")
    verdict 8b '""'
    stop_daemon
    start_daemon || exit 1
  fi
fi

# --- 9. public /healthz -----------------------------------------------------
if selected 9; then
  run healthz healthz
  expect "200" '.result.status == 200'
  expect "only status, version and listeners" '.result.keys == ["listeners", "status", "version"]'
  expect "listeners say only address, transport and whether it is TLS" '.result.listener_keys == ["address", "tls", "transport"]'
  expect "no word of sources, cgroup, netns, namespaces, tracked_connections, listening" '.result.forbidden_found == []'
  verdict 9 '"keys \(.result.keys), listener keys \(.result.listener_keys), forbidden words found \(.result.forbidden_found)"'
fi

kill -0 "$DAEMON" 2>/dev/null && echo "# the daemon is still running" || echo "# the daemon is gone" >&2
grep -hE ' (error|warn) ' "$WORK"/daemon.*.log | head -5 | sed 's/^/# daemon log: /'
finish
