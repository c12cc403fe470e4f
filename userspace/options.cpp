#include "options.h"

#include <charconv>

#include "common/durations.h"

namespace observer {
namespace {
bool parse_count(const std::string &text, size_t min, size_t max, size_t &out) {
  size_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return false;
  out = v;
  return true;
}
}  // namespace

std::string help_text(const std::string &program) {
  return "Usage: " + program + R"( [FLAGS]
       )" + program + R"( diagnose [FLAGS]     check this host's MPTCP setup (diagnose --help)
       )" + program + R"( probe HOST [FLAGS]   test MPTCP from here to a checker (probe --help)

mptcp-observer answers "am I using MPTCP?" for every client that connects,
from the kernel's own view of that connection.

  curl http://HOST:8684/                 one-line verdict, then the subflows
  curl http://HOST:8684/?format=json     the same as JSON (or Accept: application/json)
  curl http://HOST:8684/?wait=2s         wait up to 2s for joined subflows first
  curl http://HOST:8684/download?size=10M  10 MiB to measure throughput over all subflows
  curl http://HOST:8684/healthz          200 while serving, with what is serving
  curl https://HOST:8443/                the same over TLS, with --listen-tls :8443

Flags:
  --listen ADDR:PORT    plain HTTP checker address; repeat for several.
                        Default [::]:8684 (IPv4 and IPv6) when no --listen or
                        --listen-tls is given. IPv6 in brackets: [::1]:8684.
                        Port 0 picks a free port.
  --listen-tls ADDR:PORT
                        HTTPS checker address, repeatable, beside or instead
                        of --listen: TLS ends in the daemon, on the client's
                        own MPTCP connection. Needs --tls-cert and --tls-key.
  --tls-cert FILE       PEM certificate of the HTTPS addresses, then its
                        chain. SIGHUP reloads it and the key for new
                        connections; a broken pair is logged and not used.
  --tls-key FILE        PEM private key of that certificate, unencrypted.
  --max-connections N   open client connections before new ones are refused
                        (1-1000000). Default 20000.
  --max-connections-per-client N
                        the same for one client address, IPv6 by /64
                        (1-1000000). Default 1024.
  --max-waiting N       answers that wait or stream at once (?wait,
                        /download), in all (1-100000). Default 1024; past
                        it, 503 with Retry-After.
  --max-waiting-per-client N
                        the same for one client address, IPv6 by /64
                        (1-1000). Default 4; past it, 429 with Retry-After.
  --log-level LEVEL     debug, info, warn or error. Default info. Logs go to
                        stderr, one event per line.
  --log-format FORMAT   text (default) or json: one JSON object per line,
                        {"time", "level", "component", "message"}.
  --help                this text
  --version             version and git revision

Admin API (connection details name client addresses: keep it on loopback):
  --admin-listen ADDR:PORT
                        default 127.0.0.1:8685; '' disables it. Serves
                        /api/v1/connections, /api/v1/events, /metrics and
                        /healthz.

Metrics (Prometheus text format at /metrics):
  --metrics-listen ADDR:PORT
                        also serve /metrics (aggregates) and /healthz on a
                        plain TCP address, e.g. [::]:9684: scrapes there are
                        not counted as MPTCP fallbacks, as scrapes of the
                        checker's MPTCP port are. Hardened like the checker.
  --no-public-metrics   serve /metrics on the admin listener only, not on the
                        checker port. Aggregates name no client address.
  --connection-metrics N
                        also export one series per tracked connection (it
                        names client addresses), at most N (0-100000).
                        Default 0: off.

Tracing (every MPTCP subflow on the host, with BPF; needs root or
CAP_BPF+CAP_PERFMON+CAP_NET_ADMIN; without them the checker still serves):
  --no-bpf              do not load the BPF programs
  --cgroup PATH         cgroup v2 directory to trace (default: the root of
                        the cgroup2 mount, i.e. every process)
  --bpf-ringbuf-size SIZE
                        BPF ring buffer, a power of two of at least 4K.
                        Default 1M. Events that do not fit are counted as lost.
  --max-tracked-connections N
                        connection table cap (1-10000000). Default 262144.
  --reconcile-interval DURATION
                        how often sock_diag snapshots repair the table
                        (100ms-3600s). Default 10s.
  --netns-dir DIR       namespace files to reconcile and hear path-manager
                        events from, besides the daemon's own namespace and
                        every process's. Default /run/netns (where `ip
                        netns` names them); '' for none.

The checker listens with an MPTCP socket. Where the kernel has no MPTCP, or
net.mptcp.enabled=0, it listens on plain TCP, says so once at start-up, and
tells every client it is not using MPTCP.

Signals: SIGINT and SIGTERM stop the daemon; SIGHUP reloads --tls-cert and
--tls-key.
)";
}

ParsedOptions parse_options(const std::vector<std::string> &args) {
  ParsedOptions p;
  bool admin_set = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> inline_value;
    if (const auto eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      inline_value = flag.substr(eq + 1);
      flag.resize(eq);
    }
    auto value = [&](std::string &out) {
      if (inline_value) {
        out = *inline_value;
        return true;
      }
      if (i + 1 >= args.size()) {
        p.error = flag + " needs a value (see --help)";
        return false;
      }
      out = args[++i];
      return true;
    };
    std::string v;
    if (flag == "--help" || flag == "-h") {
      p.show_help = true;
    } else if (flag == "--version") {
      p.show_version = true;
    } else if (flag == "--listen") {
      if (!value(v)) return p;
      std::string why;
      const auto address = parse_socket_address(v, why);
      if (!address) {
        p.error = "--listen: " + why;
        return p;
      }
      p.options.checker_listen.push_back(*address);
    } else if (flag == "--listen-tls") {
      if (!value(v)) return p;
      std::string why;
      const auto address = parse_socket_address(v, why);
      if (!address) {
        p.error = "--listen-tls: " + why;
        return p;
      }
      p.options.checker_listen_tls.push_back(*address);
    } else if (flag == "--tls-cert" || flag == "--tls-key") {
      if (!value(v)) return p;
      if (v.empty()) {
        p.error = flag + " needs a file name";
        return p;
      }
      (flag == "--tls-cert" ? p.options.tls_certificate : p.options.tls_key) = v;
    } else if (flag == "--threads") {
      // Kept so that existing command lines still start the daemon.
      if (!value(v)) return p;
      p.warnings.push_back("--threads is no longer used: the event loops serve requests that wait (see --max-waiting)");
    } else if (flag == "--max-connections-per-client") {
      if (!value(v)) return p;
      if (!parse_count(v, 1, 1000000, p.options.max_connections_per_client)) {
        p.error = "--max-connections-per-client: '" + v + "' is not a number from 1 to 1000000";
        return p;
      }
    } else if (flag == "--max-waiting") {
      if (!value(v)) return p;
      if (!parse_count(v, 1, 100000, p.options.max_waiting)) {
        p.error = "--max-waiting: '" + v + "' is not a number from 1 to 100000";
        return p;
      }
    } else if (flag == "--max-waiting-per-client") {
      if (!value(v)) return p;
      if (!parse_count(v, 1, 1000, p.options.max_waiting_per_client)) {
        p.error = "--max-waiting-per-client: '" + v + "' is not a number from 1 to 1000";
        return p;
      }
    } else if (flag == "--max-connections") {
      if (!value(v)) return p;
      if (!parse_count(v, 1, 1000000, p.options.max_connections)) {
        p.error = "--max-connections: '" + v + "' is not a number from 1 to 1000000";
        return p;
      }
    } else if (flag == "--admin-listen") {
      if (!value(v)) return p;
      if (v.empty()) {
        p.options.admin_listen.reset();
        admin_set = true;
        continue;
      }
      std::string why;
      const auto address = parse_socket_address(v, why);
      if (!address) {
        p.error = "--admin-listen: " + why;
        return p;
      }
      p.options.admin_listen = *address;
      admin_set = true;
    } else if (flag == "--metrics-listen") {
      if (!value(v)) return p;
      std::string why;
      const auto address = parse_socket_address(v, why);
      if (!address) {
        p.error = "--metrics-listen: " + why;
        return p;
      }
      p.options.metrics_listen = *address;
    } else if (flag == "--no-public-metrics") {
      p.options.public_metrics = false;
    } else if (flag == "--connection-metrics") {
      if (!value(v)) return p;
      if (!parse_count(v, 0, 100000, p.options.connection_metrics)) {
        p.error = "--connection-metrics: '" + v + "' is not a number from 0 to 100000";
        return p;
      }
    } else if (flag == "--no-bpf") {
      p.options.bpf = false;
    } else if (flag == "--cgroup") {
      if (!value(v)) return p;
      p.options.cgroup = v;
    } else if (flag == "--bpf-ringbuf-size") {
      if (!value(v)) return p;
      std::string why;
      const auto bytes = parse_byte_size(v, why);
      if (!bytes || *bytes < 4096 || *bytes > (1ull << 30) || (*bytes & (*bytes - 1)) != 0) {
        p.error = "--bpf-ringbuf-size: '" + v + "' is not a power of two from 4K to 1G";
        return p;
      }
      p.options.bpf_ringbuf_bytes = static_cast<uint32_t>(*bytes);
    } else if (flag == "--max-tracked-connections") {
      if (!value(v)) return p;
      if (!parse_count(v, 1, 10000000, p.options.max_tracked_connections)) {
        p.error = "--max-tracked-connections: '" + v + "' is not a number from 1 to 10000000";
        return p;
      }
    } else if (flag == "--reconcile-interval") {
      if (!value(v)) return p;
      std::string why;
      const auto d = parse_duration(v, why);
      if (!d || *d < std::chrono::milliseconds(100) || *d > std::chrono::hours(1)) {
        p.error = "--reconcile-interval: '" + v + "' is not a duration from 100ms to 3600s";
        return p;
      }
      p.options.reconcile_interval = *d;
    } else if (flag == "--netns-dir") {
      if (!value(v)) return p;
      p.options.netns_dir = v;
    } else if (flag == "--log-format") {
      if (!value(v)) return p;
      if (v == "text") p.options.log_format = log::Format::text;
      else if (v == "json") p.options.log_format = log::Format::json;
      else {
        p.error = "--log-format: '" + v + "' is not text or json";
        return p;
      }
    } else if (flag == "--log-level") {
      if (!value(v)) return p;
      if (v == "debug") p.options.log_level = log::Level::debug;
      else if (v == "info") p.options.log_level = log::Level::info;
      else if (v == "warn") p.options.log_level = log::Level::warn;
      else if (v == "error") p.options.log_level = log::Level::error;
      else {
        p.error = "--log-level: '" + v + "' is not one of debug, info, warn, error";
        return p;
      }
    } else {
      p.error = "unknown flag '" + args[i] + "' (see --help)";
      return p;
    }
  }
  const bool tls_files = !p.options.tls_certificate.empty() || !p.options.tls_key.empty();
  if (!p.options.checker_listen_tls.empty() && (p.options.tls_certificate.empty() || p.options.tls_key.empty())) {
    p.error = "--listen-tls needs both --tls-cert FILE and --tls-key FILE";
    return p;
  }
  if (p.options.checker_listen_tls.empty() && tls_files) {
    p.error = "--tls-cert and --tls-key serve --listen-tls addresses, and none is given";
    return p;
  }
  std::string unused;
  if (p.options.checker_listen.empty() && p.options.checker_listen_tls.empty()) {
    p.options.checker_listen.push_back(*parse_socket_address("[::]:8684", unused));
  }
  if (!admin_set) p.options.admin_listen = *parse_socket_address("127.0.0.1:8685", unused);
  return p;
}

}  // namespace observer
