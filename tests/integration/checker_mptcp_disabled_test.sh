#!/usr/bin/env bash
# With net.mptcp.enabled=0 in the server's namespace the checker still
# serves: on plain TCP, saying so once in its log, and telling every client,
# MPTCP-capable or not, that it is not using MPTCP, and that the server is
# why.
source "$(dirname "$0")/lib/prelude.sh"

topo_up
LOG=$(mktemp); trap 'topo_down; rm -f "$LOG"' EXIT
in_server sysctl -qw net.mptcp.enabled=0
start_in "$SRV" "$OBSERVER_BIN" --listen '[::]:8684' 2>"$LOG"
wait_for_http "http://$SRV4:8684/healthz" || { cat "$LOG"; exit 1; }

assert_match 'warn  checker: listening on \[::\]:8684 \(plain TCP: MPTCP is disabled \(sysctl net.mptcp.enabled=0\)' \
  "$(cat "$LOG")" "one clear log line says why the listener is plain TCP"
assert_eq 1 "$(grep -c 'checker: listening' "$LOG")" "exactly one line per listener"

BODY=$(in_client mptcpize run curl -s "http://$SRV4:8684/")
assert_eq "You are not using MPTCP." "$(head -1 <<<"$BODY")" "an MPTCP client is told it is not using MPTCP"
JSON=$(in_client mptcpize run curl -s -H 'Accept: application/json' "http://$SRV4:8684/")
assert_eq "server_without_mptcp" "$(jq -r '[.diagnosis[].code] | join(",")' <<<"$JSON")" \
  "and that the server is the cause, not the client"
HDRS=$(in_client mptcpize run curl -s -D - -o /dev/null "http://[$SRV6]:8684/")
assert_contains "X-MPTCP: false" "$HDRS" "X-MPTCP false over IPv6 too"
assert_eq "tcp" "$(in_client curl -s "http://$SRV4:8684/healthz" | jq -r '.listeners[0].transport')" "healthz shows the TCP transport"

finish
