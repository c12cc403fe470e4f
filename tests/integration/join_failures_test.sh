#!/usr/bin/env bash
# Joins that fail or differ, and subflows that never were, checked against
# the kernel's own counters (MPTcpExt MIBs): a join whose SYN gets no answer
# (timeout), a join whose SYN-ACK lost its MP_JOIN option (rejected by the
# client: one failure per attempt, not two), a backup join, the interface
# each join uses, an initial connect that fails (not a closed subflow), and
# two MPTCP listeners on one port of which one closes.
source "$(dirname "$0")/lib/prelude.sh"
source "$HERE/lib/events.sh"
: "${PROBE_BIN:?path to mptcp_http_probe}"

topo_up
LOG=$(mktemp); trap 'topo_down; rm -f "$LOG" "$EVENTS_FILE"' EXIT
SRV_NS=$(netns_inode "$SRV"); CLI_NS=$(netns_inode "$CLI")
ADMIN=http://127.0.0.1:8685

# The daemon traces every namespace on the host, other tests' too: every
# query below names our namespaces. No periodic reconciliation: the last
# case must see what BPF alone keeps of the listeners.
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen 127.0.0.1:8685 --reconcile-interval 3600s "${DAEMON_FLAGS[@]}" 2>"$LOG"
DAEMON=$LAST_PID
wait_for_http "http://$SRV4:8684/healthz" || { cat "$LOG"; exit 1; }

# A connection that sends data (so the client's path manager opens a join)
# and then waits up to $1 for the join on the server: prints the checker's JSON.
connect_and_wait() { in_client "$PROBE_BIN" "$SRV4" 8684 /download?size=128K "/?format=json&wait=$1"; }
case_done() { events_stop; rm -f "$EVENTS_FILE"; }
cli_events() { events_count ".netns==$CLI_NS and $1"; }
srv_events() { events_count ".netns==$SRV_NS and $1"; }

echo "# a join whose SYN gets no answer times out"
# SYN and one retransmission: the kernel gives up after 1s + 2s, well within
# the 6s the connection stays open.
in_client sysctl -qw net.ipv4.tcp_syn_retries=1
DROP=(FORWARD -i r2 -p tcp --syn -j DROP)
in_router iptables -A "${DROP[@]}"
events_start "$ADMIN"
CLI_SYNTX0=$(mib "$CLI" MPJoinSynTx); SRV_SYNRX0=$(mib "$SRV" MPJoinSynRx)
JSON=$(connect_and_wait 6s)
assert_eq 1 "$(jq '.subflows | length' <<<"$JSON")" "the checker shows only the initial subflow"
CLI_SYNTX=$(( $(mib "$CLI" MPJoinSynTx) - CLI_SYNTX0 ))
assert_match '^[1-9][0-9]*$' "$CLI_SYNTX" "the client's kernel sent MP_JOIN SYNs (MPJoinSynTx)"
timed_out() { cli_events '.type=="join_failed"'; }
assert_eq "$CLI_SYNTX" "$(wait_for_value "$CLI_SYNTX" timed_out)" "failed joins seen = MPJoinSynTx delta"
assert_eq "timeout" "$(events_show ".netns==$CLI_NS and .type==\"join_failed\"" | jq -r .reason | sort -u | paste -sd,)" "the reason is: timeout"
assert_eq 0 "$(( $(mib "$SRV" MPJoinSynRx) - SRV_SYNRX0 ))" "the server's kernel never saw the join SYN (MPJoinSynRx)"
in_router iptables -D "${DROP[@]}"
in_client sysctl -qw net.ipv4.tcp_syn_retries=6
case_done

echo "# a SYN-ACK without MP_JOIN: the client rejects the join, once per attempt"
# subflow_finish_connect() resets the subflow from inside tcp_finish_connect(),
# after ESTABLISHED and before the established callback: one failure, not two.
STRIP=(FORWARD -o r2 -p tcp --tcp-flags SYN,ACK SYN,ACK -j TCPOPTSTRIP --strip-options 30)
in_router iptables -t mangle -A "${STRIP[@]}"
events_start "$ADMIN"
CLI_SYNTX0=$(mib "$CLI" MPJoinSynTx); CLI_SYNACK0=$(mib "$CLI" MPJoinSynAckRx); CLI_RST0=$(mib "$CLI" MPRstTx)
SRV_SYNRX0=$(mib "$SRV" MPJoinSynRx); SRV_ACK0=$(mib "$SRV" MPJoinAckRx)
JSON=$(connect_and_wait 2s)
assert_eq 1 "$(jq '.subflows | length' <<<"$JSON")" "the checker shows only the initial subflow"
CLI_SYNTX=$(( $(mib "$CLI" MPJoinSynTx) - CLI_SYNTX0 ))
assert_match '^[1-9][0-9]*$' "$CLI_SYNTX" "the client's kernel sent MP_JOIN SYNs (MPJoinSynTx)"
rejected() { cli_events '.type=="join_failed"'; }
assert_eq "$CLI_SYNTX" "$(wait_for_value "$CLI_SYNTX" rejected)" "exactly one failed join per attempt (MPJoinSynTx delta)"
assert_eq "rejected" "$(events_show ".netns==$CLI_NS and .type==\"join_failed\"" | jq -r .reason | sort -u | paste -sd,)" "the reason is: rejected"
assert_eq 0 "$(cli_events '.type=="subflow_established" and .kind=="join"')" "no client join reported established"
assert_eq "$CLI_SYNTX" "$(( $(mib "$SRV" MPJoinSynRx) - SRV_SYNRX0 ))" "the server's kernel received each join SYN (MPJoinSynRx)"
assert_eq 0 "$(( $(mib "$SRV" MPJoinAckRx) - SRV_ACK0 ))" "and completed none (MPJoinAckRx)"
# No MIB counts a SYN-ACK without MP_JOIN; the reset that answers it carries
# MP_RST, and that one is counted.
assert_eq 0 "$(( $(mib "$CLI" MPJoinSynAckRx) - CLI_SYNACK0 ))" "the client's kernel accepted no join SYN-ACK (MPJoinSynAckRx)"
assert_eq "$CLI_SYNTX" "$(( $(mib "$CLI" MPRstTx) - CLI_RST0 ))" "the client's kernel reset each with MP_RST (MPRstTx)"
in_router iptables -t mangle -D "${STRIP[@]}"
case_done

echo "# each join names the interface it uses"
events_start "$ADMIN"
SRV_ACK0=$(mib "$SRV" MPJoinAckRx)
JSON=$(connect_and_wait 3s)
assert_eq 2 "$(jq '.subflows | length' <<<"$JSON")" "the connection joined"
assert_eq 1 "$(( $(mib "$SRV" MPJoinAckRx) - SRV_ACK0 ))" "the server's kernel completed one join (MPJoinAckRx)"
srv_join() { srv_events '.type=="subflow_established" and .kind=="join"'; }
wait_for_value 1 srv_join >/dev/null
S1=$(ip -n "$SRV" -j link show s1 | jq '.[0].ifindex'); C2=$(ip -n "$CLI" -j link show c2 | jq '.[0].ifindex')
assert_eq "$S1" "$(events_show ".netns==$SRV_NS and .type==\"subflow_established\" and .kind==\"join\"" | jq -r .ifindex)" "server join: ifindex of s1"
assert_eq "$C2" "$(events_show ".netns==$CLI_NS and .type==\"subflow_established\" and .kind==\"join\"" | jq -r .ifindex)" "client join: ifindex of c2"
case_done

echo "# a backup endpoint gives a backup join"
ip -n "$CLI" mptcp endpoint flush
ip -n "$CLI" mptcp endpoint add 10.0.2.2 dev c2 subflow backup
events_start "$ADMIN"
SRV_BKRX0=$(mib "$SRV" MPJoinSynBackupRx); CLI_BKRX0=$(mib "$CLI" MPJoinSynAckBackupRx)
JSON=$(connect_and_wait 3s)
assert_eq 2 "$(jq '.subflows | length' <<<"$JSON")" "the connection joined"
srv_backup() { srv_events '.type=="subflow_established" and .kind=="join" and .backup'; }
SRV_BKRX=$(( $(mib "$SRV" MPJoinSynBackupRx) - SRV_BKRX0 ))
assert_eq 1 "$SRV_BKRX" "the server's kernel got the join SYN with the backup flag (MPJoinSynBackupRx)"
assert_eq "$SRV_BKRX" "$(wait_for_value "$SRV_BKRX" srv_backup)" "server: backup joins seen = MPJoinSynBackupRx delta"
cli_join_backup() { events_show ".netns==$CLI_NS and .type==\"subflow_established\" and .kind==\"$1\"" | jq -r .backup | paste -sd,; }
assert_eq "true" "$(cli_join_backup join)" "client: the join is a backup subflow"
assert_eq "false" "$(cli_join_backup initial)" "client: the initial subflow is not"
# The server's own address is no backup endpoint: its SYN-ACK has no B bit.
assert_eq 0 "$(( $(mib "$CLI" MPJoinSynAckBackupRx) - CLI_BKRX0 ))" "the server did not ask for backup in return (MPJoinSynAckBackupRx)"
ip -n "$CLI" mptcp endpoint flush
ip -n "$CLI" mptcp endpoint add 10.0.2.2 dev c2 subflow
ip -n "$CLI" mptcp endpoint add fd00:2::2 dev c2 subflow
case_done

echo "# an initial subflow that never connects is no closed subflow"
events_start "$ADMIN"
CLI_MPC0=$(mib "$CLI" MPCapableSYNTX)
in_client mptcpize run curl -s -o /dev/null --max-time 5 "http://$SRV4:9/"
assert_eq 7 "$?" "curl: connection refused"
assert_eq 1 "$(( $(mib "$CLI" MPCapableSYNTX) - CLI_MPC0 ))" "the client's kernel sent one MP_CAPABLE SYN (MPCapableSYNTX)"
to_port9() { cli_events ".remote==\"$SRV4:9\" and $1"; }
attempt() { to_port9 '.type=="subflow_created"'; }
assert_eq 1 "$(wait_for_value 1 attempt)" "the attempt was traced (subflow_created)"
sleep 0.5
assert_eq 0 "$(to_port9 '.type!="subflow_created"')" "and nothing else: no subflow_closed, no join_failed, no fallback"
case_done

echo "# two MPTCP listeners on one port: closing one keeps the port known"
# Two untraced checkers (no BPF of their own) bound to two addresses on the
# same port; our BPF sees both start. A plain TCP client on that port is a
# fallback only while the port is known as an MPTCP listener's.
PORT=9100
start_in "$SRV" "$OBSERVER_BIN" --listen "$SRV4:$PORT" --admin-listen '' --no-bpf 2>/dev/null
FIRST=$LAST_PID
start_in "$SRV" "$OBSERVER_BIN" --listen "127.0.0.1:$PORT" --admin-listen '' --no-bpf 2>/dev/null
SECOND=$LAST_PID
listeners() { in_server ss -ltnH "( sport = :$PORT )" | wc -l; }
assert_eq 2 "$(wait_for_value 2 listeners)" "two listeners on port $PORT"
wait_for_http "http://$SRV4:$PORT/healthz"
events_start "$ADMIN"
kill "$SECOND"
assert_eq 1 "$(wait_for_value 1 listeners)" "one closed, one still listens"
# From ports outside the ephemeral range: the healthz probe above is a plain
# client too, and its event may reach the stream after it opened.
VERDICT=$(in_client curl -s --max-time 5 --local-port 20000-20099 "http://$SRV4:$PORT/" | head -1)
assert_eq "You are not using MPTCP." "$VERDICT" "the remaining listener's kernel says: plain TCP"
plain() { srv_events ".type==\"fallback\" and .reason==\"plain_client\" and (.local | endswith(\":$PORT\")) and (.remote | test(\":200[0-9][0-9]$\"))"; }
assert_eq 1 "$(wait_for_value 1 plain)" "a plain client on the remaining MPTCP listener is a fallback"
kill "$FIRST"
case_done

echo "# health"
assert_eq "0" "$(in_server curl -s "$ADMIN/healthz" | jq .sources.bpf.lost)" "no events lost"
kill -0 "$DAEMON" 2>/dev/null && pass "daemon alive" || fail "daemon died"
assert_eq "" "$(grep -E ' (error|warn) ' "$LOG")" "no warnings or errors in the log"
finish
