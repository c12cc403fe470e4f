#include "views/metrics/observer_metrics.h"

#include <prometheus/text_serializer.h>
#include <sys/socket.h>

#include <chrono>
#include <sstream>

#include "common/log.h"
#include "common/mptcp_terms.h"
#include "common/version.h"
#include "sources/procfs/netstat_mib.h"
#include "sources/procfs/process_stats.h"
#include "views/metrics/mib_help.h"

namespace observer::metrics {
namespace {
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Families = std::vector<MetricFamily>;

constexpr Direction kDirections[] = {Direction::outbound, Direction::inbound};
constexpr SubflowKind kKinds[] = {SubflowKind::initial, SubflowKind::join};

const prometheus::Histogram::BucketBoundaries kJoinLatency = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                              0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5, 5};
const prometheus::Histogram::BucketBoundaries kFirstJoinDelay = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                                 0.5,   1,     2.5,  5,     10,   30,  60};
const prometheus::Histogram::BucketBoundaries kDuration = {0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600, 14400, 86400};
const prometheus::Histogram::BucketBoundaries kSubflows = {1, 2, 3, 4, 5, 6, 8, 12, 16};

const char *family_label(const MptcpEvent &e) {
  return Endpoint::from(e.local).family == AF_INET6 ? "ipv6" : "ipv4";
}

double seconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

MetricFamily family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

void add_value(MetricFamily &f, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (f.type == MetricType::Counter) m.counter.value = value;
  else m.gauge.value = value;
  f.metric.push_back(std::move(m));
}

// A family of one unlabelled value.
void add_single(Families &out, std::string name, std::string help, MetricType type, double value) {
  auto f = family(std::move(name), std::move(help), type);
  add_value(f, value);
  out.push_back(std::move(f));
}

// Whether each collector read its data at this scrape, and how long it took
// (node_exporter's node_scrape_collector_*).
class CollectorReport {
 public:
  template <typename Collect>
  void run(const char *name, Collect &&collect) {
    const auto start = std::chrono::steady_clock::now();
    const bool ok = collect();
    add_value(success_, ok ? 1 : 0, {{"collector", name}});
    add_value(duration_, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
              {{"collector", name}});
  }
  void append_to(Families &out) {
    out.push_back(std::move(success_));
    out.push_back(std::move(duration_));
  }

 private:
  MetricFamily success_ = family("mptcp_observer_collector_success", "1 if the collector read its data at this scrape.",
                                 MetricType::Gauge);
  MetricFamily duration_ = family("mptcp_observer_collector_duration_seconds",
                                  "Time each collector took at this scrape.", MetricType::Gauge);
};

// The kernel's MPTcpExt counters, one family each.
void add_mib(const procfs::MibCounters &mib, Families &out) {
  for (const auto &[name, value] : mib) {
    const bool gauge = mib_is_gauge(name);
    add_single(out, "mptcp_mib_" + name + (gauge ? "" : "_total"), mib_help(name),
               gauge ? MetricType::Gauge : MetricType::Counter, static_cast<double>(value));
  }
}

// What of the path manager's configuration could be read.
void add_path_manager(const PathManagerFigures &pm, Families &out) {
  if (pm.enabled) {
    add_single(out, "mptcp_enabled",
               "1 if net.mptcp.enabled lets programs create MPTCP sockets (in the daemon's network namespace).",
               MetricType::Gauge, *pm.enabled ? 1 : 0);
  }
  if (pm.path_manager) {
    auto f = family("mptcp_path_manager_info",
                    "The path manager new MPTCP connections get (net.mptcp.path_manager, or pm_type): kernel, "
                    "or userspace (a daemon such as mptcpd decides; the limits below do not apply).",
                    MetricType::Gauge);
    add_value(f, 1, {{"type", *pm.path_manager}});
    out.push_back(std::move(f));
  }
  if (pm.limits) {
    add_single(out, "mptcp_pm_limit_subflows",
               "Additional subflows per connection the in-kernel path manager accepts or opens (ip mptcp limits: "
               "subflows); at 0 a server refuses every MP_JOIN.",
               MetricType::Gauge, pm.limits->subflows);
    add_single(out, "mptcp_pm_limit_add_addr_accepted",
               "Addresses announced by a peer (ADD_ADDR) that the in-kernel path manager uses per connection (ip "
               "mptcp limits: add_addr_accepted); at 0 a client ignores them.",
               MetricType::Gauge, pm.limits->add_addr_accepted);
  }
  if (pm.endpoints) {
    const auto &e = *pm.endpoints;
    add_single(out, "mptcp_pm_endpoints", "In-kernel path-manager endpoints (ip mptcp endpoint).", MetricType::Gauge,
               e.all);
    auto by_flag = family("mptcp_pm_endpoints_by_flag",
                          "In-kernel path-manager endpoints with each flag: signal (announced to peers: what a "
                          "server needs), subflow (joins opened from it: what a client needs), backup, fullmesh, "
                          "implicit (made by the kernel), laminar. An endpoint may have several.",
                          MetricType::Gauge);
    for (const auto &[flag, n] : {std::pair{"signal", e.signal}, {"subflow", e.subflow}, {"backup", e.backup},
                                  {"fullmesh", e.fullmesh}, {"implicit", e.implicit}, {"laminar", e.laminar}}) {
      add_value(by_flag, n, {{"flag", flag}});
    }
    out.push_back(std::move(by_flag));
  }
}

// Connections and subflows open now, from the table's aggregates.
void add_table(const TableGauges &g, Families &out) {
  auto conns = family("mptcp_connections_active", "MPTCP connections open now, by direction.", MetricType::Gauge);
  auto subs = family("mptcp_subflows_active", "MPTCP subflows open now, by direction and kind.", MetricType::Gauge);
  for (const auto d : kDirections) {
    const size_t di = d == Direction::outbound ? 0 : 1;
    add_value(conns, static_cast<double>(g.connections[di]), {{"direction", direction_name(d)}});
    for (const auto k : kKinds) {
      add_value(subs, static_cast<double>(g.subflows[di][k == SubflowKind::initial ? 0 : 1]),
                {{"direction", direction_name(d)}, {"kind", subflow_kind_name(k)}});
    }
  }
  out.push_back(std::move(conns));
  out.push_back(std::move(subs));
}

// Each source's health and what it delivered; getsockopt's reads are
// counted here, as checker answers.
void add_sources(const SourceHealth &h, uint64_t getsockopt_reads, Families &out) {
  auto up = family("mptcp_observer_source_up", "1 if the source is delivering data.", MetricType::Gauge);
  add_value(up, h.bpf.up, {{"source", "bpf"}});
  add_value(up, h.sock_diag.up, {{"source", "sock_diag"}});
  add_value(up, h.getsockopt.up, {{"source", "getsockopt"}});
  add_value(up, h.pm_netlink.up, {{"source", "pm_netlink"}});
  out.push_back(std::move(up));
  add_single(out, "mptcp_observer_events_lost_total",
             "BPF events the kernel side could not queue (ring buffer full); the next sock_diag reconciliation "
             "repairs the table.",
             MetricType::Counter, static_cast<double>(h.bpf.lost));
  add_single(out, "mptcp_observer_events_malformed_total", "BPF records that did not decode.", MetricType::Counter,
             static_cast<double>(h.bpf.malformed));
  add_single(out, "mptcp_observer_table_overflow_total",
             "Connections not tracked because the table was full (--max-tracked-connections).", MetricType::Counter,
             static_cast<double>(h.table_overflow));
  add_single(out, "mptcp_observer_stream_events_dropped_total", "Events a slow /api/v1/events reader did not get.",
             MetricType::Counter, static_cast<double>(h.stream_dropped));
  auto events = family("mptcp_observer_events_total",
                       "Events each source delivered: BPF ring-buffer events, sock_diag table repairs, getsockopt "
                       "status reads for the checker, path-manager netlink events.",
                       MetricType::Counter);
  add_value(events, static_cast<double>(h.bpf.events), {{"source", "bpf"}});
  add_value(events, static_cast<double>(h.sock_diag.repairs), {{"source", "sock_diag"}});
  add_value(events, static_cast<double>(getsockopt_reads), {{"source", "getsockopt"}});
  add_value(events, static_cast<double>(h.pm_netlink.events), {{"source", "pm_netlink"}});
  out.push_back(std::move(events));
  add_single(out, "mptcp_observer_pm_netlink_overruns_total",
             "Times a path-manager netlink socket overflowed and the kernel dropped events (it reports each "
             "overflow once, however many events it dropped).",
             MetricType::Counter, static_cast<double>(h.pm_netlink.overruns));
}

// What the checker's HTTP servers did with their connections and requests.
void add_http_servers(const std::vector<HttpServerFigures> &servers, Families &out) {
  auto conns = family("mptcp_observer_http_connections_total",
                      "Client connections of the checker's HTTP servers (server=\"checker\", and \"metrics\" for "
                      "--metrics-listen): accepted (every one accept() returned), and of those refused "
                      "(--max-connections reached), refused_client (--max-connections-per-client), idle_closed "
                      "(kept alive and idle too long), timed_out (a TLS handshake, request or answer that stopped "
                      "moving), slow_reader (a download read slower than the floor), tls_handshake_failed (not TLS, "
                      "nothing in common, a certificate the client refused, or closed before the end); "
                      "accept_error counts accept() failures (e.g. out of file descriptors).",
                      MetricType::Counter);
  auto open = family("mptcp_observer_http_connections_open", "Client connections the HTTP server holds now.",
                     MetricType::Gauge);
  auto waiting = family("mptcp_observer_http_waiting_requests",
                        "Answers that wait or stream now (?wait, /download); at most --max-waiting.",
                        MetricType::Gauge);
  auto refusals = family("mptcp_observer_http_refusals_total",
                         "Requests refused before any page saw them, by reason: malformed (400), uri_too_long "
                         "(414), head_too_large (431), version (505), method (405), body (413), range (416), "
                         "busy (503: --max-waiting), client_limit (429: --max-waiting-per-client).",
                         MetricType::Counter);
  auto handler_errors = family("mptcp_observer_http_handler_errors_total",
                               "Requests whose page failed with an error (logged once, then only counted); each was "
                               "answered 500.",
                               MetricType::Counter);
  for (const auto &server : servers) {
    for (const auto &[outcome, count] :
         {std::pair{"accepted", server.accepted}, {"refused", server.refused_over_limit},
          {"refused_client", server.refused_client_over_limit}, {"accept_error", server.accept_errors},
          {"idle_closed", server.idle_closed}, {"timed_out", server.timed_out}, {"slow_reader", server.slow_readers},
          {"tls_handshake_failed", server.tls_handshake_failed}}) {
      add_value(conns, static_cast<double>(count), {{"server", server.name}, {"outcome", outcome}});
    }
    add_value(open, static_cast<double>(server.open), {{"server", server.name}});
    add_value(waiting, static_cast<double>(server.waiting), {{"server", server.name}});
    for (const auto &[reason, count] : server.refusals) {
      add_value(refusals, static_cast<double>(count), {{"server", server.name}, {"reason", reason}});
    }
    add_value(handler_errors, static_cast<double>(server.handler_errors), {{"server", server.name}});
  }
  out.push_back(std::move(conns));
  out.push_back(std::move(open));
  out.push_back(std::move(waiting));
  out.push_back(std::move(refusals));
  out.push_back(std::move(handler_errors));
}

// The process_* families every Prometheus client exports.
void add_process(const procfs::ProcessStats &p, Families &out) {
  add_single(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
             MetricType::Counter, p.cpu_seconds);
  add_single(out, "process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge,
             static_cast<double>(p.resident_bytes));
  add_single(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge,
             static_cast<double>(p.virtual_bytes));
  add_single(out, "process_open_fds", "Number of open file descriptors.", MetricType::Gauge,
             static_cast<double>(p.open_fds));
  add_single(out, "process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
             static_cast<double>(p.max_fds));
  add_single(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
             MetricType::Gauge, p.start_time_seconds);
}

// One series per connection (opt-in: they name client addresses).
void add_connections(const std::vector<ConnectionRecord> &connections, Families &out) {
  auto f = family("mptcp_connection_subflows_open",
                  "Open subflows of each tracked connection (opt-in with --connection-metrics; names client "
                  "addresses).",
                  MetricType::Gauge);
  for (const auto &c : connections) {
    add_value(f, static_cast<double>(c.subflows.size()),
              {{"netns", std::to_string(c.key.netns)}, {"token", format_token(c.key.token)}, {"direction", direction_name(c.direction)},
               {"local", c.local.to_string()}, {"remote", c.remote.to_string()}});
  }
  out.push_back(std::move(f));
}

MetricFamily build_info() {
  auto f = family("mptcp_observer_build_info", "mptcp-observer's version and git revision.", MetricType::Gauge);
  add_value(f, 1, {{"version", kVersion}, {"revision", kRevision}});
  return f;
}
}  // namespace

ObserverMetrics::ObserverMetrics(MetricsInputs inputs, size_t connection_series_limit)
    : inputs_(std::move(inputs)),
      connection_series_limit_(connection_series_limit),
      registry_(std::make_shared<prometheus::Registry>()),
      opened_(prometheus::BuildCounter()
                  .Name("mptcp_connections_opened_total")
                  .Help("MPTCP connections established (initial subflow done with MP_CAPABLE), seen by BPF tracing, host-wide.")
                  .Register(*registry_)),
      fallback_(prometheus::BuildCounter()
                    .Name("mptcp_connections_fallback_total")
                    .Help("Connections that are plain TCP where MPTCP was possible. outbound: we asked for MPTCP and the "
                          "SYN-ACK carried none (the peer or the path did not deliver it). inbound: a client reached an "
                          "MPTCP listener as plain TCP; the server cannot tell whether the client did not ask or a "
                          "middlebox stripped the option.")
                    .Register(*registry_)),
      subflows_opened_(prometheus::BuildCounter()
                           .Name("mptcp_subflows_opened_total")
                           .Help("MPTCP subflows established, by direction and kind (initial: MP_CAPABLE, join: MP_JOIN). "
                                 "An outbound join counts once the peer has accepted it (fully established: it "
                                 "acknowledged our third ACK), an inbound one once we accepted it.")
                           .Register(*registry_)),
      subflows_closed_(prometheus::BuildCounter()
                           .Name("mptcp_subflows_closed_total")
                           .Help("Established MPTCP subflows that closed, by why (closed: orderly; reset: TCP RST or "
                                 "MP_RST; timeout; unreachable).")
                           .Register(*registry_)),
      join_failures_(prometheus::BuildCounter()
                         .Name("mptcp_join_failures_total")
                         .Help("MP_JOIN subflows that never became usable, by why (refused: RST to the SYN; timeout; "
                               "rejected: no valid MP_JOIN in the SYN-ACK; rejected_by_peer: the peer answered our "
                               "third ACK with a reset instead of accepting the join, e.g. its subflow limit; reset: "
                               "reset before the peer accepted it, e.g. the connection closed first; unreachable). "
                               "Joins a server rejects die inside its kernel: see mptcp_mib_MPJoin* for that side.")
                         .Register(*registry_)),
      checker_requests_(prometheus::BuildCounter()
                            .Name("mptcp_checker_requests_total")
                            .Help("Checker answers by verdict (mptcp, tcp, error) and format (text, json, html).")
                            .Register(*registry_)),
      join_latency_(prometheus::BuildHistogram()
                        .Name("mptcp_join_latency_seconds")
                        .Help("MP_JOIN handshake time. Joining side: from the SYN to the peer's acceptance (its ACK "
                              "of our third ACK, or data), so two round trips. Accepting side: the first RTT sample "
                              "(SYN-ACK to third ACK).")
                        .Register(*registry_)),
      first_join_delay_(prometheus::BuildHistogram()
                            .Name("mptcp_first_join_delay_seconds")
                            .Help("Time from a connection's establishment to its first join being established (an "
                                  "outbound join: accepted by the peer).")
                            .Register(*registry_)),
      duration_(prometheus::BuildHistogram()
                    .Name("mptcp_connection_duration_seconds")
                    .Help("Lifetime of MPTCP connections, observed when they close.")
                    .Register(*registry_)),
      subflows_per_conn_(prometheus::BuildHistogram()
                             .Name("mptcp_connection_subflows")
                             .Help("Subflows a connection had over its life, observed when it closes.")
                             .Register(*registry_)) {
  // Every label value known in advance exists from the start, at 0, so a new
  // dashboard shows 0 rather than "No data".
  for (const auto d : kDirections) {
    const size_t di = d == Direction::outbound ? 0 : 1;
    const std::string dir = direction_name(d);
    opened_by_[di][0] = &opened_.Add({{"direction", dir}, {"family", "ipv4"}});
    opened_by_[di][1] = &opened_.Add({{"direction", dir}, {"family", "ipv6"}});
    fallback_by_[di] = &fallback_.Add({{"direction", dir}});
    for (const auto k : kKinds) {
      const size_t ki = k == SubflowKind::initial ? 0 : 1;
      subflows_opened_by_[di][ki] = &subflows_opened_.Add({{"direction", dir}, {"kind", subflow_kind_name(k)}});
      for (const auto r : {Reason::closed, Reason::reset, Reason::timeout, Reason::unreachable}) {
        subflows_closed_by_[di][ki][static_cast<size_t>(r)] =
            &subflows_closed_.Add({{"direction", dir}, {"kind", subflow_kind_name(k)}, {"reason", reason_name(r)}});
      }
    }
    for (const auto r : {Reason::refused, Reason::timeout, Reason::rejected, Reason::rejected_by_peer, Reason::reset,
                         Reason::unreachable}) {
      join_failures_by_[di][static_cast<size_t>(r)] = &join_failures_.Add({{"direction", dir}, {"reason", reason_name(r)}});
    }
    join_latency_by_[di] = &join_latency_.Add({{"direction", dir}}, kJoinLatency);
    first_join_delay_by_[di] = &first_join_delay_.Add({{"direction", dir}}, kFirstJoinDelay);
    duration_by_[di] = &duration_.Add({{"direction", dir}}, kDuration);
    subflows_per_conn_by_[di] = &subflows_per_conn_.Add({{"direction", dir}}, kSubflows);
  }
  for (size_t ri = 0; ri < std::size(kCheckerResults); ++ri) {
    for (size_t fi = 0; fi < std::size(kCheckerFormats); ++fi) {
      checker_requests_by_[ri][fi] =
          &checker_requests_.Add({{"result", std::string(kCheckerResults[ri])}, {"format", std::string(kCheckerFormats[fi])}});
    }
  }
}

void ObserverMetrics::on_event(const MptcpEvent &e) {
  const size_t di = e.direction == Direction::outbound ? 0 : 1;
  const size_t ki = e.kind == SubflowKind::initial ? 0 : 1;
  const auto ri = static_cast<size_t>(e.reason);
  // A series not made in advance (an unexpected reason) is made on first
  // use. Its labels are built only then: this runs for every BPF event.
  const auto counter = [](CounterRef cached, prometheus::Family<prometheus::Counter> &family,
                          const auto &labels) -> prometheus::Counter & {
    return cached ? *cached : family.Add(labels());
  };
  using Labels = std::map<std::string, std::string>;
  const auto dir = [&] { return std::string(direction_name(e.direction)); };
  switch (e.type) {
    case EventType::connection_established:
      opened_by_[di][std::string_view(family_label(e)) == "ipv6" ? 1 : 0]->Increment();
      break;
    case EventType::fallback:
      fallback_by_[di]->Increment();
      break;
    case EventType::subflow_established:
      subflows_opened_by_[di][ki]->Increment();
      if (e.kind == SubflowKind::join) {
        if (e.duration_ns) join_latency_by_[di]->Observe(seconds(e.duration_ns));
        if (e.first_join_delay_ns) first_join_delay_by_[di]->Observe(seconds(e.first_join_delay_ns));
      }
      break;
    case EventType::subflow_closed:
      counter(ri < kReasons ? subflows_closed_by_[di][ki][ri] : nullptr, subflows_closed_, [&] {
        return Labels{{"direction", dir()}, {"kind", subflow_kind_name(e.kind)}, {"reason", reason_name(e.reason)}};
      }).Increment();
      break;
    case EventType::join_failed:
      counter(ri < kReasons ? join_failures_by_[di][ri] : nullptr, join_failures_,
              [&] { return Labels{{"direction", dir()}, {"reason", reason_name(e.reason)}}; })
          .Increment();
      break;
    case EventType::connection_closed:
      // Connections first seen by a snapshot have no known start: no duration.
      if (e.duration_ns) duration_by_[di]->Observe(seconds(e.duration_ns));
      if (e.subflow_count) subflows_per_conn_by_[di]->Observe(static_cast<double>(e.subflow_count));
      break;
    default: break;
  }
}

void ObserverMetrics::on_checker_answer(std::string_view result, std::string_view format) {
  // Every checker request comes here: find the series without Add()'s
  // label map and lock.
  const auto index_of = [](const auto &names, std::string_view name) {
    size_t i = 0;
    while (i < std::size(names) && names[i] != name) ++i;
    return i;
  };
  const size_t ri = index_of(kCheckerResults, result), fi = index_of(kCheckerFormats, format);
  if (ri < std::size(kCheckerResults) && fi < std::size(kCheckerFormats)) {
    checker_requests_by_[ri][fi]->Increment();
  } else {
    checker_requests_.Add({{"result", std::string(result)}, {"format", std::string(format)}}).Increment();
  }
  ++getsockopt_reads_;
}

std::vector<MetricFamily> ObserverMetrics::collect_at_scrape(bool with_connections) {
  struct Collector {
    const char *name;  // the collector label of its success and duration
    bool (ObserverMetrics::*collect)(Families &out);
    bool enabled;
  };
  const Collector collectors[] = {
      {"mib", &ObserverMetrics::collect_mib, true},
      {"path_manager", &ObserverMetrics::collect_path_manager, static_cast<bool>(inputs_.path_manager)},
      {"table", &ObserverMetrics::collect_table, true},
      {"sources", &ObserverMetrics::collect_sources, true},
      {"process", &ObserverMetrics::collect_process, true},
      {"connections", &ObserverMetrics::collect_connections, with_connections && connection_series_limit_ > 0},
  };
  Families out;
  CollectorReport report;
  for (const auto &c : collectors) {
    if (c.enabled) report.run(c.name, [&] { return (this->*c.collect)(out); });
  }
  out.push_back(build_info());
  report.append_to(out);
  return out;
}

bool ObserverMetrics::collect_mib(Families &out) {
  std::string error;
  const auto mib = procfs::read_mptcp_mib(error);
  if (!mib) {
    std::call_once(mib_error_logged_, [&] { log::warn("metrics", "kernel MPTCP counters unavailable: " + error); });
    return false;
  }
  add_mib(*mib, out);
  return true;
}

bool ObserverMetrics::collect_path_manager(Families &out) {
  const PathManagerFigures pm = inputs_.path_manager();
  add_path_manager(pm, out);
  if (pm.error.empty()) return true;
  std::call_once(path_manager_error_logged_,
                 [&] { log::warn("metrics", "path-manager configuration incomplete: " + pm.error); });
  return false;
}

bool ObserverMetrics::collect_table(Families &out) {
  add_table(inputs_.gauges(), out);
  return true;
}

bool ObserverMetrics::collect_sources(Families &out) {
  add_sources(inputs_.health(), getsockopt_reads_.load(), out);
  add_http_servers(inputs_.http_servers ? inputs_.http_servers() : std::vector<HttpServerFigures>{}, out);
  return true;
}

bool ObserverMetrics::collect_process(Families &out) {
  const auto p = procfs::read_process_stats();
  if (!p) return false;
  add_process(*p, out);
  return true;
}

bool ObserverMetrics::collect_connections(Families &out) {
  add_connections(inputs_.connections(connection_series_limit_), out);
  return true;
}

std::string ObserverMetrics::render(bool with_connections) {
  auto families = registry_->Collect();
  auto dynamic = collect_at_scrape(with_connections);
  families.insert(families.end(), std::make_move_iterator(dynamic.begin()), std::make_move_iterator(dynamic.end()));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

}  // namespace observer::metrics
