# shellcheck shell=bash
# Section 2 of bench/run, "Tracing overhead on connection setup" (sourced by
# bench/run, which sets up the topology and the helpers used here: WORK, LOAD,
# FLOOR, CHURN, RUNS, start_daemon, stop_daemon, health, median, ratio,
# verdict, log, in_client, in_server).
#
# One churn (CHURN connections through the router, each joining on the second
# path) under six tracers, each attached where the daemon attaches (the root
# of the cgroup v2 hierarchy):
#
#   off     nothing attached
#   floor   an empty sock_ops program (bench/floor: mpo_floor_empty)
#   flags   the floor asking for the callbacks the daemon asks for, on the
#           same subflows, doing nothing in them (mpo_floor_flags)
#   ring    the flags, plus a ring-buffer record of the daemon's size
#           wherever the daemon sends an event, drained by a reader that does
#           nothing with it (mpo_floor_ring): the cost of carrying the events
#   daemon  the daemon as it ships
#   probed  the daemon with --bpf-probe-reads: the build of its program that
#           kernels before 6.2 load (a probe read a callback)
#   stream  the daemon with an /api/v1/events stream open (which also joins
#           the path manager's netlink group in every namespace)
#
# Every traced churn is paired with an untraced one beside it; which goes
# first alternates. Then one churn each with kernel.bpf_stats_enabled and
# the op census (bench/floor: mpo_census) beside it, and, with --perf, a
# perf stat and a perf record of one churn each for off, floor and daemon.

TRACING_VARIANTS=(floor flags ring daemon probed stream)
declare -A TRACING_LABEL=(
  [off]="no daemon"
  [floor]="floor: empty sock_ops program"
  [flags]="floor + the daemon's callback flags"
  [ring]="flags + the daemon's events through a ring, empty reader"
  [daemon]="daemon as it ships"
  [probed]="daemon with --bpf-probe-reads (what kernels before 6.2 load)"
  [stream]="daemon, event stream open"
)
TRACING_CG=""
TRACING_CG_MOUNT=""
FLOOR_PID=""
CENSUS_PID=""
STREAM_PID=""
STATS_WAS=""

# The cgroup v2 root the daemon attaches to, seen from the host's mount
# namespace (the loader runs there); mounted below WORK when absent.
tracing_cgroup() {
  TRACING_CG=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
  if [[ -z $TRACING_CG ]]; then
    TRACING_CG_MOUNT=$WORK/cgroup2
    mkdir -p "$TRACING_CG_MOUNT"
    mount -t cgroup2 none "$TRACING_CG_MOUNT" || { echo "bench/run: cannot mount cgroup2" >&2; exit 1; }
    TRACING_CG=$TRACING_CG_MOUNT
  fi
}

# Called from bench/run's EXIT trap: whatever this section attached or
# changed goes, however the run ends.
tracing_cleanup() {
  local pid
  for pid in "$FLOOR_PID" "$CENSUS_PID" "$STREAM_PID"; do
    [[ -n $pid ]] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  [[ -n $STATS_WAS ]] && sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"
  [[ -n $TRACING_CG_MOUNT ]] && umount "$TRACING_CG_MOUNT" 2>/dev/null
  return 0
}

# floor_attach PROGRAM|--census OUTFILE: starts the loader, waits (bounded)
# until it says it attached; its pid goes to LOADER_PID. Not in a $(...):
# the loader detaches when its parent goes, and that subshell would go at once.
floor_attach() {
  local what=$1 out=$2 pid
  if [[ $what == --census ]]; then
    "$FLOOR" --cgroup "$TRACING_CG" --max-seconds 900 --census >"$out" 2>>"$WORK/floor.log" &
  else
    "$FLOOR" --cgroup "$TRACING_CG" --max-seconds 900 "$what" >"$out" 2>>"$WORK/floor.log" &
  fi
  pid=$!
  for _ in $(seq 100); do grep -q '^attached' "$out" && { LOADER_PID=$pid; return; }; sleep 0.1; done
  echo "bench/run: sockops_floor $what did not attach" >&2; cat "$WORK/floor.log" >&2; exit 1
}

floor_detach() {  # pid
  kill "$1" 2>/dev/null; wait "$1" 2>/dev/null
}

variant_start() {
  case $1 in
    off) ;;
    floor) floor_attach empty "$WORK/floor.out"; FLOOR_PID=$LOADER_PID ;;
    flags) floor_attach flags "$WORK/floor.out"; FLOOR_PID=$LOADER_PID ;;
    ring) floor_attach ring "$WORK/floor.out"; FLOOR_PID=$LOADER_PID ;;
    daemon) start_daemon ;;
    probed) start_daemon --bpf-probe-reads ;;
    stream)
      start_daemon
      in_server curl -sN --max-time 900 http://127.0.0.1:8685/api/v1/events >"$WORK/stream.txt" 2>/dev/null &
      STREAM_PID=$!
      for _ in $(seq 100); do [[ $(health | jq .sources.pm_netlink.listening) == true ]] && return; sleep 0.1; done
      echo "bench/run: the event stream did not open (pm_netlink not listening)" >&2; exit 1 ;;
  esac
}

variant_stop() {
  case $1 in
    floor | flags | ring) floor_detach "$FLOOR_PID"; FLOOR_PID="" ;;
    daemon | probed) stop_daemon ;;
    stream) kill "$STREAM_PID" 2>/dev/null; wait "$STREAM_PID" 2>/dev/null; STREAM_PID=""; stop_daemon ;;
  esac
}

# sock_ops programs at the root besides the tracer under test: another
# daemon or test on this machine runs for the churn's sockets too (and one
# present when the server's listener starts hands its callback flags to every
# accepted subflow), so each churn that met one is counted and reported.
attached_count() {  # bpftool prints nothing at all for a cgroup with no program
  local n
  n=$(bpftool cgroup show "$TRACING_CG" -j 2>/dev/null | jq 'length')
  echo "${n:-0}"
}
note_foreign() {  # VARIANT
  local expected=1 n
  [[ $1 == off ]] && expected=0
  n=$(attached_count)
  if ((${n:-0} > expected)); then
    echo "$1" >>"$WORK/foreign"
    log "   warning: $((n - expected)) other sock_ops program(s) attached at $TRACING_CG during a $1 churn: $(bpftool cgroup show "$TRACING_CG" -j | jq -r '[.[] | "\(.name) (id \(.id))"] | join(", ")')"
  fi
}

busy_jiffies() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
# The daemon's CPU time in ns, all its threads (schedstat: the scheduler's
# own count, finer than stat's clock ticks).
daemon_cpu_ns() { cat /proc/"$DAEMON"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
# Context switches of all the daemon's threads, and of its BPF consumer alone.
daemon_switches() {
  local t all=0 consumer=0 n
  for t in /proc/"$DAEMON"/task/*; do
    n=$(awk '/ctxt_switches/ {s += $2} END {print s + 0}' "$t/status" 2>/dev/null)
    all=$((all + ${n:-0}))
    [[ $(cat "$t/comm" 2>/dev/null) == bpf-events ]] && consumer=$((consumer + ${n:-0}))
  done
  echo "$all $consumer"
}
per_conn() { awk -v d="$1" -v n="$CHURN" -v s="${2:-1}" -v p="${3:-1}" 'BEGIN {printf "%.*f\n", p, d * s / n}'; }

churn() { in_client "$LOAD" churn "$SRV4" 9000 "$CHURN" 4 50 2>&1 | tee -a "$WORK/churn.log"; }

# churn_measured VARIANT: one churn; rate to t.VARIANT, the machine's busy CPU
# per connection (all processes, kernel included, us) to t.VARIANT.cpu, and
# with a daemon, its CPU and context switches per connection.
churn_measured() {
  local v=$1 b0 t0 s0 s1 rate
  b0=$(busy_jiffies)
  if [[ $v == daemon || $v == probed || $v == stream ]]; then t0=$(daemon_cpu_ns); read -r -a s0 < <(daemon_switches); fi
  note_foreign "$v"
  rate=$(churn | sed -nE 's/.*rate=([0-9.]+).*/\1/p')
  echo "${rate:-0}" >>"$WORK/t.$v"
  per_conn $(($(busy_jiffies) - b0)) $((1000000 / $(getconf CLK_TCK))) >>"$WORK/t.$v.cpu"
  if [[ $v == daemon || $v == probed || $v == stream ]]; then
    per_conn $(($(daemon_cpu_ns) - t0)) 0.001 2 >>"$WORK/t.$v.daemon"
    read -r -a s1 < <(daemon_switches)
    echo "$(per_conn $((s1[0] - s0[0])) 1 3) $(per_conn $((s1[1] - s0[1])) 1 3)" >>"$WORK/t.$v.switches"
  fi
}

# The program under test's id: the loader says it; the daemon's is the
# mpo_sockops whose fd its process holds (fdinfo names the program's id:
# other daemons may run on the machine, and this bpftool lists no pids).
variant_prog_id() {
  local id
  case $1 in
    floor | flags | ring) awk '/^attached/ {print $3; exit}' "$WORK/floor.out" ;;
    daemon | probed | stream)
      for id in $(awk '/^prog_id:/ {print $2}' /proc/"$DAEMON"/fdinfo/* 2>/dev/null | sort -u); do
        [[ $(bpftool prog show id "$id" -j | jq -r .name) == mpo_sockops ]] && { echo "$id"; return; }
      done ;;
  esac
}
prog_stats() { bpftool prog show id "$1" -j | jq -r '"\(.run_cnt // 0) \(.run_time_ns // 0)"'; }

# stats_and_census VARIANT: one churn with bpf_stats on and the op census
# attached beside the variant. Writes s.VARIANT: "runs_per_conn ns_per_conn
# events_per_conn stream_events_per_conn pm_events_per_conn", and
# census.VARIANT: "op count_per_conn" lines.
stats_and_census() {
  local v=$1 id="" r0 n0 r1 n1 e0=0 p0=0 e=0 p=0 streamed=0
  floor_attach --census "$WORK/census.out"; CENSUS_PID=$LOADER_PID
  variant_start "$v"
  [[ $v != off ]] && id=$(variant_prog_id "$v")
  [[ $v != off && -z $id ]] && { echo "bench/run: no program id for $v" >&2; exit 1; }
  if [[ $v == daemon || $v == probed || $v == stream ]]; then
    e0=$(health | jq .sources.bpf.events); p0=$(health | jq '.sources.pm_netlink.events // 0')
  fi
  [[ -n $id ]] && read -r r0 n0 < <(prog_stats "$id")
  churn >/dev/null
  [[ -n $id ]] && read -r r1 n1 < <(prog_stats "$id")
  if [[ $v == daemon || $v == probed || $v == stream ]]; then
    sleep 0.3  # the consumer drains the ring within its poll interval
    e=$(($(health | jq .sources.bpf.events) - e0)); p=$(($(health | jq '.sources.pm_netlink.events // 0') - p0))
    LOST=$(health | jq .sources.bpf.lost)
  fi
  [[ $v == stream ]] && streamed=$(grep -c '^event:' "$WORK/stream.txt")
  variant_stop "$v"
  # The ring's reader says at exit how many records it drained: this churn's.
  [[ $v == ring ]] && e=$(awk '/^records/ {print $2}' "$WORK/floor.out")
  floor_detach "$CENSUS_PID"; CENSUS_PID=""
  awk -v n="$CHURN" '/^census/ {printf "%s %.2f\n", $2, $3 / n}' "$WORK/census.out" >"$WORK/census.$v"
  if [[ -n $id ]]; then
    awk -v n="$CHURN" -v r0="$r0" -v r1="$r1" -v n0="$n0" -v n1="$n1" -v e="$e" -v s="$streamed" -v p="$p" \
      'BEGIN {printf "%.1f %.2f %.1f %.1f %.1f\n", (r1 - r0) / n, (n1 - n0) / n / 1000, e / n, s / n, p / n}' >"$WORK/s.$v"
  else
    echo "0 0 0 0 0" >"$WORK/s.$v"
  fi
  log "   $v: census per connection: $(tr '\n' ' ' <"$WORK/census.$v")"
  log "   $v: program runs, us, events, streamed, pm events per connection: $(cat "$WORK/s.$v")"
}

census_of() {  # VARIANT OP: callbacks of that op per connection
  awk -v op="$2" '$1 == op {print $2; f = 1} END {if (!f) print 0}' "$WORK/census.$1"
}

spread() { sort -g "$1" | awk 'NR == 1 {lo = $1} {hi = $1} END {print lo "-" hi}'; }
diff_of() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a - b}'; }

tracing_section() {  # OUT
  local out=$1 run v
  tracing_cgroup
  : >"$WORK/foreign"
  # The listener must start with no sock_ops program attached (see
  # note_foreign): wait a little for another one to go.
  for _ in $(seq 60); do (($(attached_count) == 0)) && break; sleep 1; done
  note_foreign off
  start_in "$SRV" "$LOAD" server 9000 >/dev/null
  # Each connection leaves two subflows in TIME_WAIT on the client, and a
  # connect needs a port no TIME_WAIT socket holds: after ~30,000 connections a
  # minute the runs would measure port reuse, not setup. Past 1000 TIME_WAIT
  # sockets the kernel drops them at once.
  in_client sysctl -qw net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_max_tw_buckets=1000
  sleep 0.5
  # The churn is short and the ratio noisy: at least 9 pairs a variant.
  local pairs_per_variant=$((RUNS > 9 ? RUNS : 9))
  ((TRACING_PAIRS)) && pairs_per_variant=$TRACING_PAIRS
  for f in off "${TRACING_VARIANTS[@]}"; do : >"$WORK/t.$f"; : >"$WORK/t.$f.cpu"; : >"$WORK/t.$f.pairs"; : >"$WORK/t.$f.daemon"; : >"$WORK/t.$f.switches"; done
  for run in $(seq "$pairs_per_variant"); do
    for v in "${TRACING_VARIANTS[@]}"; do
      # Alternate which side goes first so a drift in the machine's load hits both alike.
      ((run % 2)) && churn_measured off
      variant_start "$v"
      churn_measured "$v"
      variant_stop "$v"
      ((run % 2)) || churn_measured off
      ratio "$(tail -1 "$WORK/t.$v")" "$(tail -1 "$WORK/t.off")" >>"$WORK/t.$v.pairs"
    done
    log "   pair $run of $pairs_per_variant: off $(tail -1 "$WORK/t.off")/s; $(for v in "${TRACING_VARIANTS[@]}"; do printf '%s %s ' "$v" "$(tail -1 "$WORK/t.$v.pairs")"; done)"
  done
  # The kernel's own run time of each program, and which callbacks each
  # brings, in one more churn each (bpf_stats costs a clock read per run,
  # the census a map update: not during the pairs above).
  STATS_WAS=$(sysctl -n kernel.bpf_stats_enabled)
  sysctl -qw kernel.bpf_stats_enabled=1
  LOST=0
  for v in off "${TRACING_VARIANTS[@]}"; do stats_and_census "$v"; done
  sysctl -qw kernel.bpf_stats_enabled="$STATS_WAS"; STATS_WAS=""
  # Before perf's longer churns add their lines to the log.
  local JOINED
  JOINED=$(tail -1 "$WORK/churn.log" | sed -nE 's/.*joined=([0-9]+).*/\1/p')
  ((TRACING_PERF)) && tracing_perf

  local off_rate off_cpu
  off_rate=$(median <"$WORK/t.off"); off_cpu=$(median <"$WORK/t.off.cpu")
  {
    echo "## 2. Tracing overhead on connection setup"
    echo
    [[ -n ${TRACING_NOTE:-} ]] && { echo "$TRACING_NOTE"; echo; }
    echo "$CHURN MPTCP connections per run through the router of the topology, 4 at a time: connect, exchange 1 KB, wait"
    echo "(up to 50 ms) for the client's join on the second path, close. ${JOINED:-?} of the last run's $CHURN connections joined."
    echo "Each tracer is attached where the daemon attaches (the root of the cgroup v2 hierarchy, $TRACING_CG):"
    echo "the floor is an empty sock_ops program; the floor with the daemon's callback flags asks, on the subflows the daemon"
    echo "asks on, for state changes (every MPTCP subflow and listener) and for a join's segments until the one after its"
    echo "SYN-ACK, and does nothing in them; the ring row adds a zeroed record of the daemon's size wherever the daemon"
    echo "sends an event, through a ring buffer with the daemon's wake-up policy to a reader that does nothing with it"
    echo "(\`bench/floor/sockops_floor.bpf.c\`). Each traced run is paired with an untraced run beside it, $pairs_per_variant pairs"
    echo "a tracer, alternating which goes first; the ratio is the median of those pairs."
    echo "CPU is the whole machine's busy time (both cores, every process and the kernel) per connection, median of the"
    echo "runs; the program's runs and time come from one more churn each with \`kernel.bpf_stats_enabled\`."
    echo "Load average when this section started: $TRACING_LOADAVG."
    if [[ -s $WORK/foreign ]]; then
      echo "**Other sock_ops programs were attached at the cgroup root during $(wc -l <"$WORK/foreign") of the churns (another daemon or"
      echo "test on the machine): they ran for these connections too, and the figures below carry their cost.**"
    fi
    echo
    echo "| tracer | conn/s | ratio to no daemon (median of pairs) | pairs ranged | machine CPU per connection | above no daemon | program runs per connection | program time per connection | daemon process CPU per connection |"
    echo "|---|---|---|---|---|---|---|---|---|"
    echo "| ${TRACING_LABEL[off]} | $off_rate | 1 | | $off_cpu us | | | | |"
    for v in "${TRACING_VARIANTS[@]}"; do
      local rate r cpu runs ns dcpu="" ev
      rate=$(median <"$WORK/t.$v"); r=$(median <"$WORK/t.$v.pairs"); cpu=$(median <"$WORK/t.$v.cpu")
      read -r runs ns _ <"$WORK/s.$v"
      [[ -s $WORK/t.$v.daemon ]] && dcpu="$(median <"$WORK/t.$v.daemon") us"
      echo "| ${TRACING_LABEL[$v]} | $rate | $r | $(spread "$WORK/t.$v.pairs") | $cpu us | $(diff_of "$cpu" "$off_cpu") us | $runs | $ns us | $dcpu |"
    done
    echo
    echo "Which callbacks reach a sock_ops program, per connection (a census program attached beside each tracer in the"
    echo "statistics churn; both ends of both subflows):"
    echo
    echo "| tracer | all | state changes | of which to CLOSE | header options parsed | tcp_connect | established (active + passive) | others |"
    echo "|---|---|---|---|---|---|---|---|"
    for v in off "${TRACING_VARIANTS[@]}"; do
      awk -v label="${TRACING_LABEL[$v]}" '
        $1 ~ /^state:/ {st[$1] = $2; next}
        {n[$1] = $2; all += $2}
        END {est = n["active_established"] + n["passive_established"]
             other = all - n["state"] - n["parse_hdr_opt"] - n["tcp_connect"] - est
             printf "| %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n", label, all, n["state"], st["state:CLOSE"], n["parse_hdr_opt"], n["tcp_connect"], est, other}' "$WORK/census.$v"
    done
    echo
    tracing_summary "$off_cpu"
    ((TRACING_PERF)) && cat "$WORK/perf.md"
  } >>"$out"
}

# What the table says about the issue's target, from the figures above:
# machine CPU for the whole cost, program time (bpf_stats) and the daemon's
# own CPU (schedstat) for where it goes, which are the steadier measures.
tracing_summary() {  # OFF_CPU
  local off_cpu=$1 floor_cpu flags_cpu ring_cpu daemon_cpu stream_cpu r_floor r_flags r_ring r_daemon
  local events streamed pm records floor_ns flags_ns ring_ns daemon_ns probed_ns user_us
  floor_cpu=$(median <"$WORK/t.floor.cpu"); flags_cpu=$(median <"$WORK/t.flags.cpu"); ring_cpu=$(median <"$WORK/t.ring.cpu")
  daemon_cpu=$(median <"$WORK/t.daemon.cpu"); stream_cpu=$(median <"$WORK/t.stream.cpu")
  r_floor=$(median <"$WORK/t.floor.pairs"); r_flags=$(median <"$WORK/t.flags.pairs")
  r_ring=$(median <"$WORK/t.ring.pairs"); r_daemon=$(median <"$WORK/t.daemon.pairs")
  user_us=$(median <"$WORK/t.daemon.daemon")
  local floor_runs flags_runs states segments
  read -r floor_runs floor_ns _ _ _ <"$WORK/s.floor"
  read -r flags_runs flags_ns _ _ _ <"$WORK/s.flags"
  states=$(census_of flags state); segments=$(census_of flags parse_hdr_opt)
  read -r _ ring_ns records _ _ <"$WORK/s.ring"
  read -r _ daemon_ns events _ _ <"$WORK/s.daemon"
  read -r _ probed_ns _ _ _ <"$WORK/s.probed"
  read -r _ _ _ streamed pm <"$WORK/s.stream"
  awk -v off="$off_cpu" -v floor="$floor_cpu" -v flags="$flags_cpu" -v ring="$ring_cpu" -v daemon="$daemon_cpu" \
      -v stream="$stream_cpu" -v rf="$r_floor" -v rg="$r_flags" -v rr="$r_ring" -v rd="$r_daemon" -v ev="$events" \
      -v rec="$records" -v pf="$floor_ns" -v pg="$flags_ns" -v pr="$ring_ns" -v pd="$daemon_ns" -v pp="$probed_ns" -v user="$user_us" \
      -v st="$streamed" -v pm="$pm" -v lost="$LOST" -v fr="$floor_runs" -v gr="$flags_runs" -v cs="$states" \
      -v cp="$segments" '
    BEGIN {
      printf "Machine CPU per connection above no daemon: floor %.1f us, flags %.1f, ring %.1f, daemon %.1f, daemon with a\n", floor - off, flags - off, ring - off, daemon - off
      printf "stream open %.1f (%.1f events streamed and %.1f path-manager netlink events a connection). These move by\n", stream - off, st, pm
      print "several microseconds between runs; where the cost goes is read from the steadier program time (bpf_stats) and"
      print "the daemon'"'"'s own CPU (schedstat):"
      print ""
      printf "- the hook itself (the floor): %.2f us of program time for %.1f runs, nothing done in them;\n", pf, fr
      printf "- asking for the daemon'"'"'s callbacks (flags): %.2f us more, for %.1f more runs (%.1f state changes, %.1f join segments);\n", pg - pf, gr - fr, cs, cp
      printf "- carrying the daemon'"'"'s events (ring): %.2f us more for %.1f records, %.0f ns a record in the kernel;\n", pr - pg, rec, (rec > 0 ? (pr - pg) * 1000 / rec : 0)
      printf "- the daemon'"'"'s program above that: %.2f us, reading what it reports from each subflow (through typed\n", pd - pr
      printf "  pointers; %.2f us with a probe read a callback, as kernels before 6.2 need) and filling %.1f events (%s lost);\n", pp - pr, ev, lost
      printf "- the daemon'"'"'s process: %.2f us, decoding each event, keeping the table and the metrics.\n", user
      print ""
      target = (floor - off) / 3
      printf "Target: tracing above the floor at most a third of the floor above no daemon. The floor'"'"'s machine CPU above\n"
      printf "no daemon reads %.1f us here (a third: %.1f us), its program time %.2f us (a third: %.2f us). The daemon costs\n", floor - off, target, pf, pf / 3
      met = daemon - floor <= target && pd - pf <= pf / 3
      printf "%.1f us of machine CPU above the floor, and %.2f us of program time with %.2f us of its process: %s.\n", daemon - floor, pd - pf, user, (met ? "met" : "missed")
      printf "Carrying its events alone costs %.2f us of program time above the flags, %.1fx a third of the floor", pr - pg, (pf > 0 ? (pr - pg) * 3 / pf : 0)
      if (pr - pg > pf / 3) {
        print ", and"
        print "the reader'"'"'s share on top: whatever a tracer that sends each subflow'"'"'s establishment and close to user space does"
        print "with them, it misses this target before it reads a field."
      } else {
        print ": within the target."
      }
      if (rf + 0 < 0.97) {
        printf "The floor alone churns %.3f of no daemon'"'"'s connections per second, below 0.97: the churn target is the\n", rf
        printf "ratio to the floor, here %.3f (daemon %.3f over floor %.3f): %s.\n", rd / rf, rd, rf, (rd / rf >= 0.97 ? "met" : "missed")
      } else {
        printf "The floor allows 0.97 (it churns %.3f of no daemon'"'"'s rate); the daemon churns %.3f: %s. The flags churn %.3f\n", rf, rd, (rd >= 0.97 ? "met" : "missed"), rg
        if (rr < 0.97)
          printf "and carrying the events to an empty reader %.3f: below 0.97 before a field is read or an event used.\n", rr
        else
          printf "and carrying the events to an empty reader %.3f: the daemon'"'"'s reads and its process cost the rest.\n", rr
      }
      print "The conn/s ratios move by several hundredths between runs of bench/run on a shared two-core machine."
      print ""
    }'
}

# --perf: where the CPU above no daemon goes. perf stat and perf record (cpu-clock:
# this machine's guest has no hardware counters) over one churn each.
tracing_perf() {
  local v comms
  # Enough samples to resolve a microsecond a connection: at least 20000
  # connections (about 20,000 samples at 999 Hz on two cores).
  local n=$((CHURN > 20000 ? CHURN : 20000))
  for v in off floor daemon; do
    variant_start "$v"
    comms="mptcp_load|ksoftirqd/[0-9]+|swapper/[0-9]+|kworker/.*|sockops_floor"
    [[ $v == daemon ]] && comms="$comms|$(cat /proc/"$DAEMON"/task/*/comm | sort -u | paste -sd'|')"
    echo "$comms" >"$WORK/perf.$v.comms"
    perf stat -a -x, -e task-clock,context-switches,cpu-migrations,page-faults,irq_vectors:irq_work_entry,sched:sched_wakeup \
      -o "$WORK/perf.$v.stat" -- ip netns exec "$CLI" "$LOAD" churn "$SRV4" 9000 "$n" 4 50 >>"$WORK/churn.log" 2>&1
    perf record -q -a -g -F 999 -o "$WORK/perf.$v.data" -- ip netns exec "$CLI" "$LOAD" churn "$SRV4" 9000 "$n" 4 50 >>"$WORK/churn.log" 2>&1
    variant_stop "$v"
    log "   perf $v, samples by command (us per connection):"
    perf report -i "$WORK/perf.$v.data" --stdio --no-children -g none -n --sort comm -t '|' 2>/dev/null |
      awk -F'|' -v n="$n" '!/^#/ && NF >= 3 {gsub(/ +/, "", $2); printf "     %s %.1f\n", $3, $2 * 1e6 / 999 / n}' | head -12 >&2
    # Self samples by command and symbol, our processes only (the machine is shared), idle loops left out.
    perf report -i "$WORK/perf.$v.data" --stdio --no-children -g none -n --sort comm,sym -t '|' 2>/dev/null |
      awk -F'|' -v comms="^($(cat "$WORK/perf.$v.comms"))\$" -v n="$n" '
        /^#/ || NF < 4 {next}
        {comm = $3; sym = $4; gsub(/^ +| +$/, "", comm); gsub(/^ +| +$/, "", sym); gsub(/^\[.\] /, "", sym)}
        comm !~ comms {next}
        sym ~ /^(default_idle|pv_native_safe_halt|native_safe_halt|arch_cpu_idle|cpuidle_|do_idle|acpi_idle|mwait_idle|intel_idle|poll_idle)/ {next}
        {gsub(/ +/, "", $2); print comm "\t" sym "\t" $2 * 1e6 / 999 / n}' >"$WORK/perf.$v.syms"
    echo "$n" >"$WORK/perf.n"
  done
  tracing_perf_table >"$WORK/perf.md"
  cat "$WORK/perf.md" >&2
}

# Symbols into the costs the issue names; the rest is TCP, MPTCP and the
# network path, which tracing does not change.
perf_category() {
  awk -F'\t' '
    function cat(comm, sym) {
      if (sym ~ /^bpf_prog_/) return "BPF program bodies (JIT code)"
      if (sym ~ /bpf_ringbuf|ringbuf/) return "ring buffer reserve/submit/poll"
      if (sym ~ /__cgroup_bpf_run_filter_sock_ops|bpf_prog_run_array|^__bpf_prog_(enter|exit)|migrate_(disable|enable)|tcp_call_bpf|^bpf_sock_ops_|^bpf_skc_to|^bpf_probe_read|copy_from_kernel_nofault|^bpf_get_socket_cookie|^bpf_ktime|^bpf_map_|percpu_array|^bpf_sk_storage|^__bpf_/) return "sock_ops dispatch and BPF helpers"
      if (sym ~ /irqrestore|irqsave|irq_enable|irq_disable|^__raw_callee_save|^pv_|^kvm_|^xen_|hypercall/) return "spinlocks with interrupts off / irq flags"
      if (sym ~ /irq_work|try_to_wake_up|ttwu|wake_up|__schedule|^schedule|finish_task_switch|switch_to|switch_mm|enqueue_|dequeue_|pick_next|update_curr|update_load|select_task_rq|psi_|sched_|set_next_entity|put_prev|newidle|load_balance|ep_poll|do_epoll|ep_/) return "wake-ups and scheduling"
      if (comm !~ /^(mptcp_load|ksoftirqd|swapper|kworker|sockops_floor|curl)/) return "daemon: its threads, everything else"
      return "TCP, MPTCP, network path and the load generator"
    }
    {c = cat($1, $2); s[c] += $3}
    END {for (k in s) printf "%s\t%.2f\n", k, s[k]}' "$1"
}

# perf_callers DATA COMMS SYMBOL...: for each symbol, its three most
# frequent caller chains (three frames) in the commands matching the regex
# COMMS, as a share of its samples there.
perf_callers() {
  local data=$1 comms=$2; shift 2
  perf script -i "$data" -F comm,ip,sym 2>/dev/null | awk -v want="$*" -v comms="^($comms)\$" '
    BEGIN {n = split(want, w, " "); for (i = 1; i <= n; i++) wanted[w[i]] = 1}
    function flush() {
      if (depth > 0 && ours && (frames[1] in wanted)) {
        chain = frames[2] " < " frames[3] " < " frames[4]
        total[frames[1]]++; seen[frames[1] SUBSEP chain]++
      }
      depth = 0; started = 0; delete frames
    }
    NF == 0 {flush(); next}
    !started {comm = $0; sub(/ +$/, "", comm); ours = comm ~ comms; started = 1; next}
    {depth++; frames[depth] = $2}
    END {
      flush()
      for (k in seen) {split(k, p, SUBSEP); printf "%s\t%.0f\t%s\t%d\n", p[1], seen[k] * 100 / total[p[1]], p[2], total[p[1]]}
    }' | sort -t$'\t' -k1,1 -k2,2gr | awk -F'\t' 'c[$1]++ < 3 {printf "- `%s` (%d samples) %s%%: %s\n", $1, $4, $2, $3}'
}

tracing_perf_table() {
  local v
  for v in off floor daemon; do perf_category "$WORK/perf.$v.syms" | sed "s/^/$v\t/"; done >"$WORK/perf.cats"
  stat_per_conn() {  # VARIANT EVENT
    awk -F, -v e="$2" -v n="$(cat "$WORK/perf.n")" '$3 == e {printf "%.2f", $1 / n; f = 1} END {if (!f) printf "n/a"}' "$WORK/perf.$1.stat"
  }
  echo "Where the CPU above no daemon goes, from one \`perf record -a -g -F 999\` (cpu-clock) churn each of $(cat "$WORK/perf.n") connections, counting only the"
  echo "churn's and the daemon's threads, softirq and kernel worker threads (the machine is shared), in us per connection:"
  echo
  echo "| | no daemon | floor | daemon | daemon - no daemon | daemon - floor |"
  echo "|---|---|---|---|---|---|"
  awk -F'\t' '{v[$2 SUBSEP $1] = $3; k[$2] = 1}
    END {for (c in k) printf "| %s | %.1f | %.1f | %.1f | %+.1f | %+.1f |\n", c, v[c SUBSEP "off"], v[c SUBSEP "floor"], v[c SUBSEP "daemon"], v[c SUBSEP "daemon"] - v[c SUBSEP "off"], v[c SUBSEP "daemon"] - v[c SUBSEP "floor"]}' \
    "$WORK/perf.cats" | sort -t'|' -k6 -gr
  echo
  echo "The symbols that grew most from no daemon to the daemon (us per connection, self time):"
  echo
  echo "| symbol | no daemon | daemon | growth |"
  echo "|---|---|---|---|"
  awk -F'\t' 'FILENAME ~ /off/ {off[$2] += $3; next} {on[$2] += $3}
    END {for (s in on) if (on[s] - off[s] > 0) printf "%s\t%.2f\t%.2f\t%.2f\n", s, off[s], on[s], on[s] - off[s]}' \
    "$WORK/perf.off.syms" "$WORK/perf.daemon.syms" | sort -t$'\t' -k4 -gr | head -12 | awk -F'\t' '{printf "| `%s` | %s | %s | +%s |\n", $1, $2, $3, $4}'
  echo
  echo "Who calls the kernel symbols among those that are not the program's own (the daemon's churn, share of"
  echo "the symbol's samples, three frames up):"
  echo
  perf_callers "$WORK/perf.daemon.data" "$(cat "$WORK/perf.daemon.comms")" __pv_queued_spin_lock_slowpath native_write_msr _raw_spin_unlock_irqrestore
  echo
  echo "Per connection, from \`perf stat -a\` over one churn each (the whole machine):"
  echo
  echo "| | no daemon | floor | daemon |"
  echo "|---|---|---|---|"
  for e in context-switches cpu-migrations irq_vectors:irq_work_entry sched:sched_wakeup page-faults; do
    echo "| $e | $(stat_per_conn off "$e") | $(stat_per_conn floor "$e") | $(stat_per_conn daemon "$e") |"
  done
  echo
  echo "The daemon's own context switches per connection (all threads / the BPF consumer), median of the pairs' runs:"
  echo "$(awk '{print $1}' "$WORK/t.daemon.switches" | median) / $(awk '{print $2}' "$WORK/t.daemon.switches" | median);"
  echo "with the event stream open: $(awk '{print $1}' "$WORK/t.stream.switches" | median) / $(awk '{print $2}' "$WORK/t.stream.switches" | median)."
  echo
}
