#!/usr/bin/env bash
# A real Prometheus scrapes the daemon while real MPTCP traffic (joins,
# fallbacks, refused joins, checker requests) runs in the topology. Then
# every PromQL expression of the dashboards is evaluated through
# Prometheus' query API and must return data without error, and the join
# counter Prometheus holds must equal the kernel's MPJoinAckRx delta.
source "$(dirname "$0")/lib/prelude.sh"
REPO=$(cd "$HERE/../.." && pwd)
: "${PROBE_BIN:?path to mptcp_http_probe}"
command -v prometheus >/dev/null || { echo "FATAL: prometheus is not installed (scripts/install-deps installs it)" >&2; exit 1; }

topo_up
WORK=$(mktemp -d); trap 'topo_down; rm -rf "$WORK"' EXIT
PROM=http://127.0.0.1:9090

SRV_ACK0=$(mib "$SRV" MPJoinAckRx)
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen 127.0.0.1:8685 --connection-metrics 50 2>"$WORK/daemon.log"
wait_for_http "http://$SRV4:8684/healthz" || { cat "$WORK/daemon.log"; exit 1; }

cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mptcp-observer
    static_configs:
      - targets: ["127.0.0.1:8685"]
YAML
start_in "$SRV" prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address=127.0.0.1:9090 --log.level=warn 2>"$WORK/prometheus.log"
ready() { in_server curl -s -o /dev/null -w '%{http_code}' "$PROM/-/ready"; }
assert_eq 200 "$(wait_for_value 200 ready)" "Prometheus is ready"

# query EXPR: the JSON answer of an instant query.
query() { in_server curl -s --get "$PROM/api/v1/query" --data-urlencode "query=$1"; }
scalar() { query "$1" | jq -r '.data.result[0].value[1] // "none"'; }

echo "# traffic: joins, refused joins, fallbacks, checker requests"
N=6
for _ in $(seq $N); do in_client "$PROBE_BIN" "$SRV4" 8684 /download?size=64K "/?wait=3s" >/dev/null; done
in_client "$PROBE_BIN" "$SRV6" 8684 /download?size=64K "/?format=json&wait=3s" >/dev/null
in_router iptables -A FORWARD -i r2 -p tcp --syn -j REJECT --reject-with tcp-reset
in_client "$PROBE_BIN" "$SRV4" 8684 /download?size=64K "/?wait=1s" >/dev/null
in_router iptables -F FORWARD
inbound_fallbacks() { scalar 'mptcp_connections_fallback_total{direction="inbound"}'; }
FB0=$(inbound_fallbacks)
in_router iptables -t mangle -A FORWARD -p tcp --dport 8684 -j TCPOPTSTRIP --strip-options 30
in_client mptcpize run curl -s -o /dev/null "http://$SRV4:8684/"
in_router iptables -t mangle -F FORWARD
in_client curl -s -o /dev/null "http://$SRV4:8684/"
in_client mptcpize run curl -s -o /dev/null -H 'Accept: text/html' "http://$SRV4:8684/"
in_client mptcpize run curl -s -o /dev/null "http://$SRV4:8684/?wait=bad"
SRV_ACK=$(( $(mib "$SRV" MPJoinAckRx) - SRV_ACK0 ))
# Every MPTCP connection may join once it carries data, so the kernel's
# count, not ours, is the reference below.
assert_match '^[0-9]+$' "$SRV_ACK" "the server's kernel completed $SRV_ACK joins"
((SRV_ACK >= N + 1)) && pass "at least the $((N + 1)) probed joins" || fail "only $SRV_ACK joins for $((N + 1)) probes"

echo "# Prometheus holds what the kernel counted"
joins() { scalar 'mptcp_subflows_opened_total{direction="inbound",kind="join"}'; }
assert_eq "$SRV_ACK" "$(wait_for_value "$SRV_ACK" joins)" 'mptcp_subflows_opened_total{direction="inbound",kind="join"} = MPJoinAckRx delta'
mib_joins() { scalar "mptcp_mib_MPJoinAckRx_total - $SRV_ACK0"; }
assert_eq "$SRV_ACK" "$(wait_for_value "$SRV_ACK" mib_joins)" "mptcp_mib_MPJoinAckRx_total, scraped, agrees with /proc/net/netstat"
assert_eq 1 "$(scalar 'mptcp_join_failures_total{direction="outbound",reason="refused"}')" "one refused join"
assert_eq 1 "$(scalar 'mptcp_connections_fallback_total{direction="outbound"}')" "one outbound fallback"
assert_eq "$((FB0 + 2))" "$(wait_for_value "$((FB0 + 2))" inbound_fallbacks)" "two more inbound fallbacks (stripped, and plain curl)"
assert_eq 1 "$(scalar 'mptcp_checker_requests_total{result="error",format="text"}')" "the bad request counted as an error"

echo "# every dashboard expression returns data through Prometheus"
sleep 3  # a few more scrapes, so every rate() window holds two samples
# Every expression, wherever it sits (panels inside rows too).
EXPRS=$(jq -r '.. | objects | select(has("expr")) | .expr' "$REPO"/dashboards/*.json)
COUNT=0
while IFS= read -r expr; do
  [[ -z "$expr" ]] && continue
  COUNT=$((COUNT + 1))
  q=${expr//\$__rate_interval/30s}
  q=${q//\$instance/.*}
  q=${q//\$job/mptcp-observer}
  ANSWER=$(query "$q")
  if [[ $(jq -r .status <<<"$ANSWER") != success ]]; then
    fail "expression errors: $expr -> $(jq -c . <<<"$ANSWER")"
  elif [[ $(jq '.data.result | length' <<<"$ANSWER") -eq 0 ]]; then
    fail "expression returns no data: $expr"
  elif [[ $(jq '[.data.result[].value[1] | select(. != "NaN" and . != "+Inf" and . != "-Inf")] | length' <<<"$ANSWER") -eq 0 ]]; then
    fail "expression returns no number (NaN or Inf only): $expr -> $(jq -c .data.result <<<"$ANSWER")"
  else
    pass "data for: ${expr:0:110}"
  fi
done <<<"$EXPRS"
assert_match '^[1-9][0-9]+$' "$COUNT" "the dashboards have expressions to check ($COUNT)"
for var in job instance; do
  metric=$(jq -r ".templating.list[] | select(.name==\"$var\") | .definition" "$REPO"/dashboards/mptcp-overview.json | sed -E 's/^label_values\(([^,]+),.*$/\1/; s/\$job/mptcp-observer/')
  assert_match '[1-9]' "$(query "$metric" | jq '.data.result | length')" "template variable \$$var finds values ($metric)"
done

echo "# per-connection series name client addresses: on the admin listener only"
# An idle MPTCP connection to the checker holds still for the check (a
# rate-limited curl download could finish at once: curl's --limit-rate
# does not throttle a body that arrives in one burst).
in_client mptcpize run bash -c "exec 3<>/dev/tcp/$SRV4/8684; sleep 5" &
HELD=$!
per_connection_series() { in_server curl -s http://127.0.0.1:8685/metrics | grep -c '^mptcp_connection_subflows_open{'; }
for _ in $(seq 60); do (($(per_connection_series) > 0)) && break; sleep 0.1; done
assert_match 'mptcp_connection_subflows_open\{' "$(in_server curl -s http://127.0.0.1:8685/metrics)" "the admin /metrics has per-connection series (--connection-metrics)"
assert_not_contains "mptcp_connection_subflows_open" "$(in_client curl -s "http://$SRV4:8684/metrics")" "the public /metrics never has them"
wait $HELD

echo "# the exposition passes promtool, apart from the kernel's own counter names"
in_server curl -s http://127.0.0.1:8685/metrics >"$WORK/metrics.txt"
LINT=$(promtool check metrics <"$WORK/metrics.txt" 2>&1)
# node_exporter's precedent: kernel counters keep their kernel names
# (MPJoinAckRx), which promtool's style check calls camelCase. Anything else
# it reports is a real problem.
OTHER=$(grep -v '^mptcp_mib_[A-Za-z0-9]*\(_total\)\? metric names should be written in .snake_case. not .camelCase.$' <<<"$LINT" | grep .)
assert_eq "" "$OTHER" "promtool finds nothing but kernel-named counters"
assert_match 'mptcp_mib_MPJoinAckRx_total' "$LINT$(cat "$WORK/metrics.txt")" "kernel counters are exported under their kernel names"
assert_eq "" "$(grep -E ' (error|warn) ' "$WORK/daemon.log")" "no warnings or errors in the daemon's log"
finish
