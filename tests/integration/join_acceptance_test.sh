#!/usr/bin/env bash
# An outbound join counts as opened only once the peer has accepted it. A
# server whose subflows limit is 0 answers each join SYN with a SYN-ACK,
# then refuses the third ACK with a reset (MP_TCPRST EPROHIBIT): the
# client's daemon must report a failed join, rejected by the peer, and no
# opened subflow, as both kernels' counters say. Then the same daemon counts
# a join the server accepts as opened. Last, while such connections stay
# open, its admin API diagnoses each: the refused join, and the healthy one.
source "$(dirname "$0")/lib/prelude.sh"
source "$HERE/lib/events.sh"
: "${PROBE_BIN:?path to mptcp_http_probe}"

topo_up
topo_cgroup_up || exit 1
LOG=$(mktemp); trap 'topo_down; rm -f "$LOG" "$EVENTS_FILE"' EXIT
CLI_NS=$(netns_inode "$CLI")
ADMIN=http://127.0.0.1:8685

# The client talks to an untraced checker on the server. The daemon under
# test runs on the client and traces only this test's cgroup, where the
# client's connections run: its metrics, host-wide by design, then hold
# nothing but this client's subflows whatever other tests run beside it,
# and its MIB series are the client namespace's.
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen '' --no-bpf 2>/dev/null
wait_for_http "http://$SRV4:8684/healthz" || exit 1
start_in "$CLI" "$OBSERVER_BIN" --listen 127.0.0.1:8684 --admin-listen 127.0.0.1:8685 --cgroup "$TOPO_CGROUP" \
  --netns-dir '' --reconcile-interval 3600s "${DAEMON_FLAGS[@]}" 2>"$LOG"
DAEMON=$LAST_PID
wait_for_http "$ADMIN/healthz" || { cat "$LOG"; exit 1; }
assert_eq "true" "$(in_client curl -s "$ADMIN/healthz" | jq .sources.bpf.active)" "the client's daemon traces"
assert_eq "$(expected_subflow_reads)" "$(in_client curl -s "$ADMIN/healthz" | jq -r .sources.bpf.reads)" \
  "the client's daemon loaded the build of the program this kernel and its flags call for"

# A connection from this test's cgroup that carries data, so the client's
# path manager opens a join, then asks the checker to wait $1 for it.
connect() { in_cgroup "$CLI" "$PROBE_BIN" "$SRV4" 8684 /download?size=128K "/?format=json&wait=$1"; }
metric() { in_client curl -s "$ADMIN/metrics" | awk -v s="$1" '$1 == s {print $2}'; }
OPENED='mptcp_subflows_opened_total{direction="outbound",kind="join"}'
REJECTED='mptcp_join_failures_total{direction="outbound",reason="rejected_by_peer"}'
LATENCY='mptcp_join_latency_seconds_count{direction="outbound"}'
FIRST_JOIN='mptcp_first_join_delay_seconds_count{direction="outbound"}'
cli_joins() { events_count ".netns==$CLI_NS and .kind==\"join\" and $1"; }
delta() { echo $(( $(mib "$1" "$2") - $3 )); }

echo "# a server that accepts no additional subflow: each join is rejected after its SYN-ACK"
ip -n "$SRV" mptcp limits set subflows 0
events_start "$ADMIN" "$CLI"
CLI_SYNTX0=$(mib "$CLI" MPJoinSynTx); CLI_SYNACK0=$(mib "$CLI" MPJoinSynAckRx); CLI_RST0=$(mib "$CLI" MPRstTx)
SRV_SYNRX0=$(mib "$SRV" MPJoinSynRx); SRV_REJ0=$(mib "$SRV" MPJoinRejected); SRV_ACK0=$(mib "$SRV" MPJoinAckRx)
OPENED0=$(metric "$OPENED"); REJECTED0=$(metric "$REJECTED"); LATENCY0=$(metric "$LATENCY")
N=2
for i in $(seq $N); do
  assert_eq 1 "$(connect 1s | jq '.subflows | length')" "connection $i: the server shows only the initial subflow"
done
assert_eq "$N" "$(delta "$CLI" MPJoinSynTx "$CLI_SYNTX0")" "the client's kernel sent a join SYN per connection (MPJoinSynTx)"
assert_eq "$N" "$(delta "$CLI" MPJoinSynAckRx "$CLI_SYNACK0")" "and took each SYN-ACK (MPJoinSynAckRx)"
assert_eq "$N" "$(delta "$SRV" MPJoinSynRx "$SRV_SYNRX0")" "the server's kernel answered each join SYN (MPJoinSynRx)"
assert_eq "$N" "$(delta "$SRV" MPJoinRejected "$SRV_REJ0")" "then rejected each at the third ACK (MPJoinRejected)"
SRV_ACK=$(delta "$SRV" MPJoinAckRx "$SRV_ACK0")
assert_eq 0 "$SRV_ACK" "and completed none (MPJoinAckRx)"
assert_eq "$N" "$(delta "$CLI" MPRstTx "$CLI_RST0")" "the client's kernel reset each join with MP_RST (MPRstTx)"
failed() { cli_joins '.type=="join_failed"'; }
assert_eq "$N" "$(wait_for_value "$N" failed)" "the daemon reports a failed join for each"
assert_eq "rejected_by_peer" "$(events_show ".netns==$CLI_NS and .type==\"join_failed\"" | jq -r .reason | sort -u | paste -sd,)" \
  "the reason is: rejected_by_peer"
assert_eq 0 "$(cli_joins '.type=="subflow_established"')" "no subflow_established for those joins"
assert_eq 0 "$(cli_joins '.type=="subflow_closed"')" "nor a subflow_closed: they never opened"
assert_eq "$SRV_ACK" "$(( $(metric "$OPENED") - OPENED0 ))" "$OPENED = the server's MPJoinAckRx delta"
assert_eq "$N" "$(( $(metric "$REJECTED") - REJECTED0 ))" "$REJECTED counts them"
assert_eq 0 "$(( $(metric "$LATENCY") - LATENCY0 ))" "no join latency observed for joins that never opened"
assert_eq "$(mib "$CLI" MPJoinSynAckRx)" "$(metric mptcp_mib_MPJoinSynAckRx_total)" \
  "the daemon's MIB series are the client's (MPJoinSynAckRx)"
events_stop

echo "# the server accepts joins again: the client's join is opened once accepted"
ip -n "$SRV" mptcp limits set subflows 2
events_start "$ADMIN" "$CLI"
SRV_ACK0=$(mib "$SRV" MPJoinAckRx)
OPENED0=$(metric "$OPENED"); REJECTED0=$(metric "$REJECTED"); LATENCY0=$(metric "$LATENCY"); FIRST0=$(metric "$FIRST_JOIN")
assert_eq 2 "$(connect 3s | jq '.subflows | length')" "the server shows the join"
SRV_ACK=$(delta "$SRV" MPJoinAckRx "$SRV_ACK0")
assert_eq 1 "$SRV_ACK" "the server's kernel completed it (MPJoinAckRx)"
established() { cli_joins '.type=="subflow_established"'; }
assert_eq 1 "$(wait_for_value 1 established)" "the daemon reports the join established"
assert_match '^[0-9]+$' "$(events_show ".netns==$CLI_NS and .type==\"subflow_established\" and .kind==\"join\"" | jq -r .handshake_us)" \
  "with its time from SYN to acceptance"
assert_eq "$SRV_ACK" "$(( $(metric "$OPENED") - OPENED0 ))" "$OPENED = the server's MPJoinAckRx delta"
assert_eq 1 "$(( $(metric "$LATENCY") - LATENCY0 ))" "one join latency observed"
assert_eq 1 "$(( $(metric "$FIRST_JOIN") - FIRST0 ))" "one first-join delay observed"
assert_eq 0 "$(( $(metric "$REJECTED") - REJECTED0 ))" "no join rejected"
assert_eq 0 "$(cli_joins '.type=="join_failed"')" "no failed join"
events_stop

# A connection from this test's cgroup that carries data (so the client's
# path manager tries a join), then stays open $1 ms; sets HOLDER.
hold() {
  in_cgroup "$CLI" "$PROBE_BIN" "$SRV4" 8684 /download?size=128K "@$1" >/dev/null &
  HOLDER=$!
  TOPO_PIDS+=("$HOLDER")
}
# The client daemon's view of its open connections to the server.
open_conns() {
  in_client curl -s "$ADMIN/api/v1/connections?netns=$CLI_NS" |
    jq -c --arg s "$SRV4:8684" '[.connections[] | select(.direction == "outbound" and .remote == $s)]'
}
open_count() { open_conns | jq length; }
finding() { jq -r ".[0].diagnosis[0].$1" <<<"$CONN"; }

echo "# the admin API diagnoses an open connection whose join the server refused"
ip -n "$SRV" mptcp limits set subflows 0
assert_eq 0 "$(wait_for_value 0 open_count)" "no connection to the server open before"
events_start "$ADMIN" "$CLI"
SRV_REJ0=$(mib "$SRV" MPJoinRejected); SRV_ACK0=$(mib "$SRV" MPJoinAckRx)
hold 5000
failed() { cli_joins '.type=="join_failed"'; }
assert_eq 1 "$(wait_for_value 1 failed)" "the daemon saw the join fail"
CONN=$(open_conns)
assert_eq 1 "$(jq length <<<"$CONN")" "the connection is open, in /api/v1/connections"
SRV_REJ=$(delta "$SRV" MPJoinRejected "$SRV_REJ0")
assert_eq 1 "$SRV_REJ" "the server's kernel rejected its join (MPJoinRejected)"
assert_eq 0 "$(delta "$SRV" MPJoinAckRx "$SRV_ACK0")" "and completed none (MPJoinAckRx)"
assert_eq "join_rejected_by_peer" "$(finding code)" "its diagnosis: the peer refused our join"
assert_eq "certain" "$(finding confidence)" "certain: this connection's own join, traced"
assert_contains "refused $SRV_REJ join(s)" "$(finding message)" "as many as the server's MPJoinRejected"
assert_contains "ip mptcp limits set subflows" "$(finding advice)" "the advice: raise the peer's limit"
assert_eq "join_rejected_by_peer" "$(jq -r '[.[0].diagnosis[].code] | join(",")' <<<"$CONN")" "and nothing else"
wait "$HOLDER"
events_stop

echo "# the admin API diagnoses an open connection with a join as healthy"
ip -n "$SRV" mptcp limits set subflows 2
assert_eq 0 "$(wait_for_value 0 open_count)" "no connection to the server open before"
events_start "$ADMIN" "$CLI"
SRV_ACK0=$(mib "$SRV" MPJoinAckRx)
hold 5000
established() { cli_joins '.type=="subflow_established"'; }
assert_eq 1 "$(wait_for_value 1 established)" "the daemon saw the join accepted"
CONN=$(open_conns)
SRV_ACK=$(delta "$SRV" MPJoinAckRx "$SRV_ACK0")
assert_eq 1 "$SRV_ACK" "the server's kernel completed its join (MPJoinAckRx)"
assert_eq "$((SRV_ACK + 1))" "$(jq '.[0].subflows | length' <<<"$CONN")" "the connection's subflows: the initial one and MPJoinAckRx joins"
assert_eq "mptcp_ok" "$(finding code)" "its diagnosis: all is well"
assert_contains "$((SRV_ACK + 1)) subflows (the initial one and $SRV_ACK join)" "$(finding message)" "counting the joins the server completed"
assert_eq "mptcp_ok,no_backup_subflow" "$(jq -r '[.[0].diagnosis[].code] | join(",")' <<<"$CONN")" "and no subflow is a backup"
wait "$HOLDER"
events_stop

echo "# health"
assert_eq "0" "$(in_client curl -s "$ADMIN/healthz" | jq .sources.bpf.lost)" "no events lost"
kill -0 "$DAEMON" 2>/dev/null && pass "daemon alive" || fail "daemon died"
assert_eq "" "$(grep -E ' (error|warn) ' "$LOG")" "no warnings or errors in the log"
finish
