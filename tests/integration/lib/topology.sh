# The test topology, used by every integration test (source this file).
#
#   client  c1 10.0.1.2 fd00:1::2 ---- r1 10.0.1.1 fd00:1::1  router  r3 10.0.3.1 fd00:3::1 ---- s1 10.0.3.2 fd00:3::2  server
#           c2 10.0.2.2 fd00:2::2 ---- r2 10.0.2.1 fd00:2::1
#
# The client is multihomed: c1 is its default path, c2 an MPTCP "subflow"
# endpoint with source routing, so a join from 10.0.2.2 really leaves by c2.
# The server is single-homed. Namespace names carry the test's PID, so tests
# can run side by side; topo_down removes everything, and topo_up installs
# it as an EXIT trap so that a failing test still cleans up.

TOPO_ID="mpo$$"
CLI="${TOPO_ID}-cli"
RTR="${TOPO_ID}-rtr"
SRV="${TOPO_ID}-srv"
TOPO_EXTRA_NS=()
TOPO_PIDS=()
TOPO_CGROUP=""
TOPO_CGROUP_MOUNT=""

SRV4=10.0.3.2
SRV6=fd00:3::2
CLI4_A=10.0.1.2
CLI4_B=10.0.2.2
CLI6_A=fd00:1::2
CLI6_B=fd00:2::2

in_client() { ip netns exec "$CLI" "$@"; }
in_router() { ip netns exec "$RTR" "$@"; }
in_server() { ip netns exec "$SRV" "$@"; }

topo_require_root() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "FATAL: integration tests build network namespaces and need root" >&2
    exit 1
  fi
  if [[ ! -e /proc/sys/net/mptcp/enabled ]]; then
    # The one legitimate skip: this kernel has no MPTCP at all.
    echo "SKIP: THIS KERNEL HAS NO MPTCP (no /proc/sys/net/mptcp); integration test not run" >&2
    exit 77
  fi
}

topo_down() {
  local pid ns
  for pid in "${TOPO_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${TOPO_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  for ns in "$CLI" "$RTR" "$SRV" "${TOPO_EXTRA_NS[@]}"; do
    ip netns del "$ns" 2>/dev/null || true
  done
  if [[ -n "$TOPO_CGROUP" ]]; then
    # Only this test's processes are in it; whatever still runs there goes.
    for pid in $(cat "$TOPO_CGROUP/cgroup.procs" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    for _ in $(seq 50); do rmdir "$TOPO_CGROUP" 2>/dev/null && break; sleep 0.1; done
    umount "$TOPO_CGROUP_MOUNT" 2>/dev/null
    rmdir "$TOPO_CGROUP_MOUNT" 2>/dev/null || true
  fi
}

# Adds an address without duplicate address detection, so IPv6 is usable at once.
_addr() { ip -n "$1" addr add "$2" dev "$3" nodad 2>/dev/null || ip -n "$1" addr add "$2" dev "$3"; }

_link() {  # ns_a dev_a ns_b dev_b
  ip link add "$2" netns "$1" type veth peer name "$4" netns "$3"
  ip -n "$1" link set "$2" up
  ip -n "$3" link set "$4" up
}

topo_up() {
  topo_require_root
  trap topo_down EXIT
  local ns
  for ns in "$CLI" "$RTR" "$SRV"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip netns exec "$ns" sysctl -qw net.mptcp.enabled=1
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  done
  _link "$CLI" c1 "$RTR" r1
  _link "$CLI" c2 "$RTR" r2
  _link "$RTR" r3 "$SRV" s1

  _addr "$CLI" 10.0.1.2/24 c1; _addr "$CLI" fd00:1::2/64 c1
  _addr "$CLI" 10.0.2.2/24 c2; _addr "$CLI" fd00:2::2/64 c2
  _addr "$RTR" 10.0.1.1/24 r1; _addr "$RTR" fd00:1::1/64 r1
  _addr "$RTR" 10.0.2.1/24 r2; _addr "$RTR" fd00:2::1/64 r2
  _addr "$RTR" 10.0.3.1/24 r3; _addr "$RTR" fd00:3::1/64 r3
  _addr "$SRV" 10.0.3.2/24 s1; _addr "$SRV" fd00:3::2/64 s1
  in_router sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

  ip -n "$SRV" route add default via 10.0.3.1
  ip -n "$SRV" -6 route add default via fd00:3::1
  ip -n "$CLI" route add default via 10.0.1.1 dev c1
  ip -n "$CLI" -6 route add default via fd00:1::1 dev c1
  # Source routing: what leaves from the second address takes the second path.
  ip -n "$CLI" route add default via 10.0.2.1 dev c2 table 102
  ip -n "$CLI" rule add from 10.0.2.2 table 102
  ip -n "$CLI" -6 route add default via fd00:2::1 dev c2 table 102
  ip -n "$CLI" -6 rule add from fd00:2::2 table 102

  ip -n "$CLI" mptcp limits set subflows 2 add_addr_accepted 2
  ip -n "$CLI" mptcp endpoint add 10.0.2.2 dev c2 subflow
  ip -n "$CLI" mptcp endpoint add fd00:2::2 dev c2 subflow
  ip -n "$SRV" mptcp limits set subflows 2 add_addr_accepted 2
}

# A cgroup v2 of the test's own (TOPO_CGROUP), for a daemon that must trace
# only the processes the test puts there (--cgroup "$TOPO_CGROUP"): its
# figures are host-wide by design, and so compare with one namespace's
# kernel counters only when no other test's subflows reach it. The cgroup2
# hierarchy is mounted again below a temporary directory, because `ip netns
# exec` remounts /sys and hides /sys/fs/cgroup from the daemon. topo_down
# removes both.
topo_cgroup_up() {
  TOPO_CGROUP_MOUNT=$(mktemp -d)
  if ! mount -t cgroup2 none "$TOPO_CGROUP_MOUNT"; then
    rmdir "$TOPO_CGROUP_MOUNT"
    TOPO_CGROUP_MOUNT=""
    echo "FATAL: cannot mount cgroup2 (sock_ops tracing needs cgroup v2)" >&2
    return 1
  fi
  TOPO_CGROUP=$TOPO_CGROUP_MOUNT/$TOPO_ID
  mkdir "$TOPO_CGROUP"
}

# in_cgroup NS CMD...: runs CMD in a namespace, in TOPO_CGROUP. The process
# joins the cgroup before it enters the namespace and stays in it across
# exec, so its sockets, and the subflows MPTCP makes for them, are traced.
in_cgroup() {
  local ns=$1; shift
  sh -c 'echo $$ >"$0/cgroup.procs" && exec ip netns exec "$@"' "$TOPO_CGROUP" "$ns" "$@"
}

# An extra namespace on the server's segment is not needed by most tests;
# tests that need one add it to TOPO_EXTRA_NS so topo_down removes it.

# Runs a command in the background inside a namespace and remembers it, so
# topo_down stops it. Sets LAST_PID.
start_in() {
  local ns=$1; shift
  ip netns exec "$ns" "$@" &
  LAST_PID=$!
  TOPO_PIDS+=("$LAST_PID")
}

# Waits (bounded) until URL answers from inside the client namespace.
wait_for_http() {
  local url=$1
  for _ in $(seq 100); do
    in_client curl -s -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  echo "FATAL: $url did not answer within 10s" >&2
  return 1
}

# The value of one MPTcpExt counter in a namespace (0 before its first MPTCP socket).
mib() {
  ip netns exec "$1" awk -v name="$2" '
    /^MPTcpExt:/ { if (!hdr) { for (i = 2; i <= NF; i++) idx[$i] = i; hdr = 1 } else { print (name in idx) ? $idx[name] : 0; found = 1 } }
    END { if (!found) print 0 }' /proc/net/netstat
}

# The inode that identifies a namespace in the daemon's events and API.
netns_inode() { ip netns exec "$1" stat -L -c %i /proc/self/ns/net; }

# Polls (bounded, 10s) until "$@" prints $expected; prints the last value.
wait_for_value() {
  local expected=$1; shift
  local value
  for _ in $(seq 100); do
    value=$("$@")
    [[ "$value" == "$expected" ]] && break
    sleep 0.1
  done
  echo "$value"
}
