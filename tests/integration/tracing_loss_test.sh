#!/usr/bin/env bash
# What happens when events are lost, and whether churn leaks: a tiny ring
# buffer and a stalled consumer make the kernel side drop events (counted),
# and the next sock_diag reconciliation restores the table to what the
# kernel has. A bounded soak of churn leaves the table and the daemon's
# memory where they started.
source "$(dirname "$0")/lib/prelude.sh"
: "${PROBE_BIN:?path to mptcp_http_probe}"

topo_up
LOG=$(mktemp); trap 'topo_down; rm -f "$LOG"' EXIT
SRV_NS=$(netns_inode "$SRV")
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen 127.0.0.1:8685 \
  --bpf-ringbuf-size 4K --reconcile-interval 1s 2>"$LOG"
DAEMON=$LAST_PID
wait_for_http "http://$SRV4:8684/healthz" || { cat "$LOG"; exit 1; }
# The traffic goes to a second, untraced instance on port 9000, which keeps
# serving while the tracing daemon is stopped; BPF sees it all the same.
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:9000' --admin-listen '' --no-bpf 2>/dev/null
TARGET=$LAST_PID
wait_for_http "http://$SRV4:9000/healthz" 
api() { in_server curl -s "http://127.0.0.1:8685$1"; }
churn() {  # N connections, 4 at a time, each sending data so that it joins
  local n=$1 pids
  for _ in $(seq $((n / 4))); do
    pids=()
    for _ in 1 2 3 4; do in_client "$PROBE_BIN" "$SRV4" 9000 /download?size=16K / >/dev/null & pids+=($!); done
    wait "${pids[@]}"  # only these: a bare wait would wait for the daemons too
  done
}
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$DAEMON/status"; }
server_conns() { api "/api/v1/connections?netns=$SRV_NS" | jq '.connections | length'; }
# Kernel truth: established MPTCP sockets in the server namespace (ss -M).
kernel_conns() { in_server ss -MHn state established | wc -l; }

echo "# events lost while the consumer stalls are counted"
kill -STOP "$DAEMON"
churn 40
# Connections opened while nobody reads: their events are the ones lost.
for i in 1 2 3; do
  start_in "$CLI" mptcpize run curl -s --limit-rate 100K -o /dev/null "http://$SRV4:9000/download?size=50M"
done
sleep 1
kill -CONT "$DAEMON"
lost() { api /healthz | jq .sources.bpf.lost; }
LOST=$(lost)
assert_match '^[1-9][0-9]*$' "$LOST" "the kernel side counted lost events ($LOST)"
assert_eq 3 "$(wait_for_value 3 kernel_conns)" "the kernel has the 3 long downloads open"
assert_eq "$(kernel_conns)" "$(wait_for_value "$(kernel_conns)" server_conns)" "after reconciliation the table has what ss -M shows"
two_subflows() { api "/api/v1/connections?netns=$SRV_NS" | jq '[.connections[] | select((.subflows | length) == 2)] | length'; }
assert_eq 3 "$(wait_for_value 3 two_subflows)" "each restored connection has both subflows"
for pid in "${TOPO_PIDS[@]}"; do [[ $pid != "$DAEMON" && $pid != "$TARGET" ]] && kill "$pid" 2>/dev/null; done
assert_eq 0 "$(wait_for_value 0 server_conns)" "closed downloads leave the table"

echo "# a bounded soak of churn leaves table and memory where they started"
churn 200   # warm-up: allocator pools, thread stacks
sleep 1.5
BASE_RSS=$(rss_kb)
churn 1000
assert_eq 0 "$(wait_for_value 0 server_conns)" "the table is empty again after 1000 connections"
RSS=$(rss_kb)
GROWTH=$((RSS - BASE_RSS))
echo "rss before ${BASE_RSS} kB, after ${RSS} kB"
if ((GROWTH < 2048)); then pass "memory grew by less than 2 MiB (${GROWTH} kB)"; else fail "memory grew by ${GROWTH} kB over 1000 connections"; fi
kill -0 "$DAEMON" 2>/dev/null && pass "daemon alive" || fail "daemon died"
finish
