#include "options.h"

#include "commands/command_line.h"
#include "common/durations.h"

namespace observer {
namespace {
using commands::CommandLine;

constexpr std::string_view kProgram = "mptcp-observer";
// The BPF ring buffer: a power of two (the kernel's rule), 4K to 1G.
constexpr uint64_t kMinRingbufBytes = 4096, kMaxRingbufBytes = 1ull << 30;

SocketAddress address_or_die(std::string_view text) {
  std::string unused;
  return *parse_socket_address(text, unused);
}

commands::ParseValue address_into(std::vector<SocketAddress> &to) {
  return [&to](const std::string &v) {
    std::string why;
    const auto address = parse_socket_address(v, why);
    if (address) to.push_back(*address);
    return why;
  };
}

commands::ParseValue optional_address_into(std::optional<SocketAddress> &to, bool empty_disables) {
  return [&to, empty_disables](const std::string &v) {
    std::string why;
    if (v.empty() && empty_disables) {
      to.reset();
    } else if (const auto address = parse_socket_address(v, why)) {
      to = *address;
    }
    return why;
  };
}

commands::HelpText daemon_help() {
  const std::string p(kProgram);
  const std::string port(kDefaultCheckerListen.substr(kDefaultCheckerListen.rfind(':') + 1));
  commands::HelpText h;
  h.usage = "Usage: " + p + " [FLAGS]\n" +                                                              //
            "       " + p + " diagnose [FLAGS]     check this host's MPTCP setup (diagnose --help)\n" +  //
            "       " + p + " probe HOST [FLAGS]   test MPTCP from here to a checker (probe --help)\n";
  h.about = p + " answers \"am I using MPTCP?\" for every client that connects,\n" +
            "from the kernel's own view of that connection.\n\n" +
            "  curl http://HOST:" + port + "/                 one-line verdict, then the subflows\n" +
            "  curl http://HOST:" + port + "/?format=json     the same as JSON (or Accept: application/json)\n" +
            "  curl http://HOST:" + port + "/?wait=2s         wait up to 2s for joined subflows first\n" +
            "  curl http://HOST:" + port + "/download?size=10M  10 MiB to measure throughput over all subflows\n" +
            "  curl http://HOST:" + port + "/healthz          200 while serving, with what is serving\n" +
            "  curl https://HOST:8443/                the same over TLS, with --listen-tls :8443\n";
  h.footer =
      "The checker listens with an MPTCP socket. Where the kernel has no MPTCP, or\n"
      "net.mptcp.enabled=0, it listens on plain TCP, says so once at start-up, and\n"
      "tells every client it is not using MPTCP.\n\n"
      "Signals: SIGINT and SIGTERM stop the daemon; SIGHUP reloads --tls-cert and\n"
      "--tls-key.\n";
  return h;
}

// Every flag of the daemon, in the order --help shows them. `o` holds the
// defaults when this is called, and the values once the line is parsed.
void declare_flags(CommandLine &cl, Options &o, ParsedOptions &p) {
  cl.section("Flags");
  cl.repeatable("--listen", "ADDR:PORT",
                "plain HTTP checker address; repeat for several. Default " + std::string(kDefaultCheckerListen) +
                    " (IPv4 and IPv6) when no --listen or --listen-tls is given. IPv6 in brackets: [::1]:8684. "
                    "Port 0 picks a free port.",
                address_into(o.checker_listen));
  cl.repeatable("--listen-tls", "ADDR:PORT",
                "HTTPS checker address, repeatable, beside or instead of --listen: TLS ends in the daemon, on the "
                "client's own MPTCP connection. Needs --tls-cert and --tls-key.",
                address_into(o.checker_listen_tls));
  cl.text("--tls-cert", "FILE", o.tls_certificate,
          "PEM certificate of the HTTPS addresses, then its chain. SIGHUP reloads it and the key for new "
          "connections; a broken pair is logged and not used.",
          "needs a file name");
  cl.text("--tls-key", "FILE", o.tls_key, "PEM private key of that certificate, unencrypted.", "needs a file name");
  cl.count("--max-connections", o.max_connections, {1, 1000000},
           "open client connections before new ones are refused");
  cl.count("--max-connections-per-client", o.max_connections_per_client, {1, 1000000},
           "the same for one client address, IPv6 by /64");
  cl.count("--max-waiting", o.max_waiting, {1, 100000},
           "answers that wait or stream at once (?wait, /download), in all; past it, 503 with Retry-After");
  cl.count("--max-waiting-per-client", o.max_waiting_per_client, {1, 1000},
           "the same for one client address, IPv6 by /64; past it, 429 with Retry-After");
  cl.choice("--log-level", "LEVEL", o.log_level,
            {{"debug", log::Level::debug}, {"info", log::Level::info}, {"warn", log::Level::warn},
             {"error", log::Level::error}},
            "what to log, to stderr, one event per line");
  cl.choice("--log-format", "FORMAT", o.log_format, {{"text", log::Format::text}, {"json", log::Format::json}},
            "json: one JSON object per line, {\"time\", \"level\", \"component\", \"message\"}");
  cl.help_flag();
  cl.flag("--version", "version and git revision", [&p] { p.show_version = true; });
  // Accepted so that existing command lines still start the daemon.
  cl.hidden("--threads", [&p](const std::string &) {
    p.warnings.push_back("--threads is no longer used: the event loops serve requests that wait (see --max-waiting)");
    return std::string();
  });

  cl.section("Admin API (connection details name client addresses: keep it on loopback)");
  cl.value("--admin-listen", "ADDR:PORT",
           "default " + std::string(kDefaultAdminListen) +
               "; '' disables it. Serves /api/v1/connections, /api/v1/events, /metrics and /healthz.",
           optional_address_into(o.admin_listen, /*empty_disables=*/true));

  cl.section("Metrics (Prometheus text format at /metrics)");
  cl.value("--metrics-listen", "ADDR:PORT",
           "also serve /metrics (aggregates) and /healthz on a plain TCP address, e.g. [::]:9684: scrapes there "
           "are not counted as MPTCP fallbacks, as scrapes of the checker's MPTCP port are. Hardened like the "
           "checker.",
           optional_address_into(o.metrics_listen, /*empty_disables=*/false));
  cl.flag("--no-public-metrics",
          "serve /metrics on the admin listener only, not on the checker port. Aggregates name no client address.",
          [&o] { o.public_metrics = false; });
  cl.count("--connection-metrics", o.connection_metrics, {0, 100000},
           "also export one series per tracked connection (it names client addresses), at most N; 0 is off");

  cl.section(
      "Tracing (every MPTCP subflow on the host, with BPF; needs root or CAP_BPF+CAP_PERFMON+CAP_NET_ADMIN; "
      "without them the checker still serves)");
  cl.flag("--no-bpf", "do not load the BPF programs", [&o] { o.bpf = false; });
  cl.text("--cgroup", "PATH", o.cgroup,
          "cgroup v2 directory to trace (default: the root of the cgroup2 mount, i.e. every process)");
  cl.flag("--bpf-probe-reads",
          "read subflow fields with a probe read per callback, as on kernels before 6.2, even where the program "
          "that reads them through a typed pointer (bpf_rdonly_cast, 6.2+, cheaper) loads",
          [&o] { o.bpf_probe_reads = true; });
  cl.value("--bpf-ringbuf-size", "SIZE",
           "BPF ring buffer, a power of two from " + commands::byte_size_text(kMinRingbufBytes) + " to " +
               commands::byte_size_text(kMaxRingbufBytes) + ". Default " +
               commands::byte_size_text(o.bpf_ringbuf_bytes) + ". Events that do not fit are counted as lost.",
           [&o](const std::string &v) {
             std::string why;
             const auto bytes = parse_byte_size(v, why);
             if (!bytes || *bytes < kMinRingbufBytes || *bytes > kMaxRingbufBytes || (*bytes & (*bytes - 1)) != 0) {
               return "'" + v + "' is not a power of two from " + commands::byte_size_text(kMinRingbufBytes) +
                      " to " + commands::byte_size_text(kMaxRingbufBytes);
             }
             o.bpf_ringbuf_bytes = static_cast<uint32_t>(*bytes);
             return std::string();
           });
  cl.count("--max-tracked-connections", o.max_tracked_connections, {1, 10000000}, "connection table cap");
  cl.duration("--reconcile-interval", o.reconcile_interval,
              {std::chrono::milliseconds(100), std::chrono::hours(1)},
              "how often sock_diag snapshots repair the table");
  cl.text("--netns-dir", "DIR", o.netns_dir,
          "namespace files to reconcile and hear path-manager events from, besides the daemon's own namespace "
          "and every process's: where `ip netns` names them, or '' for none. Default " + o.netns_dir + ".");
}
}  // namespace

SocketAddress Options::default_admin_listen() { return address_or_die(kDefaultAdminListen); }

std::string help_text() {
  Options defaults;
  ParsedOptions unused;
  CommandLine cl("", daemon_help());
  declare_flags(cl, defaults, unused);
  cl.bind_environment("MPTCP_OBSERVER_");
  return cl.help();
}

ParsedOptions parse_options(const std::vector<std::string> &args) {
  ParsedOptions p;
  CommandLine cl("", daemon_help());
  declare_flags(cl, p.options, p);
  cl.bind_environment("MPTCP_OBSERVER_");
  switch (cl.parse(args, p.error)) {
    case CommandLine::Outcome::mistake: return p;
    case CommandLine::Outcome::help: p.show_help = true; break;
    case CommandLine::Outcome::run: break;
  }
  Options &o = p.options;
  const bool tls_files = !o.tls_certificate.empty() || !o.tls_key.empty();
  if (!o.checker_listen_tls.empty() && (o.tls_certificate.empty() || o.tls_key.empty())) {
    p.error = "--listen-tls needs both --tls-cert FILE and --tls-key FILE";
    return p;
  }
  if (o.checker_listen_tls.empty() && tls_files) {
    p.error = "--tls-cert and --tls-key serve --listen-tls addresses, and none is given";
    return p;
  }
  if (o.checker_listen.empty() && o.checker_listen_tls.empty()) {
    o.checker_listen.push_back(address_or_die(kDefaultCheckerListen));
  }
  return p;
}

}  // namespace observer
