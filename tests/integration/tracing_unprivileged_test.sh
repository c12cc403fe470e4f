#!/usr/bin/env bash
# Started without the privileges BPF needs, the daemon still serves the
# checker (getsockopt needs none) and reports BPF as inactive, with why.
source "$(dirname "$0")/lib/prelude.sh"

topo_up
LOG=$(mktemp); trap 'topo_down; rm -f "$LOG"' EXIT
chmod a+r "$LOG"
start_in "$SRV" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
  "$OBSERVER_BIN" --listen '[::]:8684' --admin-listen 127.0.0.1:8685 2>"$LOG"
wait_for_http "http://$SRV4:8684/healthz" || { cat "$LOG"; exit 1; }

assert_eq "You are using MPTCP." "$(in_client mptcpize run curl -s "http://$SRV4:8684/" | head -1)" "the checker works without privileges"
HEALTH=$(in_server curl -s http://127.0.0.1:8685/healthz)
assert_eq "false" "$(jq .sources.bpf.active <<<"$HEALTH")" "healthz: bpf inactive"
assert_contains "permission" "$(jq -r .sources.bpf.reason <<<"$HEALTH")" "healthz says why: no permission"
assert_eq "true" "$(jq .sources.getsockopt.active <<<"$HEALTH")" "healthz: getsockopt active"
assert_eq 1 "$(grep -c 'warn  bpf: tracing is off: no permission' "$LOG")" "one log line says why tracing is off"
assert_eq "" "$(grep -E ' error ' "$LOG")" "no errors in the log"
finish
