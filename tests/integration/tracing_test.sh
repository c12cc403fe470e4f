#!/usr/bin/env bash
# BPF tracing and the connection table, checked against the kernel's own
# counters (MPTcpExt MIBs) and sock_diag: joins, a connection that predates
# the daemon, a refused join, a stripped MPTCP option, IPv6.
source "$(dirname "$0")/lib/prelude.sh"
source "$HERE/lib/events.sh"
: "${PROBE_BIN:?path to mptcp_http_probe}"

topo_up
LOG=$(mktemp); trap 'topo_down; rm -f "$LOG" "$EVENTS_FILE"' EXIT
SRV_NS=$(netns_inode "$SRV"); CLI_NS=$(netns_inode "$CLI")
ADMIN=http://127.0.0.1:8685
api() { in_server curl -s "$ADMIN$1"; }

echo "# a connection opened before the daemon starts shows up with both subflows"
# An untraced server (a second instance without BPF) on port 9000 serves a
# slow download, so the connection stays open and joins before we start.
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:9000' --admin-listen '' --no-bpf 2>/dev/null
wait_for_http "http://$SRV4:9000/healthz"
start_in "$CLI" mptcpize run curl -s --limit-rate 200K -o /dev/null "http://$SRV4:9000/download?size=20M"
OLD_CURL=$LAST_PID
subflows_to_9000() { in_client ss -tnH state established '( dport = :9000 )' | wc -l; }
assert_eq 2 "$(wait_for_value 2 subflows_to_9000)" "the pre-existing connection has joined (ss shows 2 subflows)"

start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen 127.0.0.1:8685 --reconcile-interval 1s "${DAEMON_FLAGS[@]}" 2>"$LOG"
DAEMON=$LAST_PID
wait_for_http "http://$SRV4:8684/healthz" || { cat "$LOG"; exit 1; }
assert_eq "$(expected_subflow_reads)" "$(api /healthz | jq -r .sources.bpf.reads)" \
  "the daemon loaded the build of the program this kernel and its flags call for"
old_conn() { api "/api/v1/connections?netns=$1" | jq -c '.connections[] | select(((.local // "") | endswith(":9000")) or ((.remote // "") | endswith(":9000")))'; }
CONN=$(old_conn "$SRV_NS")
assert_eq "inbound" "$(jq -r .direction <<<"$CONN")" "server side: the old connection is inbound"
assert_eq "initial,join" "$(jq -r '[.subflows[].kind] | sort | join(",")' <<<"$CONN")" "server side: initial and join subflows"
assert_contains "sock_diag" "$(jq -r '.sources | join(",")' <<<"$CONN")" "server side: found by sock_diag"
CONN=$(old_conn "$CLI_NS")
assert_eq "outbound" "$(jq -r .direction <<<"$CONN")" "client side (a /run/netns namespace): outbound"
assert_eq "2" "$(jq -r '.subflows | length' <<<"$CONN")" "client side: two subflows"
kill "$OLD_CURL"
# The kernel decides when the connection is gone: an MPTCP socket whose
# close is still in progress stays visible to sock_diag (for up to a minute
# in rare timings). The table must follow the kernel, whenever that is.
kernel_has_old() { in_server ss -MHna | awk '$1 != "LISTEN"' | grep -c ':9000 '; }
for _ in $(seq 700); do [[ $(kernel_has_old) == 0 ]] && break; sleep 0.1; done
assert_eq 0 "$(kernel_has_old)" "the kernel closed the old connection (ss -M)"
old_gone() { old_conn "$SRV_NS" | wc -l; }
assert_eq 0 "$(wait_for_value 0 old_gone)" "the old connection leaves the table once the kernel has closed it (reconciliation)"
if [[ $(old_gone) != 0 ]]; then
  echo "# table: $(old_conn "$SRV_NS")"; in_server ss -Mnaie; in_server ss -tnaie '( sport = :9000 )'
fi

echo "# N connections that each join: the daemon's counts equal the kernel's"
N=8
events_start "$ADMIN"
SRV_ACK0=$(mib "$SRV" MPJoinAckRx); CLI_SYNTX0=$(mib "$CLI" MPJoinSynTx); CLI_SYNACK0=$(mib "$CLI" MPJoinSynAckRx)
for i in $(seq $N); do
  JSON=$(in_client "$PROBE_BIN" "$SRV4" 8684 /download?size=128K "/?format=json&wait=3s")
  [[ $(jq '.subflows | length' <<<"$JSON") == 2 ]] || echo "connection $i did not join: $JSON"
done
SRV_ACK=$(( $(mib "$SRV" MPJoinAckRx) - SRV_ACK0 ))
CLI_SYNTX=$(( $(mib "$CLI" MPJoinSynTx) - CLI_SYNTX0 ))
CLI_SYNACK=$(( $(mib "$CLI" MPJoinSynAckRx) - CLI_SYNACK0 ))
assert_eq "$N" "$SRV_ACK" "the kernel saw $N joins on the server (MPJoinAckRx)"
closed_srv() { events_count ".type==\"connection_closed\" and .netns==$SRV_NS and .direction==\"inbound\""; }
wait_for_value "$N" closed_srv >/dev/null
assert_eq "$SRV_ACK" "$(events_count ".type==\"subflow_established\" and .kind==\"join\" and .direction==\"inbound\" and .netns==$SRV_NS")" "server joins seen = MPJoinAckRx delta"
assert_eq "$CLI_SYNACK" "$(events_count ".type==\"subflow_established\" and .kind==\"join\" and .direction==\"outbound\" and .netns==$CLI_NS")" "client joins seen = MPJoinSynAckRx delta"
assert_eq "$CLI_SYNTX" "$(events_count ".type==\"subflow_created\" and .kind==\"join\" and .netns==$CLI_NS")" "client join attempts seen = MPJoinSynTx delta"
assert_eq "$N" "$(events_count ".type==\"connection_established\" and .direction==\"inbound\" and .netns==$SRV_NS")" "$N inbound connections established"
assert_eq "$N" "$(events_count ".type==\"connection_established\" and .direction==\"outbound\" and .netns==$CLI_NS")" "$N outbound connections established"
assert_eq "$N" "$(closed_srv)" "$N inbound connections closed"
assert_eq "$((2 * N))" "$(events_count ".type==\"subflow_closed\" and .direction==\"inbound\" and .netns==$SRV_NS")" "every server subflow closed"
JOIN=$(events_show ".type==\"subflow_established\" and .kind==\"join\" and .netns==$SRV_NS" | head -1)
assert_match "^$CLI4_B:[0-9]+$" "$(jq -r .remote <<<"$JOIN")" "server join event names the second path's address"
assert_match '^[0-9]+$' "$(jq -r .handshake_us <<<"$JOIN")" "server join event has a handshake time"
assert_match '^[1-9][0-9]*$' "$(jq -r .local_id <<<"$(events_show ".type==\"subflow_established\" and .kind==\"join\" and .netns==$CLI_NS" | head -1)")" "client join uses the endpoint's address id"
assert_match '^[0-9]+$' "$(events_show ".type==\"subflow_established\" and .kind==\"join\" and .netns==$CLI_NS" | head -1 | jq -r .first_join_delay_us)" "first join carries the delay since establishment"
table_size() { api "/api/v1/connections?netns=$SRV_NS" | jq '.connections | length'; }
assert_eq 0 "$(wait_for_value 0 table_size)" "closed connections leave the table"
events_stop

echo "# a join refused on the second path is reported as a failed join"
events_start "$ADMIN"
in_router iptables -A FORWARD -i r2 -p tcp --syn -j REJECT --reject-with tcp-reset
CLI_SYNTX0=$(mib "$CLI" MPJoinSynTx); CLI_SYNACK0=$(mib "$CLI" MPJoinSynAckRx)
JSON=$(in_client "$PROBE_BIN" "$SRV4" 8684 /download?size=128K "/?format=json&wait=2s")
assert_eq 1 "$(jq '.subflows | length' <<<"$JSON")" "the checker shows only the initial subflow"
failed() { events_count ".type==\"join_failed\" and .netns==$CLI_NS"; }
CLI_SYNTX=$(( $(mib "$CLI" MPJoinSynTx) - CLI_SYNTX0 ))
assert_eq "$CLI_SYNTX" "$(wait_for_value "$CLI_SYNTX" failed)" "failed joins seen = MPJoinSynTx delta"
assert_eq 0 "$(( $(mib "$CLI" MPJoinSynAckRx) - CLI_SYNACK0 ))" "the kernel saw no SYN-ACK for them"
assert_eq "refused" "$(events_show ".type==\"join_failed\" and .netns==$CLI_NS" | head -1 | jq -r .reason)" "the reason is: refused"
in_router iptables -F FORWARD
events_stop

echo "# a path that strips the MPTCP option: fallback on both sides"
events_start "$ADMIN"
in_router iptables -t mangle -A FORWARD -p tcp --dport 8684 -j TCPOPTSTRIP --strip-options 30
CLI_FB0=$(mib "$CLI" MPCapableFallbackSYNACK); SRV_SYN0=$(mib "$SRV" MPCapableSYNRX)
in_client mptcpize run curl -s -o /dev/null "http://$SRV4:8684/"
fallback_cli() { events_count ".type==\"fallback\" and .netns==$CLI_NS"; }
assert_eq "$(( $(mib "$CLI" MPCapableFallbackSYNACK) - CLI_FB0 ))" "$(wait_for_value 1 fallback_cli)" "client fallbacks seen = MPCapableFallbackSYNACK delta"
assert_eq "no_mptcp" "$(events_show ".type==\"fallback\" and .netns==$CLI_NS" | jq -r .reason)" "client fallback reason: no_mptcp"
assert_eq 0 "$(( $(mib "$SRV" MPCapableSYNRX) - SRV_SYN0 ))" "the server's kernel saw no MP_CAPABLE SYN"
assert_eq "plain_client" "$(events_show ".type==\"fallback\" and .netns==$SRV_NS" | jq -r .reason)" "server: a plain client on the MPTCP listener"
in_router iptables -t mangle -F FORWARD
events_stop

echo "# a path that strips the MPTCP option after the handshake: the client's subflow still closes in the event stream"
# The SYN-ACK keeps its MP_CAPABLE; the server's data arrive without DSS, so
# the client falls back after being established (check_fully_established()
# clears mp_capable). Its close must still be reported.
events_start "$ADMIN"
in_router iptables -t mangle -A FORWARD -p tcp --sport 8684 --tcp-flags SYN NONE -j TCPOPTSTRIP --strip-options 30
in_client mptcpize run curl -s -m 5 -o /dev/null "http://$SRV4:8684/download?size=64K"
in_router iptables -t mangle -F FORWARD
initial_cli() { events_count ".type==\"$1\" and .netns==$CLI_NS and .direction==\"outbound\" and .kind==\"initial\""; }
assert_eq 1 "$(initial_cli subflow_established)" "the client's initial subflow was established as MPTCP"
late_closed() { initial_cli subflow_closed; }
assert_eq 1 "$(wait_for_value 1 late_closed)" "and its close is reported after the late fallback"
ESTABLISHED_COOKIE=$(events_show ".type==\"subflow_established\" and .netns==$CLI_NS and .kind==\"initial\"" | jq -r .cookie)
assert_eq "$ESTABLISHED_COOKIE" "$(events_show ".type==\"subflow_closed\" and .netns==$CLI_NS and .kind==\"initial\"" | jq -r .cookie)" "for the same subflow"
events_stop

echo "# IPv6 joins"
events_start "$ADMIN"
SRV_ACK0=$(mib "$SRV" MPJoinAckRx)
JSON=$(in_client "$PROBE_BIN" "$SRV6" 8684 /download?size=128K "/?format=json&wait=3s")
v6_joins() { events_count ".type==\"subflow_established\" and .kind==\"join\" and .family==\"ipv6\" and .netns==$SRV_NS"; }
assert_eq "$(( $(mib "$SRV" MPJoinAckRx) - SRV_ACK0 ))" "$(wait_for_value 1 v6_joins)" "IPv6 server joins seen = MPJoinAckRx delta"
assert_match "^\[$CLI6_B\]:[0-9]+$" "$(events_show ".type==\"subflow_established\" and .kind==\"join\" and .netns==$SRV_NS" | jq -r .remote)" "IPv6 join from the second path"
events_stop

echo "# a restart: subflows traced by the first daemon close under the second, each in its own direction"
# The callbacks the first program switched on outlive it; its socket storage
# does not. An outbound subflow must not come back as an inbound one.
start_in "$CLI" mptcpize run curl -s --limit-rate 200K -o /dev/null "http://$SRV4:9000/download?size=20M"
RESTART_CURL=$LAST_PID
assert_eq 2 "$(wait_for_value 2 subflows_to_9000)" "a connection to the untraced server joined under the first daemon"
kill "$DAEMON"; wait "$DAEMON" 2>/dev/null
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen 127.0.0.1:8685 --reconcile-interval 1s "${DAEMON_FLAGS[@]}" 2>>"$LOG"
DAEMON=$LAST_PID
wait_for_http "http://$SRV4:8684/healthz" || { cat "$LOG"; exit 1; }
events_start "$ADMIN"
kill "$RESTART_CURL"
for _ in $(seq 700); do [[ $(kernel_has_old) == 0 ]] && break; sleep 0.1; done
assert_eq 0 "$(kernel_has_old)" "the kernel closed the connection (ss -M)"
server_closes() { events_count ".type==\"subflow_closed\" and .netns==$SRV_NS and (.local | endswith(\":9000\"))"; }
assert_eq 2 "$(wait_for_value 2 server_closes)" "the server's two subflows closed, seen by the second daemon"
assert_eq "inbound" "$(events_show ".type==\"subflow_closed\" and .netns==$SRV_NS and (.local | endswith(\":9000\"))" | jq -r .direction | sort -u)" "server closes are inbound"
assert_eq 0 "$(events_count ".type==\"subflow_closed\" and .netns==$CLI_NS and .direction==\"inbound\"")" "no client subflow reported as an inbound close"
events_stop

echo "# a path that drops MP_CAPABLE SYNs: the kernel retries plain TCP, and that fallback is reported"
# After net.mptcp.syn_retrans_before_tcp_fallback unanswered SYNs, 6.12+
# retries without the option (mptcp_active_detect_blackhole()), which clears
# the subflow's request_mptcp. With blackhole_timeout 0 the namespace does not
# then turn MPTCP off for later connects.
if ! in_client test -e /proc/sys/net/mptcp/syn_retrans_before_tcp_fallback; then
  echo "# SKIP (loudly): THIS KERNEL HAS NO MPTCP BLACKHOLE DETECTION (6.12+): MP_CAPABLE SYN drop fallback not tested"
else
  in_client sysctl -qw net.mptcp.blackhole_timeout=0
  events_start "$ADMIN"
  in_router iptables -A FORWARD -p tcp --syn --dport 8684 -m tcp --tcp-option 30 -j DROP
  CLI_DROP0=$(mib "$CLI" MPCapableSYNTXDrop)
  in_client mptcpize run curl -s -m 15 -o /dev/null "http://$SRV4:8684/"
  in_router iptables -F FORWARD
  assert_eq 1 "$(( $(mib "$CLI" MPCapableSYNTXDrop) - CLI_DROP0 ))" "the client's kernel gave up on MP_CAPABLE (MPCapableSYNTXDrop)"
  dropped_fallback() { events_count ".type==\"fallback\" and .netns==$CLI_NS and .reason==\"no_mptcp\""; }
  assert_eq 1 "$(wait_for_value 1 dropped_fallback)" "and the client's fallback is reported"
  events_stop
fi

echo "# health"
HEALTH=$(api /healthz)
assert_eq "true" "$(jq .sources.bpf.active <<<"$HEALTH")" "healthz: bpf active"
assert_eq "true" "$(jq .sources.sock_diag.active <<<"$HEALTH")" "healthz: sock_diag active"
assert_eq "0" "$(jq .sources.bpf.lost <<<"$HEALTH")" "no events lost"
kill -0 "$DAEMON" 2>/dev/null && pass "daemon alive" || fail "daemon died"
assert_eq "" "$(grep -E ' (error|warn) ' "$LOG")" "no warnings or errors in the log"
finish
