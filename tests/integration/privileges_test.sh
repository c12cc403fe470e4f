#!/usr/bin/env bash
# Least privilege: started as root with BPF on, the daemon keeps only
# CAP_SYS_ADMIN, CAP_SYS_PTRACE and CAP_NET_ADMIN once it serves, in every
# set of every thread, with no_new_privs; and everything that needs them
# still works after the drop. The daemon runs in a namespace of its own,
# and the test topology is built only after it serves, so that every
# namespace it must enter, and every path-manager group it must join, is
# new to it.
source "$(dirname "$0")/lib/prelude.sh"
source "$HERE/lib/events.sh"

topo_require_root
MON="${TOPO_ID}-mon"
TOPO_EXTRA_NS+=("$MON")
LOG=$(mktemp)
trap 'topo_down; rm -f "$LOG" "$EVENTS_FILE"' EXIT
ip netns add "$MON"
ip -n "$MON" link set lo up
ip netns exec "$MON" sysctl -qw net.mptcp.enabled=1
in_mon() { ip netns exec "$MON" "$@"; }
ADMIN=http://127.0.0.1:8685
api() { in_mon curl -s "$ADMIN$1"; }

# Debug: the path-manager source says in which namespaces it subscribes.
start_in "$MON" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen 127.0.0.1:8685 --reconcile-interval 1s \
  --log-level debug 2>"$LOG"
DAEMON=$LAST_PID
serving() { in_mon curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:8684/healthz; }
[[ $(wait_for_value 200 serving) == 200 ]] || { echo "FATAL: the daemon did not serve"; cat "$LOG"; exit 1; }

# Capability numbers of <linux/capability.h>.
CAP_DAC_OVERRIDE=1 CAP_NET_BIND_SERVICE=10 CAP_NET_ADMIN=12 CAP_NET_RAW=13 CAP_SYS_MODULE=16
CAP_SYS_PTRACE=19 CAP_SYS_ADMIN=21 CAP_SYS_RESOURCE=24 CAP_PERFMON=38 CAP_BPF=39
KEPT=$(printf '%016x' $(( (1 << CAP_NET_ADMIN) | (1 << CAP_SYS_PTRACE) | (1 << CAP_SYS_ADMIN) )))
NONE=0000000000000000
EXPECTED="CapInh:$NONE CapPrm:$KEPT CapEff:$KEPT CapBnd:$KEPT CapAmb:$NONE NoNewPrivs:1"

# Capabilities are per thread: every thread of the daemon, not only the
# main one, must show exactly the kept set.
thread_states() {  # one line per thread: "name CapInh:... ... NoNewPrivs:N"
  local task
  for task in /proc/"$DAEMON"/task/*; do
    local state
    state=$(awk '/^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):/ {printf "%s%s ", $1, $2}' "$task/status" 2>/dev/null) || continue
    [[ -n "$state" ]] && echo "$(cat "$task/comm" 2>/dev/null) ${state% }"
  done
}
check_every_thread() {  # when
  local states others held=0 set
  states=$(thread_states)
  others=$(grep -v -F " $EXPECTED" <<<"$states")
  assert_match '^[1-9][0-9]+$' "$(wc -l <<<"$states")" "$1: the daemon has its threads (one per loop and worker)"
  assert_eq "" "$others" "$1: every thread holds exactly CAP_NET_ADMIN, CAP_SYS_PTRACE, CAP_SYS_ADMIN, nothing inheritable or ambient, no_new_privs"
  # What start-up needed and no thread may keep, named one by one.
  for set in $(grep -o -E 'Cap(Prm|Eff|Bnd|Inh|Amb):[0-9a-f]+' <<<"$states" | cut -d: -f2); do
    held=$(( held | 16#$set ))
  done
  local cap gone=""
  for cap in CAP_BPF CAP_PERFMON CAP_SYS_MODULE CAP_NET_RAW CAP_DAC_OVERRIDE CAP_SYS_RESOURCE CAP_NET_BIND_SERVICE; do
    (( held & (1 << ${!cap}) )) && gone+=" $cap"
  done
  assert_eq "" "$gone" "$1: no thread holds CAP_BPF, CAP_PERFMON, CAP_SYS_MODULE, CAP_NET_RAW, CAP_DAC_OVERRIDE, CAP_SYS_RESOURCE, CAP_NET_BIND_SERVICE"
}

echo "# after start-up"
check_every_thread "serving"
assert_eq 1 "$(grep -c "info  privileges: kept CAP_SYS_ADMIN (setns into network namespaces), CAP_SYS_PTRACE (opening other processes' /proc/PID/ns/net), CAP_NET_ADMIN (subflow tokens from sock_diag, path-manager events); dropped the rest in every thread ([0-9]*); no_new_privs set" "$LOG")" "one log line says what was kept and why"
HEALTH=$(api /healthz)
assert_eq "true" "$(jq .sources.bpf.active <<<"$HEALTH")" "healthz: bpf active"
assert_eq "true" "$(jq .sources.pm_netlink.active <<<"$HEALTH")" "healthz: path-manager events active"

echo "# an event stream opened after the drop joins the path-manager group (CAP_NET_ADMIN)"
events_start_in() {  # as events_start, from the daemon's namespace
  EVENTS_FILE=$(mktemp)
  ip netns exec "$MON" curl -sN "$ADMIN/api/v1/events" >"$EVENTS_FILE" &
  EVENTS_PID=$!
  TOPO_PIDS+=("$EVENTS_PID")
  sleep 0.3
}
events_start_in
listening() { api /healthz | jq -r .sources.pm_netlink.listening; }
assert_eq "true" "$(wait_for_value true listening)" "listening to the path manager"

echo "# network namespaces created after the drop (the whole test topology)"
topo_up
trap 'topo_down; rm -f "$LOG" "$EVENTS_FILE"' EXIT
SRV_NS=$(netns_inode "$SRV"); CLI_NS=$(netns_inode "$CLI")
# Each rescan (after each reconcile) subscribes in the namespaces that
# appeared: entering needs CAP_SYS_ADMIN, joining the group CAP_NET_ADMIN.
subscribed() { grep -c -E "debug pm-events: listening in network namespace ($CLI|$SRV)\$" "$LOG"; }
assert_eq 2 "$(wait_for_value 2 subscribed)" "the path-manager source subscribed in the new client and server namespaces"

# A server the client reaches, announcing a second address (ADD_ADDR).
SRV4_B=10.0.3.3
_addr "$SRV" "$SRV4_B/24" s1
ip -n "$SRV" mptcp endpoint add "$SRV4_B" dev s1 signal id 7
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:9000' --admin-listen '' --no-bpf 2>/dev/null
wait_for_http "http://$SRV4:9000/healthz"
CLI_ADD0=$(mib "$CLI" AddAddr)
start_in "$CLI" mptcpize run curl -s --limit-rate 100K -o /dev/null "http://$SRV4:9000/download?size=50M"

echo "# BPF events still arrive"
established() { events_count ".type==\"subflow_established\" and .netns==$SRV_NS and (.local | endswith(\":9000\"))"; }
assert_match '^[1-9]' "$(wait_for_value 2 established)" "subflow_established events for the server's connection (BPF)"

echo "# the path manager's events still arrive"
announced() { events_count ".type==\"address_announced\" and .netns==$CLI_NS"; }
assert_eq 1 "$(wait_for_value 1 announced)" "address_announced in the client's namespace"
assert_eq 1 "$(( $(mib "$CLI" AddAddr) - CLI_ADD0 ))" "as the client's kernel counted (AddAddr)"

echo "# the reconciler still enters new namespaces (CAP_SYS_ADMIN) and reads their subflows (CAP_NET_ADMIN)"
reconciled() {
  api "/api/v1/connections?netns=$CLI_NS" |
    jq -r '[.connections[] | select(.remote | endswith(":9000")) | select(.sources | index("sock_diag"))] | length'
}
assert_eq 1 "$(wait_for_value 1 reconciled)" "the client's connection, in a /run/netns namespace created after start-up, is confirmed by sock_diag"

echo "# and finds a namespace that only a process of another user holds (CAP_SYS_PTRACE)"
# No file in /run/netns: the daemon finds it through /proc/PID/ns/net only,
# which the kernel opens for us only with ptrace read access to a process
# of another user.
# Each started directly, not through a shell function: in the background,
# that would be a subshell whose end leaves the command running. unshare,
# nsenter, setpriv and mptcpize exec what they run, so $! is the process.
AS_NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all)
unshare -n "${AS_NOBODY[@]}" sleep 600 &
HOLDER=$!
TOPO_PIDS+=("$HOLDER")
holder_ready() { [[ $(cat /proc/$HOLDER/comm 2>/dev/null) == sleep && $(stat -c %u /proc/$HOLDER) == 65534 ]] && echo yes; }
[[ $(wait_for_value yes holder_ready) == yes ]] || { echo "FATAL: no namespace holder"; exit 1; }
HIDDEN_NS=$(stat -L -c %i /proc/$HOLDER/ns/net)
in_hidden() { nsenter --net=/proc/$HOLDER/ns/net "$@"; }
in_hidden ip link set lo up
in_hidden sysctl -qw net.mptcp.enabled=1
nsenter --net=/proc/$HOLDER/ns/net "${AS_NOBODY[@]}" "$OBSERVER_BIN" --listen 127.0.0.1:9100 --admin-listen '' --no-bpf 2>/dev/null &
TOPO_PIDS+=("$!")
hidden_serving() { in_hidden curl -s -o /dev/null -w '%{http_code}' --max-time 1 http://127.0.0.1:9100/healthz; }
wait_for_value 200 hidden_serving >/dev/null
nsenter --net=/proc/$HOLDER/ns/net "${AS_NOBODY[@]}" mptcpize run curl -s --limit-rate 50K -o /dev/null "http://127.0.0.1:9100/download?size=50M" &
TOPO_PIDS+=("$!")
hidden_seen() { api "/api/v1/connections?netns=$HIDDEN_NS" | jq '[.connections[] | select(.sources | index("sock_diag"))] | length'; }
assert_match '^[1-9]' "$(wait_for_value 2 hidden_seen)" "its MPTCP connections are in the table, found by sock_diag"

echo "# after all of that, still every thread"
events_stop
check_every_thread "at the end"
kill -0 "$DAEMON" 2>/dev/null && pass "daemon alive" || fail "daemon died"
assert_eq "" "$(grep -E ' (error|warn) ' "$LOG")" "no warnings or errors in the log"
finish
