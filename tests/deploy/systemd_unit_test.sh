#!/usr/bin/env bash
# The systemd unit, installed by `cmake --install`, is valid and as hardened
# as the README says, and the daemon works inside what it allows.
#
#   1. cmake --install into a scratch prefix puts the binary, the unit, the
#      dashboards and the alert rules in their FHS places, and the installed
#      unit's ExecStart names the installed binary.
#   2. systemd-analyze verify accepts the unit without a warning.
#   3. systemd-analyze security --offline rates it no worse than the README's
#      exposure score (--threshold: a new privilege fails this test).
#   4. The daemon, started as the unit starts it (a non-root user, the unit's
#      AmbientCapabilities and CapabilityBoundingSet, no_new_privs, via
#      setpriv), activates every source, and every system call it makes is
#      one the unit's SystemCallFilter allows (strace, checked against
#      `systemd-analyze syscall-filter`). Needs root and BPF (else skipped:
#      steps 1-3 still ran).
#
# Env: BUILD_DIR (the build tree). Exit 77 = steps 1-3 passed, 4 skipped.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD_DIR=${BUILD_DIR:?set BUILD_DIR to the build tree}
EXPOSURE_THRESHOLD=26   # 2.6, the README's figure; systemd counts tenths
work=$(mktemp -d /tmp/mptcp-observer-unit.XXXXXX)
daemon=
cleanup() {
  [[ -n "$daemon" ]] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok   $*"; }

# 1. install
prefix=$work/usr
cmake --install "$BUILD_DIR" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; fail "cmake --install"; }
unit=$prefix/lib/systemd/system/mptcp-observer.service
for f in bin/mptcp-observer lib/systemd/system/mptcp-observer.service \
         share/mptcp-observer/dashboards/mptcp-overview.json \
         share/mptcp-observer/dashboards/provisioning/dashboards/mptcp.yaml \
         share/mptcp-observer/prometheus/alerts.yml \
         share/mptcp-observer/kubernetes/daemonset.yaml \
         share/doc/mptcp-observer/README.md; do
  [[ -e $prefix/$f ]] || fail "cmake --install did not install $f"
done
ok "cmake --install: binary, unit, dashboards, alert rules, manifests, README"
grep -qx "ExecStart=$prefix/bin/mptcp-observer --metrics-listen \[::\]:9684" "$unit" || fail "installed unit's ExecStart: $(grep ExecStart= "$unit")"
ok "the installed unit starts the installed binary"

# 2. verify (it checks ExecStart's binary exists, hence the installed copy)
out=$(systemd-analyze verify --man=no "$unit" 2>&1) || { echo "$out"; fail "systemd-analyze verify"; }
[[ -z "$out" ]] || { echo "$out"; fail "systemd-analyze verify warned"; }
ok "systemd-analyze verify: no error, no warning"

# 3. exposure
score=$(systemd-analyze security --offline=yes "$unit" 2>&1 | grep -a 'Overall exposure level' | grep -oE '[0-9]+\.[0-9]+')
systemd-analyze security --offline=yes --threshold=$EXPOSURE_THRESHOLD "$unit" >/dev/null 2>&1 \
  || fail "exposure $score is above ${EXPOSURE_THRESHOLD:0:1}.${EXPOSURE_THRESHOLD:1}: a new privilege? update the README and the threshold if it is needed"
ok "systemd-analyze security: exposure $score"

# 4. the daemon under the unit's user, capabilities and system-call filter
if [[ $(id -u) -ne 0 ]] || ! command -v strace >/dev/null || ! command -v setpriv >/dev/null; then
  echo "skip: running the daemon as the unit does needs root, strace and setpriv"
  exit 77
fi
value() { sed -n "s/^$1=//p" "$unit" | tail -1; }
caps_list() { tr ' ' '\n' <<<"$1" | sed -n 's/^CAP_//p' | tr 'A-Z' 'a-z' | sed 's/^/+/' | paste -sd, -; }
ambient=$(caps_list "$(value AmbientCapabilities)")
bounding=$(caps_list "$(value CapabilityBoundingSet)")
[[ $(value NoNewPrivileges) == yes ]] || fail "the unit does not set NoNewPrivileges"
[[ $(value DynamicUser) == yes ]] || fail "the unit does not run as a DynamicUser"

# Its own network namespace (the ports are free, nothing else is seen), the
# host's mounts (the cgroup2 mount the unit's ProtectControlGroups shows).
admin=127.0.0.1:18685
unshare --net bash -c '
  ip link set lo up
  exec strace -f -qq -o "$1" setpriv --reuid 61684 --regid 61684 --clear-groups \
    --inh-caps "$2" --ambient-caps "$2" --bounding-set "-all,$3" --nnp \
    "$4" --listen 127.0.0.1:18684 --admin-listen "$5"' _ \
  "$work/strace" "$ambient" "$bounding" "$prefix/bin/mptcp-observer" "$admin" >"$work/daemon.log" 2>&1 &
daemon=$!
pid=
for _ in $(seq 100); do
  pid=$(pgrep -u 61684 -f "$prefix/bin/mptcp-observer" | head -1 || true)
  [[ -n "$pid" ]] && nsenter -t "$pid" -n curl -sf "http://$admin/healthz" -o "$work/healthz" && break
  sleep 0.2
done
[[ -s $work/healthz ]] || { cat "$work/daemon.log"; fail "the daemon did not serve /healthz"; }
grep -E '^(Uid|CapEff|CapBnd|NoNewPrivs)' "/proc/$pid/status" | sed 's/^/     /'
[[ $(awk '/^NoNewPrivs/ {print $2}' "/proc/$pid/status") == 1 ]] || fail "no_new_privs not set"
for source in bpf sock_diag getsockopt pm_netlink; do
  [[ $(jq -r ".sources.$source.active" "$work/healthz") == true ]] \
    || { cat "$work/daemon.log"; fail "source $source inactive as the unit runs it: $(jq -c ".sources.$source" "$work/healthz")"; }
done
ok "as uid 61684 with $(value AmbientCapabilities): every source active"
# Traffic that takes every path: a verdict, a wait, metrics, the API, a stream.
nsenter -t "$pid" -n bash -c "
  curl -sf http://127.0.0.1:18684/ >/dev/null
  mptcpize run curl -sf 'http://127.0.0.1:18684/?wait=300ms' >/dev/null
  curl -sf http://$admin/metrics >/dev/null
  curl -sf http://$admin/api/v1/connections >/dev/null
  timeout 1 curl -sN http://$admin/api/v1/events >/dev/null || true"
kill -TERM "$pid"
wait "$daemon" || true
daemon=

# Every system call made, against the filter: the unit's allow list, its
# deny list, expanded by systemd itself.
expand() {  # names in a filter expression's sets, groups expanded
  local item
  for item in "$@"; do
    if [[ $item == @* ]]; then
      systemd-analyze syscall-filter "$item" 2>/dev/null | awk 'NR > 1 && $1 !~ /^#/ && NF {print $1}' \
        | while read -r x; do expand "$x"; done
    else
      echo "$item"
    fi
  done
}
allow=$(sed -n 's/^SystemCallFilter=\([^~]\)/\1/p' "$unit" | tr ' ' '\n')
deny=$(sed -n 's/^SystemCallFilter=~//p' "$unit" | tr ' ' '\n')
expand $allow | sort -u >"$work/allowed"
expand $deny | sort -u >"$work/denied"
# setpriv's own calls before it executes the daemon are not the daemon's.
awk '/execve\(.*mptcp-observer/ {on = 1} on' "$work/strace" \
  | grep -oE '^[0-9]+ +[a-z_0-9]+\(' | awk '{sub(/\(/, "", $2); print $2}' | sort -u >"$work/used"
bad=$(comm -23 "$work/used" "$work/allowed"; comm -12 "$work/used" "$work/denied")
[[ -z "$bad" ]] || fail "system calls the unit's SystemCallFilter refuses: $(echo $bad)"
ok "SystemCallFilter allows all $(wc -l <"$work/used") system calls the daemon made"
