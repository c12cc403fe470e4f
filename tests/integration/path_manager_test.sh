#!/usr/bin/env bash
# What only the path manager knows, in the event stream and the table, checked
# against the kernel's counters: an address the server announces (ADD_ADDR),
# a subflow the client marks as backup (MP_PRIO), the address withdrawn
# (RM_ADDR). The daemon runs in the server namespace and hears the client's
# path manager too, through /run/netns.
source "$(dirname "$0")/lib/prelude.sh"
source "$HERE/lib/events.sh"

topo_up
LOG=$(mktemp); trap 'topo_down; rm -f "$LOG" "$EVENTS_FILE"' EXIT
SRV_NS=$(netns_inode "$SRV"); CLI_NS=$(netns_inode "$CLI")
ADMIN=http://127.0.0.1:8685
api() { in_server curl -s "$ADMIN$1"; }

# A second server address that the server announces to its clients.
SRV4_B=10.0.3.3
_addr "$SRV" "$SRV4_B/24" s1
ip -n "$SRV" mptcp endpoint add "$SRV4_B" dev s1 signal id 7

start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen 127.0.0.1:8685 --reconcile-interval 1s 2>"$LOG"
DAEMON=$LAST_PID
wait_for_http "http://$SRV4:8684/healthz" || { cat "$LOG"; exit 1; }
HEALTH=$(api /healthz)
assert_eq "true" "$(jq .sources.pm_netlink.active <<<"$HEALTH")" "healthz: the path-manager source is active"
assert_match '^[3-9]$|^[1-9][0-9]+$' "$(jq .sources.pm_netlink.namespaces <<<"$HEALTH")" "it listens in the client's and router's namespaces too"

# The kernel builds a netlink message for every connection change in a
# namespace where anyone listens: the daemon listens only while a stream is open.
listening() { api /healthz | jq -r .sources.pm_netlink.listening; }
assert_eq "false" "$(listening)" "no event stream open: not listening to the path manager"
events_start "$ADMIN"
assert_eq "true" "$(wait_for_value true listening)" "an event stream opened: listening"
CLI_ADD0=$(mib "$CLI" AddAddr); SRV_PRIO0=$(mib "$SRV" MPPrioRx); CLI_RM0=$(mib "$CLI" RmAddr)
SRV_ECHO0=$(mib "$SRV" EchoAdd)

echo "# the server announces its second address"
# A slow download keeps one connection open for the whole test.
start_in "$CLI" mptcpize run curl -s --limit-rate 100K -o /dev/null "http://$SRV4:8684/download?size=50M"
subflows_to_b() { in_client ss -tnH state established "( dst $SRV4_B )" | wc -l; }
assert_eq 1 "$(wait_for_value 1 subflows_to_b)" "the client joined the announced address (ss)"
announced() { events_count ".type==\"address_announced\" and .netns==$CLI_NS"; }
CLI_ADD=$(( $(mib "$CLI" AddAddr) - CLI_ADD0 ))
assert_eq 1 "$CLI_ADD" "the client's kernel received one ADD_ADDR (AddAddr)"
assert_eq "$CLI_ADD" "$(wait_for_value "$CLI_ADD" announced)" "address_announced events = AddAddr delta"
ANN=$(events_show ".type==\"address_announced\" and .netns==$CLI_NS" | head -1)
# Without a port in the ADD_ADDR, the kernel names the connection's port.
assert_eq "$SRV4_B:8684" "$(jq -r .address <<<"$ANN")" "the event names the announced address"
assert_eq 7 "$(jq -r .remote_id <<<"$ANN")" "and the server's address id"

echo "# the client marks its second path as backup"
CLI_EP=$(ip -n "$CLI" mptcp endpoint show | awk '$1 == "'"$CLI4_B"'" {for (i = 1; i <= NF; i++) if ($i == "id") print $(i + 1)}')
ip -n "$CLI" mptcp endpoint change id "$CLI_EP" backup
priority() { events_count ".type==\"subflow_priority\" and .netns==$SRV_NS"; }
prio_rx() { echo $(( $(mib "$SRV" MPPrioRx) - SRV_PRIO0 )); }
SRV_PRIO=$(wait_for_value 1 prio_rx)
assert_eq 1 "$SRV_PRIO" "the server's kernel received one MP_PRIO (MPPrioRx)"
assert_eq "$SRV_PRIO" "$(wait_for_value "$SRV_PRIO" priority)" "subflow_priority events on the server = MPPrioRx delta"
PRIO=$(events_show ".type==\"subflow_priority\" and .netns==$SRV_NS" | head -1)
assert_eq "true" "$(jq -r .backup <<<"$PRIO")" "the event says backup"
assert_match "^$CLI4_B:[0-9]+$" "$(jq -r .remote <<<"$PRIO")" "for the subflow from the client's second address"
backup_in_table() {
  api "/api/v1/connections?netns=$SRV_NS" | jq -r --arg a "$CLI4_B" \
    '[.connections[].subflows[] | select(.remote | startswith($a + ":")) | .backup] | join(",")'
}
assert_eq "true" "$(wait_for_value true backup_in_table)" "the table shows that subflow as backup"

echo "# the server withdraws the address"
# The kernel sends an RM_ADDR once and never again: under the download's
# traffic another packet can take the option and lose it (about one run in
# twelve here). The kernel's counters show it; the address is then announced
# again and withdrawn again, at most three times. And an ADD_ADDR not yet
# echoed makes the kernel drop the RM_ADDR outright (RmAddrTxDrop): wait for
# the echo first.
echo_rx() { echo $(( $(mib "$SRV" EchoAdd) - SRV_ECHO0 )); }
assert_eq 1 "$(wait_for_value 1 echo_rx)" "the client echoed the ADD_ADDR (EchoAdd)"
removed() { events_count ".type==\"address_removed\" and .netns==$CLI_NS"; }
rm_rx() { echo $(( $(mib "$CLI" RmAddr) - CLI_RM0 )); }
for attempt in 1 2 3; do
  ip -n "$SRV" mptcp endpoint delete id 7
  CLI_RM=$(wait_for_value 1 rm_rx)
  [[ $CLI_RM == 1 || $attempt == 3 ]] && break
  echo "# attempt $attempt: no RM_ADDR arrived (server RmAddrTx $(mib "$SRV" RmAddrTx), RmAddrTxDrop $(mib "$SRV" RmAddrTxDrop)); announcing the address again"
  ECHO_BEFORE=$(mib "$SRV" EchoAdd)
  ip -n "$SRV" mptcp endpoint add "$SRV4_B" dev s1 signal id 7
  echoed_again() { echo $(( $(mib "$SRV" EchoAdd) - ECHO_BEFORE )); }
  wait_for_value 1 echoed_again >/dev/null
done
assert_eq 1 "$CLI_RM" "the client's kernel received one RM_ADDR (RmAddr)"
assert_eq "$CLI_RM" "$(wait_for_value "$CLI_RM" removed)" "address_removed events = RmAddr delta"
assert_eq 7 "$(events_show ".type==\"address_removed\" and .netns==$CLI_NS" | head -1 | jq -r .remote_id)" "it names address id 7"
events_stop
assert_eq "false" "$(wait_for_value false listening)" "the stream closed: not listening any more"

echo "# with no stream open, a snapshot carries the backup flag to the table"
ip -n "$CLI" mptcp endpoint change id "$CLI_EP" nobackup
assert_eq "false" "$(wait_for_value false backup_in_table)" "the table shows that subflow as no longer backup"

echo "# health"
assert_eq "0" "$(api /healthz | jq .sources.pm_netlink.overruns)" "no path-manager events lost"
kill -0 "$DAEMON" 2>/dev/null && pass "daemon alive" || fail "daemon died"
assert_eq "" "$(grep -E ' (error|warn) ' "$LOG")" "no warnings or errors in the log"
finish
