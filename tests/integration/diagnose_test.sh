#!/usr/bin/env bash
# `mptcp-observer diagnose`: each misconfiguration built in the topology,
# and the healthy client with nothing to fix. Where a finding cites a
# kernel counter, the test makes the traffic and checks that it moved.
source "$(dirname "$0")/lib/prelude.sh"
topo_up

OUT=$(mktemp)
trap 'topo_down; rm -f "$OUT"' EXIT

# diagnose NS [ARGS...]: sets JSON and STATUS.
diagnose() {
  local ns=$1; shift
  "$OBSERVER_BIN" diagnose --netns "$ns" --json "$@" >"$OUT"
  STATUS=$?
  JSON=$(cat "$OUT")
}
has() { jq -r --arg c "$1" '[.checks[] | select(.code == $c)] | length' <<<"$JSON"; }
status_of() { jq -r --arg c "$1" '[.checks[] | select(.code == $c) | .status] | first // "absent"' <<<"$JSON"; }

echo "# the healthy client: subflow endpoints routed by their own interface, nothing to fix"
diagnose "$CLI" --target "$SRV4"
assert_eq 0 "$STATUS" "exit status 0"
assert_eq ok "$(status_of endpoint_routed)" "the subflow endpoint is routed by its dev"
assert_contains "routed by c2" "$(jq -r '.checks[] | select(.code=="endpoint_routed") | .title' <<<"$JSON" | head -1)" "by c2"
assert_eq 0 "$(jq '[.checks[] | select(.status=="problem" or .status=="warning")] | length' <<<"$JSON")" "no problem, no warning"
TEXT=$("$OBSERVER_BIN" diagnose --netns "$CLI")
assert_match "✓ MPTCP is enabled" "$TEXT" "the text report marks each check"

echo "# MPTCP disabled in the client namespace"
in_client sysctl -qw net.mptcp.enabled=0
diagnose "$CLI"
in_client sysctl -qw net.mptcp.enabled=1
assert_eq 1 "$STATUS" "exit status 1"
assert_eq problem "$(status_of mptcp_disabled)" "names net.mptcp.enabled"
assert_contains "sysctl -w net.mptcp.enabled=1" "$(jq -r '.checks[] | select(.code=="mptcp_disabled") | .fix' <<<"$JSON")" "and the command that fixes it"

echo "# a subflow endpoint without its routing rule"
in_client ip rule del from 10.0.2.2 table 102
diagnose "$CLI" --target "$SRV4"
assert_eq problem "$(status_of endpoint_wrong_route)" "traffic from 10.0.2.2 leaves by c1, not c2"
assert_contains "ip rule add from 10.0.2.2" "$(jq -r '.checks[] | select(.code=="endpoint_wrong_route") | .fix' <<<"$JSON")" "the fix is a policy rule"
in_client ip rule add from 10.0.2.2 table 102

echo "# the client's subflows limit is 0, with endpoints: no join is ever opened"
in_client ip mptcp limits set subflows 0 add_addr_accepted 0
SYN0=$(mib "$CLI" MPJoinSynTx)
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen '' --no-bpf 2>/dev/null
wait_for_http "http://$SRV4:8684/healthz" || exit 1
in_client mptcpize run curl -s -o /dev/null "http://$SRV4:8684/?wait=500ms"
diagnose "$CLI"
assert_eq problem "$(status_of subflow_limit_zero)" "names the subflows limit"
assert_eq 0 "$(( $(mib "$CLI" MPJoinSynTx) - SYN0 ))" "and no join SYN left (MPJoinSynTx flat)"
in_client ip mptcp limits set subflows 2 add_addr_accepted 2

echo "# no endpoints at all"
in_client ip mptcp endpoint flush
diagnose "$CLI"
assert_eq warning "$(status_of no_endpoints)" "says there are no endpoints"
in_client ip mptcp endpoint add 10.0.2.2 dev c2 subflow

echo "# strict reverse-path filtering on the server side"
in_server sysctl -qw net.ipv4.conf.all.rp_filter=1
diagnose "$SRV"
in_server sysctl -qw net.ipv4.conf.all.rp_filter=0
assert_eq warning "$(status_of strict_rp_filter)" "names strict rp_filter"
assert_contains "s1" "$(jq -r '.checks[] | select(.code=="strict_rp_filter") | .title' <<<"$JSON")" "on s1"

echo "# a daemon in the client namespace: diagnose reads the joins that failed from its admin API"
: "${PROBE_BIN:?path to mptcp_http_probe}"
topo_cgroup_up || exit 1
start_in "$CLI" "$OBSERVER_BIN" --listen 127.0.0.1:8684 --admin-listen 127.0.0.1:8685 --cgroup "$TOPO_CGROUP" \
  --netns-dir '' --reconcile-interval 3600s 2>/dev/null
wait_for_http "http://127.0.0.1:8685/healthz" || exit 1
in_server ip mptcp limits set subflows 0
REJ0=$(mib "$SRV" MPJoinRejected)
in_cgroup "$CLI" "$PROBE_BIN" "$SRV4" 8684 /download?size=128K "/?format=json&wait=1s" >/dev/null
in_server ip mptcp limits set subflows 2
assert_match '^[1-9]' "$(( $(mib "$SRV" MPJoinRejected) - REJ0 ))" "the server refused the join (MPJoinRejected moved)"
for _ in $(seq 20); do
  diagnose "$CLI"
  [[ "$(status_of daemon_join_failures)" == warning ]] && break
  sleep 0.2
done
assert_eq warning "$(status_of daemon_join_failures)" "the daemon's failed joins are reported"
assert_contains "rejected_by_peer" "$(jq -r '.checks[] | select(.code=="daemon_join_failures") | .title' <<<"$JSON")" "with their reason"

echo "# a router that drops SYNs carrying option 30 (last: the client's kernel then stops asking for MPTCP for a while)"
in_router iptables -A FORWARD -p tcp --syn -m tcp --tcp-option 30 -j DROP
diagnose "$RTR"
assert_eq problem "$(status_of firewall_touches_mptcp)" "the router's rule is found"
assert_contains "--tcp-option 30" "$(jq -r '.checks[] | select(.code=="firewall_touches_mptcp") | .evidence' <<<"$JSON")" "and quoted"
DROP0=$(mib "$CLI" MPCapableSYNTXDrop)
# The kernel retries without MPTCP after net.mptcp.syn_retrans_before_tcp_fallback SYNs.
in_client mptcpize run curl -s -o /dev/null --max-time 20 "http://$SRV4:8684/"
in_router iptables -F FORWARD
if [[ -e /proc/sys/net/mptcp/syn_retrans_before_tcp_fallback ]]; then
  diagnose "$CLI"
  assert_eq problem "$(status_of syn_with_mptcp_dropped)" "the client's counters show the dropped SYNs"
  assert_match '^[1-9]' "$(( $(mib "$CLI" MPCapableSYNTXDrop) - DROP0 ))" "MPCapableSYNTXDrop moved"
else
  echo "SKIP: THIS KERNEL (before 6.12) HAS NO MPCapableSYNTXDrop; the client-side half of this case is not run" >&2
fi

echo "# --watch counts only what moves meanwhile"
diagnose "$CLI" --watch 200ms
assert_eq 0 "$(has syn_with_mptcp_dropped)" "the old drops are not in a watch"

echo "# could not check"
"$OBSERVER_BIN" diagnose --netns no-such-namespace >/dev/null 2>"$OUT"
assert_eq 2 "$?" "a missing namespace: exit status 2"
assert_match "^mptcp-observer diagnose: --netns: cannot open /run/netns/no-such-namespace" "$(cat "$OUT")" "one line saying why"

finish
