# Captures the daemon's event stream (GET /api/v1/events on the admin
# listener, inside the server namespace unless told another) into a file,
# and counts events in it.
EVENTS_FILE=""
EVENTS_PID=""

events_start() {  # admin URL [namespace of the daemon, default the server's]
  EVENTS_FILE=$(mktemp)
  # ip execs curl, so $! is curl itself and events_stop really ends the stream.
  ip netns exec "${2:-$SRV}" curl -sN "$1/api/v1/events" >"$EVENTS_FILE" &
  EVENTS_PID=$!
  TOPO_PIDS+=("$EVENTS_PID")
  sleep 0.3
}

events_stop() {
  [[ -n "$EVENTS_PID" ]] && kill "$EVENTS_PID" 2>/dev/null
  wait "$EVENTS_PID" 2>/dev/null
  EVENTS_PID=""
}

# events_count JQ_FILTER: how many captured events match (e.g. '.type=="join_failed"').
events_count() {
  grep '^data: ' "$EVENTS_FILE" | sed 's/^data: //' | jq -c "select($1)" | wc -l
}

events_show() {
  grep '^data: ' "$EVENTS_FILE" | sed 's/^data: //' | jq -c "select($1)"
}
