#include "daemon.h"

#include <sys/resource.h>
#include <sys/stat.h>

#include "common/clocks.h"
#include "common/log.h"
#include "common/version.h"
#include "process/privileges.h"
#include "sources/pm_netlink/pm_config_reader.h"
#include "http/tls_context.h"
#include "sources/pm_netlink/pm_event_translate.h"
#include "sources/procfs/mptcp_sysctl.h"
#include "views/admin/admin_routes.h"
#include "views/checker/checker_routes.h"
#include "views/health_routes.h"
#include "views/metrics/metrics_routes.h"

namespace observer {
namespace {
std::string server_header() { return std::string("mptcp-observer/") + kVersion; }

// How stale the host counters behind a diagnosis may be: /proc/net/netstat
// is read at most ten times a second, however many answers need it.
constexpr auto kHostSampleInterval = std::chrono::milliseconds(100);
// How far back the kept samples reach, at least: the admin API asks the
// sampler only about connections younger than that, so that an older one
// gets no window that began after it, and costs no lookup.
constexpr auto kHostSampleReach = kHostSampleInterval * procfs::HostSampler::kKeptSamples;
// --metrics-listen serves a few Prometheus servers, not the public.
constexpr size_t kMetricsListenerConnections = 1024;

checker::PathManagerKind path_manager_kind(const std::optional<std::string> &name) {
  if (name == "kernel") return checker::PathManagerKind::in_kernel;
  if (name == "userspace") return checker::PathManagerKind::userspace;
  return checker::PathManagerKind::unknown;
}

checker::HostView host_view(procfs::HostSampler::View sampled) {
  checker::HostView view;
  view.path_manager = path_manager_kind(sampled.path_manager);
  if (sampled.counters) {
    checker::MibWindow window;
    window.span = std::chrono::duration_cast<std::chrono::milliseconds>(sampled.counters->span);
    window.rises = std::move(sampled.counters->rises);
    view.mib = std::move(window);
  }
  return view;
}

// The inode of our network namespace: how BPF events name it.
uint32_t own_netns_inode() {
  struct stat st{};
  return stat("/proc/self/ns/net", &st) == 0 ? static_cast<uint32_t>(st.st_ino) : 0;
}
}  // namespace

Daemon::Daemon(const Options &options)
    : options_(options), own_netns_(own_netns_inode()), table_(options.max_tracked_connections) {
  metrics::MetricsInputs inputs;
  inputs.gauges = [this] { return table_.with([](const ConnectionTable &t) { return t.gauges(); }); };
  inputs.health = [this] { return source_health(); };
  inputs.http_servers = [this] { return http_server_figures(); };
  inputs.connections = [this](size_t limit) {
    return table_.with([&](const ConnectionTable &t) { return t.page(std::nullopt, limit); });
  };
  inputs.path_manager = [] {
    metrics::PathManagerFigures f;
    const auto sysctls = procfs::read_mptcp_sysctls();
    f.enabled = sysctls.enabled;
    f.path_manager = sysctls.path_manager;
    auto config = pm::read_path_manager_config();
    f.limits = config.limits;
    if (config.endpoints) f.endpoints = pm::count_by_flag(*config.endpoints);
    f.error = std::move(config.error);
    return f;
  };
  metrics_ = std::make_unique<metrics::ObserverMetrics>(std::move(inputs), options.connection_metrics);
}

Daemon::~Daemon() { stop(); }

bool Daemon::start() {
  // The certificate first: a bad file stops start-up with its one line
  // before anything else is logged or opened.
  if (!load_tls()) return false;
  fit_connections_to_open_files();
  // BPF first, so that it sees our own MPTCP listener start.
  start_bpf();
  start_path_manager_events();
  if (!open_checker()) return false;
  if (!open_admin()) return false;
  if (!open_metrics_listener()) return false;
  start_reconciler();
  // BPF is attached and every listener open: keep only what the running
  // sources use, in every thread, before the first request is read.
  process::drop_privileges_after_start({.bpf = bpf_ != nullptr});
  checker_->start();
  if (metrics_server_) metrics_server_->start();
  if (admin_) admin_->start();
  return true;
}

void Daemon::fit_connections_to_open_files() {
  // Each client connection is an fd: take the hard limit, not the soft one
  // (often 1024) that would refuse clients long before --max-connections.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  // Past the limit, accept() fails and clients wait in the backlog
  // unanswered: hold --max-connections under it, with room for the
  // daemon's own files (listeners, BPF, netlink, namespaces).
  constexpr rlim_t kOwnFiles = 256;
  if (getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur == RLIM_INFINITY ||
      files.rlim_cur >= options_.max_connections + kOwnFiles) {
    return;
  }
  const size_t fit = files.rlim_cur > 2 * kOwnFiles ? files.rlim_cur - kOwnFiles : files.rlim_cur / 2;
  const std::string line = "--max-connections " + std::to_string(options_.max_connections) +
                           " needs more open files than the limit of " + std::to_string(files.rlim_cur) +
                           " (ulimit -n) allows; serving at most " + std::to_string(fit);
  // A default that does not fit is this host's business; a value asked for is the user's.
  if (options_.max_connections == Options{}.max_connections) log::info("main", line);
  else log::warn("main", line);
  options_.max_connections = fit;
}

void Daemon::stop() {
  if (checker_) checker_->stop();
  if (metrics_server_) metrics_server_->stop();
  if (admin_) admin_->stop();
  reconciler_.reset();
  hub_.on_watched(nullptr);
  pm_.reset();
  bpf_.reset();
}

bool Daemon::load_tls() {
  if (options_.checker_listen_tls.empty()) return true;
  tls_ = std::make_shared<http::TlsContextSlot>(http::TlsFiles{options_.tls_certificate, options_.tls_key});
  std::string error;
  if (!tls_->load(error)) {
    log::error("tls", error);
    return false;
  }
  note_certificate(/*reload=*/false);
  return true;
}

void Daemon::reload_tls() {
  if (!tls_) {
    log::info("main", "received SIGHUP: no --listen-tls, nothing to reload");
    return;
  }
  std::string error;
  if (!tls_->load(error)) {
    log::error("tls", "reload failed, new connections keep the certificate in use: " + error);
    return;
  }
  note_certificate(/*reload=*/true);
}

void Daemon::note_certificate(bool reload) const {
  const auto context = tls_->current();
  log::info("tls", (reload ? "reloaded " : "loaded ") + tls_->files().certificate +
                       (reload ? " for new connections: " : ": ") + context->summary());
  if (context->expired()) {
    log::warn("tls", "the certificate in " + tls_->files().certificate + " has expired: clients will refuse it");
  }
}

bool Daemon::open_checker() {
  http::ServerLimits limits;
  limits.max_connections = options_.max_connections;
  limits.max_connections_per_client = options_.max_connections_per_client;
  limits.max_waiting = options_.max_waiting;
  limits.max_waiting_per_client = options_.max_waiting_per_client;
  checker_ = std::make_unique<http::HttpServer>("checker", limits, server_header());
  const auto open = [&](const SocketAddress &address, std::shared_ptr<http::TlsContextSlot> tls) {
    std::string error;
    auto listener = http::open_listener(address, /*want_mptcp=*/true, error);
    if (!listener) {
      log::error("checker", error);
      return false;
    }
    listener->tls = std::move(tls);
    const std::string where = "listening on " + format_endpoint(listener->address);
    const char *https = listener->tls ? ", HTTPS" : "";
    if (listener->transport == http::Transport::mptcp) {
      log::info("checker", where + " (MPTCP" + https + ")");
    } else {
      log::warn("checker", where + " (plain TCP" + https + ": " + listener->fallback_reason +
                               "; every client will be reported as not using MPTCP)");
    }
    checker_->add_listener(std::move(*listener));
    return true;
  };
  for (const auto &address : options_.checker_listen) {
    if (!open(address, nullptr)) return false;
  }
  for (const auto &address : options_.checker_listen_tls) {
    if (!open(address, tls_)) return false;
  }
  checker::CheckerHooks hooks;
  hooks.enrich = [this](MptcpStatus &status) { return merge_checker_status(status); };
  hooks.listener_mptcp = checker_speaks_mptcp();
  if (hooks.listener_mptcp) {
    std::vector<std::string> counters(checker::diagnosis_counters().begin(), checker::diagnosis_counters().end());
    host_sampler_ = std::make_unique<procfs::HostSampler>(std::move(counters), kHostSampleInterval);
    hooks.host = [sampler = host_sampler_.get()](std::chrono::steady_clock::time_point since) {
      return host_view(sampler->since(since));
    };
  }
  hooks.on_answer = [this](std::string_view result, std::string_view format) {
    metrics_->on_checker_answer(result, format);
  };
  checker::install_checker_routes(*checker_, std::move(hooks));
  if (options_.public_metrics) metrics::install_public_metrics_route(*checker_, *metrics_);
  install_public_health_route(*checker_);
  return true;
}

bool Daemon::open_metrics_listener() {
  if (!options_.metrics_listen) return true;
  // Prometheus servers, a few connections: one loop, the checker's limits
  // but for the connections.
  http::ServerLimits limits;
  limits.loops = 1;
  limits.max_connections = kMetricsListenerConnections;
  metrics_server_ = std::make_unique<http::HttpServer>("metrics", limits, server_header());
  std::string error;
  auto listener = http::open_listener(*options_.metrics_listen, /*want_mptcp=*/false, error);
  if (!listener) {
    log::error("metrics", error);
    return false;
  }
  log::info("metrics", "listening on " + format_endpoint(listener->address) + " (plain TCP: /metrics, /healthz)");
  metrics_server_->add_listener(std::move(*listener));
  metrics::install_public_metrics_route(*metrics_server_, *metrics_);
  install_public_health_route(*metrics_server_);
  return true;
}

bool Daemon::open_admin() {
  if (!options_.admin_listen) return true;
  // Each event stream holds a thread for as long as it is open; the hub
  // admits kMaxEventStreams of them, which leaves threads for the API.
  admin_ = std::make_unique<http::HttplibServer>("admin", server_header(), kMaxEventStreams + 8);
  std::string error;
  const auto bound = admin_->bind(*options_.admin_listen, error);
  if (!bound) {
    log::error("admin", error);
    return false;
  }
  log::info("admin", "listening on " + format_endpoint(*bound) + " (API: /api/v1/connections, /api/v1/events)");
  admin::install_admin_routes(*admin_, table_, hub_, [this] { return admin_local_setup(); });
  metrics::install_admin_metrics_route(*admin_, *metrics_);
  install_admin_health_route(*admin_, *checker_, [this] { return source_health(); });
  return true;
}

void Daemon::on_event(MptcpEvent &event) {
  auto derived = table_.with([&](ConnectionTable &t) { return t.apply(event); });
  publish(event);
  for (const auto &d : derived) publish(d);
}

void Daemon::publish(const MptcpEvent &event) {
  metrics_->on_event(event);
  hub_.publish(event);
}

bool Daemon::checker_speaks_mptcp() const {
  for (const auto &l : checker_->listeners()) {
    if (l.transport == http::Transport::mptcp) return true;
  }
  return false;
}

SourceHealth Daemon::source_health() const {
  SourceHealth h;
  h.bpf.loaded = bpf_ != nullptr;
  h.bpf.up = bpf_ && bpf_->running();
  if (bpf_) {
    const auto c = bpf_->counters();
    h.bpf.cgroup = bpf_->cgroup_path();
    h.bpf.reads = bpf::subflow_reads_name(bpf_->reads());
    h.bpf.events = c.received;
    h.bpf.lost = c.lost;
    h.bpf.malformed = c.malformed;
  } else {
    h.bpf.reason = bpf_inactive_reason_;
  }
  if (reconciler_) {
    const auto s = reconciler_->stats();
    h.sock_diag.up = s.ok;
    h.sock_diag.runs = s.runs;
    h.sock_diag.namespaces = s.namespaces;
    h.sock_diag.repairs = s.connections_added + s.connections_removed;
    h.sock_diag.reason = s.last_error;
  }
  // Only an MPTCP listener accepts sockets that getsockopt(SOL_MPTCP) can describe.
  h.getsockopt.up = checker_speaks_mptcp();
  if (pm_) {
    const auto c = pm_->counters();
    h.pm_netlink.up = pm_->active();
    h.pm_netlink.listening = pm_->active() && pm_->listening();
    h.pm_netlink.namespaces = c.namespaces;
    h.pm_netlink.events = c.events;
    h.pm_netlink.overruns = c.overruns;
    if (!pm_->active()) h.pm_netlink.reason = pm_->reason();
  }
  table_.with([&](const ConnectionTable &t) {
    h.tracked_connections = t.size();
    h.table_overflow = t.overflowed();
  });
  h.stream_dropped = hub_.dropped_total();
  return h;
}

std::vector<metrics::HttpServerFigures> Daemon::http_server_figures() const {
  std::vector<metrics::HttpServerFigures> figures;
  for (const http::HttpServer *server : {checker_.get(), metrics_server_.get()}) {
    if (!server) continue;
    const auto &c = server->counters();
    metrics::HttpServerFigures s;
    s.name = server->name();
    s.accepted = c.accepted.load();
    s.refused_over_limit = c.rejected_over_limit.load();
    s.refused_client_over_limit = c.rejected_client_over_limit.load();
    s.accept_errors = c.accept_errors.load();
    s.idle_closed = c.idle_closed.load();
    s.timed_out = c.timed_out.load();
    s.slow_readers = c.slow_readers.load();
    s.open = c.open.load();
    s.waiting = c.waiting.load();
    s.handler_errors = c.handler_errors.load();
    s.tls_handshake_failed = c.tls_handshake_failed.load();
    for (size_t i = 1; i < http::kRefusalKinds; ++i) {  // 0 is Refusal::none
      s.refusals.emplace_back(http::refusal_name(static_cast<http::Refusal>(i)), c.refusals[i].load());
    }
    figures.push_back(std::move(s));
  }
  return figures;
}

void Daemon::start_bpf() {
  if (options_.bpf) {
    bpf::BpfOptions bo;
    bo.cgroup_path = options_.cgroup;
    bo.ringbuf_bytes = options_.bpf_ringbuf_bytes;
    bo.probe_reads = options_.bpf_probe_reads;
    bpf_ = bpf::BpfSubflowSource::start(bo, [this](MptcpEvent &e) { on_event(e); }, bpf_inactive_reason_);
    if (bpf_) {
      log::info("bpf", "tracing MPTCP subflows below " + bpf_->cgroup_path() + "; subflow fields read " +
                           (bpf_->reads() == bpf::SubflowReads::typed
                                ? "through typed pointers"
                                : options_.bpf_probe_reads
                                    ? "with probe reads (--bpf-probe-reads)"
                                    : "with probe reads (the build with typed reads, for Linux 6.2 and later, did not "
                                      "load; --log-level debug says why)"));
    } else {
      log::warn("bpf", "tracing is off: " + bpf_inactive_reason_);
    }
  } else {
    bpf_inactive_reason_ = "disabled by --no-bpf";
    log::info("bpf", "tracing is off: disabled by --no-bpf");
  }
}

void Daemon::start_path_manager_events() {
  // Logs for itself why it is off (no CAP_NET_ADMIN, no MPTCP in the kernel).
  pm::PmNetlinkOptions po;
  po.netns_dir = options_.netns_dir;
  po.only = pm::kStreamedEventTypes;
  pm_ = std::make_unique<pm::PmNetlinkSource>(po, [this](const pm::PathManagerEvent &e) {
    if (auto event = pm::to_stream_event(e)) on_event(*event);
  });
  // What only the path manager tells goes to the event stream alone (the
  // table learns backup flags from snapshots too): hear it while a stream
  // is open, and spare the host the kernel's per-connection messages
  // otherwise.
  // BPF likewise sends an outbound initial subflow's SYN only then.
  hub_.on_watched([this](bool watched) {
    if (pm_->active()) pm_->set_listening(watched);
    if (bpf_) bpf_->set_stream_watched(watched);
  });
}

void Daemon::start_reconciler() {
  ReconcilerOptions ro;
  if (pm_ && pm_->active()) ro.after_run = [this] { pm_->rescan(); };
  if (bpf_) {
    ro.on_listeners = [this](uint32_t netns, const std::vector<uint16_t> &ports) { bpf_->sync_listeners(netns, ports); };
  }
  ro.interval = options_.reconcile_interval;
  ro.netns_dir = options_.netns_dir;
  reconciler_ = std::make_unique<Reconciler>(table_, [this](const MptcpEvent &e) { publish(e); }, ro);
  reconciler_->run_once();  // connections opened before the daemon show at once
  const auto s = reconciler_->stats();
  if (s.ok) {
    log::info("sock_diag", "reconciling " + std::to_string(s.namespaces) + " network namespace(s) every " +
                               std::to_string(options_.reconcile_interval.count()) + "ms; " +
                               std::to_string(s.connections_added) + " existing MPTCP connection(s) found");
  }
  reconciler_->start();
}

admin::LocalSetup Daemon::admin_local_setup() const {
  admin::LocalSetup setup;
  setup.netns = own_netns_;
  setup.path_manager = path_manager_kind(procfs::read_path_manager());
  // A part that cannot be read is left out: /metrics logs why, and
  // mptcp_observer_collector_success says so.
  const auto config = pm::read_path_manager_config();
  if (config.limits) {
    setup.subflows_limit = config.limits->subflows;
    setup.add_addr_accepted_limit = config.limits->add_addr_accepted;
  }
  if (config.endpoints) {
    const auto counts = pm::count_by_flag(*config.endpoints);
    setup.subflow_endpoints = counts.subflow;
    setup.signal_endpoints = counts.signal;
  }
  if (host_sampler_) {
    setup.counters_since = [sampler = host_sampler_.get()](uint64_t since_ns) -> std::optional<checker::MibWindow> {
      // BPF's timestamps are CLOCK_MONOTONIC, which steady_clock reads too.
      const auto since = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(since_ns));
      if (std::chrono::steady_clock::now() - since > kHostSampleReach) return std::nullopt;
      return host_view(sampler->since(since)).mib;
    };
  }
  return setup;
}

checker::ConnectionContext Daemon::merge_checker_status(MptcpStatus &status) {
  checker::ConnectionContext context;
  if (status.verdict != Verdict::mptcp) return context;
  std::vector<ObservedSubflow> observed;
  for (const auto &s : status.subflows) observed.push_back({Endpoint::from(s.local), Endpoint::from(s.remote), s.kind});
  const ConnectionKey key{own_netns_, status.token};
  // In place, under the table's lock: this runs on every checker request,
  // and copying the record out would cost more than the lookup.
  table_.with([&](ConnectionTable &t) {
    const auto [record, created] = t.merge_getsockopt(key, Direction::inbound, observed, monotonic_ns());
    if (!record) return;
    if (record->established_ns) {
      // BPF's timestamps are CLOCK_MONOTONIC, which steady_clock reads too.
      context.joins_since = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(record->established_ns));
    } else if (created) {
      // The first the daemon hears of it, before tracing's report: the
      // connection is new, and its joins, which follow this first request,
      // are still to come.
      context.joins_since = std::chrono::steady_clock::now();
    }
    for (auto &s : status.subflows) {
      const Endpoint local = Endpoint::from(s.local), remote = Endpoint::from(s.remote);
      for (const auto &known : record->subflows) {
        if (known.local != local || known.remote != remote) continue;
        if (known.handshake_ns) s.handshake_us = known.handshake_ns / 1000;
        if (known.backup_seen_ns) s.backup = known.backup;
      }
    }
  });
  if (bpf_ && bpf_->running()) {
    for (const auto &s : status.subflows) context.tracing_pending = context.tracing_pending || !s.backup;
  }
  return context;
}

}  // namespace observer
