#!/usr/bin/env bash
# `mptcp-observer probe`, the client side: in the topology, against the
# checker, one section per cause a client can see, each checked against the
# kernel counters that justify the conclusion.
source "$(dirname "$0")/lib/prelude.sh"
topo_up

LOG=$(mktemp)
trap 'topo_down; rm -f "$LOG" "$LOG.probe"' EXIT
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen '' --no-bpf 2>"$LOG"
wait_for_http "http://$SRV4:8684/healthz" || { cat "$LOG"; exit 1; }

# probe ARGS...: sets JSON to the probe's JSON document, PROBE_STATUS to its exit status.
probe() {
  in_client "$OBSERVER_BIN" probe --json "$@" >"$LOG.probe"
  PROBE_STATUS=$?
  JSON=$(cat "$LOG.probe")
}
codes() { jq -r '[.probes[].findings[].code] | join(",")' <<<"$1"; }

echo "# healthy: MPTCP with a join over the second path, and both paths carry the download"
probe "$SRV4" --wait 3s --download 4M
assert_eq 0 "$PROBE_STATUS" "exit status 0"
assert_eq "mptcp" "$(jq -r '.probes[0].client_verdict' <<<"$JSON")" "this host got MPTCP"
assert_eq "mptcp" "$(jq -r '.probes[0].server.verdict' <<<"$JSON")" "the checker saw MPTCP"
assert_eq "true" "$(jq -r '.probes[0].server.listener_mptcp' <<<"$JSON")" "the checker's listener is MPTCP"
assert_eq 2 "$(jq -r '.probes[0].subflows | length' <<<"$JSON")" "two subflows"
assert_eq "c2" "$(jq -r '.probes[0].subflows[] | select(.kind=="join") | .interface' <<<"$JSON")" "the join leaves by c2"
assert_contains "mptcp_with_joins" "$(codes "$JSON")" "conclusion: MPTCP works with joins"
assert_eq 1 "$(jq -r '.probes[0].mib_delta.MPJoinSynAckRx' <<<"$JSON")" "the kernel counted the join (MPJoinSynAckRx +1)"

echo "# plain TCP on purpose: a note, not a problem"
probe "$SRV4" --no-mptcp --wait 0
assert_eq 0 "$PROBE_STATUS" "exit status 0"
assert_eq "not_asked" "$(codes "$JSON")" "says MPTCP was not asked"
assert_eq "tcp" "$(jq -r '.probes[0].server.verdict' <<<"$JSON")" "the checker saw plain TCP"

echo "# the router strips option 30: the probe, which asked, concludes the path strips MPTCP"
FB0=$(mib "$CLI" MPCapableFallbackSYNACK)
in_router iptables -t mangle -A FORWARD -p tcp --dport 8684 -j TCPOPTSTRIP --strip-options 30
probe "$SRV4" --wait 0
in_router iptables -t mangle -F FORWARD
assert_eq 1 "$PROBE_STATUS" "exit status 1"
assert_eq "path_strips_mptcp" "$(codes "$JSON")" "concludes the path strips MPTCP"
assert_eq 1 "$(( $(mib "$CLI" MPCapableFallbackSYNACK) - FB0 ))" "the client's kernel saw a SYN-ACK without MP_CAPABLE"

echo "# the client's subflows limit is 0"
in_client ip mptcp limits set subflows 0 add_addr_accepted 0
SYN0=$(mib "$CLI" MPJoinSynTx)
probe "$SRV4" --wait 1s
assert_eq 1 "$PROBE_STATUS" "exit status 1"
assert_eq "client_subflow_limit_zero" "$(codes "$JSON")" "names this host's subflows limit"
assert_eq 0 "$(( $(mib "$CLI" MPJoinSynTx) - SYN0 ))" "no join SYN left (MPJoinSynTx flat)"
in_client ip mptcp limits set subflows 2 add_addr_accepted 2

echo "# no endpoint on the client"
in_client ip mptcp endpoint flush
probe "$SRV4" --wait 1s
assert_eq "no_join_path" "$(codes "$JSON")" "names the missing endpoint"
in_client ip mptcp endpoint add 10.0.2.2 dev c2 subflow

echo "# the server's subflows limit is 0: the join is refused after its SYN-ACK"
in_server ip mptcp limits set subflows 0
REJ0=$(mib "$SRV" MPJoinRejected)
probe "$SRV4" --wait 2s
assert_eq 1 "$PROBE_STATUS" "exit status 1"
assert_contains "join_refused" "$(codes "$JSON")" "reports the refused join"
assert_eq 1 "$(( $(mib "$SRV" MPJoinRejected) - REJ0 ))" "the server's kernel rejected one join (MPJoinRejected +1)"
assert_eq 1 "$(jq -r '.probes[0].mib_delta.MPJoinSynAckRx' <<<"$JSON")" "this host's join got its SYN-ACK (MPJoinSynAckRx +1)"
assert_eq 1 "$(jq -r '.probes[0].mib_delta.MPRstTx' <<<"$JSON")" "and was reset (MPRstTx +1)"
in_server ip mptcp limits set subflows 2

echo "# MPTCP disabled on the client: said, and the server still asked over TCP"
in_client sysctl -qw net.mptcp.enabled=0
probe "$SRV4" --wait 0
in_client sysctl -qw net.mptcp.enabled=1
assert_eq "mptcp_off_here" "$(codes "$JSON")" "says MPTCP is off here"
assert_eq "tcp" "$(jq -r '.probes[0].server.verdict' <<<"$JSON")" "the server answered over TCP"

echo "# nothing listens: could not check"
probe "$SRV4:9" --timeout 1s
assert_eq 2 "$PROBE_STATUS" "exit status 2"
ERR=$(in_client "$OBSERVER_BIN" probe --count 0 "$SRV4" 2>&1 >/dev/null)
assert_eq "mptcp-observer probe: --count: '0' is not a number from 1 to 100" "$ERR" "a bad flag is one line"

finish
