#!/usr/bin/env bash
# Why a connection is, or is not, MPTCP, and why it has one subflow: one
# section per cause the server can see. Each makes the real traffic, then
# holds the daemon's words (the diagnosis codes of its JSON answer) against
# the kernel's own counters and configuration that justify them. Last, the
# page in a real browser (headless Chromium) over MPTCP and over plain TCP,
# with a screenshot of each kept in $ARTEFACT_DIR.
source "$(dirname "$0")/lib/prelude.sh"
: "${PROBE_BIN:?path to mptcp_http_probe}"
ARTEFACT_DIR=${ARTEFACT_DIR:-$PWD/test-artefacts}

topo_up
WORK=$(mktemp -d); trap 'topo_down; rm -rf "$WORK"' EXIT
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen 127.0.0.1:8685 2>"$WORK/daemon.log"
DAEMON=$LAST_PID
wait_for_http "http://$SRV4:8684/healthz" || { cat "$WORK/daemon.log"; exit 1; }
URL="http://$SRV4:8684"

codes() { jq -r '[.diagnosis[].code] | join(",")' <<<"$1"; }
confidence() { jq -r --arg c "$2" '.diagnosis[] | select(.code == $c) | .confidence' <<<"$1"; }
message() { jq -r --arg c "$2" '.diagnosis[] | select(.code == $c) | .message' <<<"$1"; }
# How much a counter of a namespace rose since a snapshot taken with mark().
declare -A MARK
mark() { local ns=$1; shift; for c in "$@"; do MARK[$ns.$c]=$(mib "$ns" "$c"); done; }
rose() { echo $(( $(mib "$1" "$2") - ${MARK[$1.$2]} )); }
# An MPTCP connection that sends data (so that the client's path manager
# may join), pauses, then asks: prints the checker's last JSON answer.
probe() { in_client "$PROBE_BIN" "$SRV4" 8684 /download?size=128K "$@"; }

echo "# a plain TCP client: it did not ask, or the path removed the option; how to ask, how to tell"
mark "$SRV" MPCapableSYNRX MPCapableFallbackACK
JSON=$(in_client curl -s -H 'Accept: application/json' "$URL/")
assert_eq "tcp" "$(jq -r .verdict <<<"$JSON")" "verdict tcp"
assert_eq 0 "$(rose "$SRV" MPCapableSYNRX)" "the server's kernel got no MP_CAPABLE SYN (MPCapableSYNRX)"
assert_eq 0 "$(rose "$SRV" MPCapableFallbackACK)" "nor lost one in the handshake (MPCapableFallbackACK)"
assert_eq "mptcp_not_requested,mptcp_option_removed" "$(codes "$JSON")" "so: not requested, or removed on the path (it cannot tell)"
assert_contains "mptcpize run" "$(jq -r '.diagnosis[0].advice' <<<"$JSON")" "the advice says how to ask"
assert_contains "IPPROTO_MPTCP" "$(jq -r '.diagnosis[0].advice' <<<"$JSON")" "in code too"
assert_contains "MPCapableFallbackSYNACK" "$(jq -r '.diagnosis[1].advice' <<<"$JSON")" "and how the client can tell the two apart"
TEXT=$(in_client curl -s "$URL/")
assert_match $'Subflows: 0\nDiagnosis:\n  \\[mptcp_not_requested\\] [^\n]+ Advice: [^\n]+\n  \\[mptcp_option_removed\\] ' "$TEXT" "text: one line per finding after the subflows"
assert_not_contains "wait" "$(jq -r '.diagnosis[].advice' <<<"$JSON")" "no advice to wait for joins to a client not using MPTCP"
HTML=$(in_client curl -s -H 'Accept: text/html' "$URL/")
assert_not_contains "Joined subflows" "$HTML" "nor on the page"

echo "# an MPTCP client whose path removes the option after the SYN: plain TCP, and likely that"
STRIP=(FORWARD -p tcp --dport 8684 ! --syn -j TCPOPTSTRIP --strip-options 30)
in_router iptables -t mangle -A "${STRIP[@]}"
mark "$SRV" MPCapableSYNRX MPCapableFallbackACK
# The host counters behind a diagnosis are at most 100 ms old: a pause
# after the last answer makes this one read them after its own handshake.
sleep 0.2
JSON=$(in_client mptcpize run curl -s -H 'Accept: application/json' "$URL/")
in_router iptables -t mangle -D "${STRIP[@]}"
assert_eq "tcp" "$(jq -r .verdict <<<"$JSON")" "verdict tcp"
assert_eq 1 "$(rose "$SRV" MPCapableSYNRX)" "the server's kernel got the MP_CAPABLE SYN (MPCapableSYNRX)"
assert_eq 1 "$(rose "$SRV" MPCapableFallbackACK)" "and an ACK without it (MPCapableFallbackACK)"
assert_eq "option_removed_after_syn_likely,mptcp_not_requested,mptcp_option_removed" "$(codes "$JSON")" "so the removal comes first, as likely"
assert_eq "likely" "$(confidence "$JSON" option_removed_after_syn_likely)" "worded as a likelihood (host-wide counter)"
assert_contains "saw 1 connection(s)" "$(message "$JSON" option_removed_after_syn_likely)" "with the count the kernel has"

echo "# MPTCP negotiated, then the path strips the options from data: a fallback, and of which kind"
# One subflow only: a connection can fall back while it has no other.
ip -n "$CLI" mptcp endpoint flush
STRIP=(FORWARD -p tcp --dport 8684 --tcp-flags PSH PSH -j TCPOPTSTRIP --strip-options 30)
in_router iptables -t mangle -A "${STRIP[@]}"
mark "$SRV" MPCapableACKRX DssFallback
sleep 0.2
# Two requests on one connection: the first carries the data that loses
# its mapping; the second, after the fallback, is answered.
JSON=$(in_client "$PROBE_BIN" "$SRV4" 8684 "/?format=json" @300 "/?format=json")
in_router iptables -t mangle -D "${STRIP[@]}"
ip -n "$CLI" mptcp endpoint add 10.0.2.2 dev c2 subflow
ip -n "$CLI" mptcp endpoint add fd00:2::2 dev c2 subflow
assert_eq "fallback" "$(jq -r .verdict <<<"$JSON")" "verdict fallback (an MPTCP socket, SO_PROTOCOL, that answers SOL_MPTCP no more)"
assert_eq 1 "$(rose "$SRV" MPCapableACKRX)" "the server's kernel completed the MP_CAPABLE handshake (MPCapableACKRX)"
assert_eq 1 "$(rose "$SRV" DssFallback)" "then fell back on data without a mapping (DssFallback)"
assert_eq "fallback_after_mptcp,fallback_mapping_broken_likely" "$(codes "$JSON")" "negotiated then fell back; the mapping likely stripped"
assert_contains "saw 1 time(s)" "$(message "$JSON" fallback_mapping_broken_likely)" "with the kernel's count"

echo "# the server's subflow limit is 0: it refuses every join, and says so"
ip -n "$SRV" mptcp limits set subflows 0 add_addr_accepted 0
assert_contains "subflows 0" "$(ip -n "$SRV" mptcp limits show)" "ip mptcp limits: subflows 0"
mark "$SRV" MPJoinSynRx MPJoinRejected MPJoinAckRx
# The join follows the first data; the pause lets the refusal happen
# before the question (the wait ends at once: the limit says no join can come).
JSON=$(probe @700 "/?format=json&wait=2s")
assert_eq "1" "$(jq '.subflows | length' <<<"$JSON")" "one subflow"
REJECTED=$(rose "$SRV" MPJoinRejected)
assert_match '^[1-9]$' "$REJECTED" "the server's kernel refused the client's join (MPJoinRejected +$REJECTED)"
assert_eq "$REJECTED" "$(rose "$SRV" MPJoinSynRx)" "every join SYN it got (MPJoinSynRx)"
assert_eq 0 "$(rose "$SRV" MPJoinAckRx)" "and completed none (MPJoinAckRx)"
assert_eq "server_accepts_no_join,join_rejected_likely" "$(codes "$JSON")" "the limit first (certain), then the refusals (likely)"
assert_eq "certain" "$(confidence "$JSON" server_accepts_no_join)" "the limit is this connection's own MPTCP_INFO"
assert_contains "ip mptcp limits set subflows" "$(jq -r '.diagnosis[0].advice' <<<"$JSON")" "the advice names the command"
assert_contains "refused $REJECTED join(s)" "$(message "$JSON" join_rejected_likely)" "the count is the kernel's"
ip -n "$SRV" mptcp limits set subflows 2 add_addr_accepted 2

echo "# no signal endpoint on the server, no endpoint on the client: no join can start"
ip -n "$CLI" mptcp endpoint flush
assert_eq "" "$(ip -n "$SRV" mptcp endpoint show)" "ip mptcp endpoint on the server: none (no signal)"
assert_eq "" "$(ip -n "$CLI" mptcp endpoint show)" "ip mptcp endpoint on the client: none"
JSON=$(in_client mptcpize run curl -s -H 'Accept: application/json' "$URL/")
assert_eq "server_announces_no_address,no_join_yet" "$(codes "$JSON")" "a first answer: no address announced, no join yet"
assert_contains '?wait=2s' "$(jq -r '.diagnosis[1].advice' <<<"$JSON")" "suggests ?wait=2s"
mark "$SRV" MPJoinSynRx; mark "$CLI" MPJoinSynTx
JSON=$(probe "/?format=json&wait=2s")
assert_eq "1" "$(jq '.subflows | length' <<<"$JSON")" "one subflow after waiting"
assert_match '^(19|20)[0-9][0-9]$' "$(jq .waited_ms <<<"$JSON")" "the answer waited the 2 s asked"
assert_eq 0 "$(rose "$CLI" MPJoinSynTx)" "the client's kernel sent no join (MPJoinSynTx)"
assert_eq 0 "$(rose "$SRV" MPJoinSynRx)" "the server's kernel got none (MPJoinSynRx)"
assert_eq "server_announces_no_address,no_join_attempt" "$(codes "$JSON")" "so: no address announced, and no join came"
assert_eq "likely" "$(confidence "$JSON" no_join_attempt)" "no_join_attempt rests on a host-wide counter"
assert_contains "subflow" "$(jq -r '.diagnosis[0].advice' <<<"$JSON")" "the advice: a subflow endpoint on the client"

echo "# a healthy two-subflow connection: all is well, and no false alarm"
ip -n "$CLI" mptcp endpoint add 10.0.2.2 dev c2 subflow
ip -n "$CLI" mptcp endpoint add fd00:2::2 dev c2 subflow
mark "$SRV" MPJoinAckRx MPJoinSynBackupRx
# The last request, after the join, sees what tracing learnt of it too.
JSON=$(probe "/?format=json&wait=3s" @300 "/?format=json")
assert_eq "2" "$(jq '.subflows | length' <<<"$JSON")" "two subflows"
assert_eq 1 "$(rose "$SRV" MPJoinAckRx)" "the server's kernel completed one join (MPJoinAckRx)"
assert_eq 0 "$(rose "$SRV" MPJoinSynBackupRx)" "not a backup one (MPJoinSynBackupRx)"
assert_eq "mptcp_ok,no_backup_subflow" "$(codes "$JSON")" "all is well, no backup"
assert_contains "2 subflows" "$(message "$JSON" mptcp_ok)" "counting both subflows"
TEXT=$(in_client "$PROBE_BIN" "$SRV4" 8684 /download?size=128K "/?format=text&wait=3s" @300 /)
assert_match $'\n  join +client [^\n]+\nDiagnosis:\n  \\[mptcp_ok\\] ' "$TEXT" "text: the diagnosis after the subflows"

echo "# a backup join: all is well, and the backup is named"
ip -n "$CLI" mptcp endpoint flush
ip -n "$CLI" mptcp endpoint add 10.0.2.2 dev c2 subflow backup
mark "$SRV" MPJoinSynBackupRx
JSON=$(probe "/?format=json&wait=3s" @300 "/?format=json")
assert_eq 1 "$(rose "$SRV" MPJoinSynBackupRx)" "the server's kernel got a backup join (MPJoinSynBackupRx)"
assert_eq "mptcp_ok,backup_subflow" "$(codes "$JSON")" "all is well, with a backup"
assert_contains "$CLI4_B" "$(message "$JSON" backup_subflow)" "naming the backup's address"
ip -n "$CLI" mptcp endpoint flush
ip -n "$CLI" mptcp endpoint add 10.0.2.2 dev c2 subflow
ip -n "$CLI" mptcp endpoint add fd00:2::2 dev c2 subflow

echo "# the page in a real browser, over MPTCP and over plain TCP"
mkdir -p "$ARTEFACT_DIR"
# chromium ARGS...: headless, nothing fetched but the page, a profile of its own.
chromium_in_client() {
  local profile; profile=$(mktemp -d -p "$WORK")
  in_client timeout 90 "$@" --headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage \
    --user-data-dir="$profile" 2>>"$WORK/chromium.log"
}
if ! command -v chromium >/dev/null; then
  fail "chromium is not installed (scripts/install-deps installs it)"
else
  DOM=$(chromium_in_client mptcpize run chromium --dump-dom "$URL/?wait=2s")
  assert_contains '<h1 class="yes" id="verdict">You are using MPTCP.</h1>' "$DOM" "MPTCP: the browser shows the verdict"
  assert_contains 'data-code="mptcp_ok"' "$DOM" "and the diagnosis: all is well"
  assert_contains '<table id="subflows">' "$DOM" "and the subflows"
  assert_contains 'href="https://www.mptcp.dev"' "$DOM" "and the link to mptcp.dev"
  chromium_in_client mptcpize run chromium --screenshot="$ARTEFACT_DIR/diagnosis-mptcp.png" --window-size=1200,1600 \
    "$URL/?wait=2s" >/dev/null
  DOM=$(chromium_in_client chromium --dump-dom "$URL/")
  assert_contains '<h1 class="no" id="verdict">You are not using MPTCP.</h1>' "$DOM" "plain TCP: the browser shows the verdict"
  assert_contains 'data-code="mptcp_not_requested"' "$DOM" "and why"
  assert_contains '<code class="cmd">mptcpize run COMMAND</code>' "$DOM" "with the commands to copy"
  chromium_in_client chromium --screenshot="$ARTEFACT_DIR/diagnosis-tcp.png" --window-size=1200,1600 "$URL/" >/dev/null
  for shot in diagnosis-mptcp diagnosis-tcp; do
    [[ -s "$ARTEFACT_DIR/$shot.png" ]] && pass "screenshot kept: $ARTEFACT_DIR/$shot.png" ||
      fail "no screenshot $shot.png ($(tail -3 "$WORK/chromium.log"))"
  done
fi

echo "# health"
kill -0 "$DAEMON" 2>/dev/null && pass "daemon alive" || fail "daemon died"
assert_eq "" "$(grep -E ' (error|warn) ' "$WORK/daemon.log")" "no warnings or errors in the log"
finish
