#pragma once
// Every metric mptcp-observer exports, in one place, with fixed names that
// dashboards and alerts rely on. Event counters and histograms are updated as
// events arrive (bpf-events thread); gauges, kernel MIB counters and process
// figures are read at scrape time from aggregates the table keeps, so a
// scrape never walks the connections.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "events/mptcp_event.h"
#include "sources/pm_netlink/pm_config_messages.h"
#include "table/connection_table.h"
#include "views/source_health.h"

namespace observer::metrics {

// What the checker's HTTP server did with its connections and requests,
// from http::ServerCounters.
struct HttpServerFigures {
  std::string name;  // "checker"
  uint64_t accepted = 0, refused_over_limit = 0, refused_client_over_limit = 0, accept_errors = 0, idle_closed = 0,
           timed_out = 0;
  uint64_t slow_readers = 0, open = 0, waiting = 0, handler_errors = 0;
  std::vector<std::pair<std::string, uint64_t>> refusals;  // by reason (http::refusal_name)
  uint64_t tls_handshake_failed = 0;
};

// The configuration that explains missing subflows on this host, as the
// daemon's own network namespace has it, read at scrape time. A part that
// could not be read is nullopt, and `error` says why.
struct PathManagerFigures {
  std::optional<bool> enabled;              // net.mptcp.enabled
  std::optional<std::string> path_manager;  // "kernel" or "userspace"
  std::optional<pm::PmLimits> limits;       // ip mptcp limits
  std::optional<pm::EndpointCounts> endpoints;  // ip mptcp endpoint, by flag
  std::string error;
};

struct MetricsInputs {
  std::function<TableGauges()> gauges;
  std::function<SourceHealth()> health;
  std::function<std::vector<HttpServerFigures>()> http_servers;
  // First N connections, for the opt-in per-connection series.
  std::function<std::vector<ConnectionRecord>(size_t limit)> connections;
  // The path manager's configuration; no such families when empty.
  std::function<PathManagerFigures()> path_manager;
};

class ObserverMetrics {
 public:
  ObserverMetrics(MetricsInputs inputs, size_t connection_series_limit);

  void on_event(const MptcpEvent &e);
  // result: "mptcp", "tcp" or "error"; format: "text", "json" or "html".
  void on_checker_answer(std::string_view result, std::string_view format);
  // Per-connection series name client addresses: only the admin listener
  // shows them (with_connections), never the public checker port.
  std::string render(bool with_connections = true);

 private:
  // The families read at scrape time, by collectors with one source each;
  // a collector that fails is logged and reported, and the scrape goes on.
  std::vector<prometheus::MetricFamily> collect_at_scrape(bool with_connections);
  using Families = std::vector<prometheus::MetricFamily>;
  bool collect_mib(Families &out);
  bool collect_path_manager(Families &out);
  bool collect_table(Families &out);
  bool collect_sources(Families &out);
  bool collect_process(Families &out);
  bool collect_connections(Families &out);

  MetricsInputs inputs_;
  size_t connection_series_limit_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter> &opened_, &fallback_, &subflows_opened_, &subflows_closed_,
      &join_failures_, &checker_requests_;
  prometheus::Family<prometheus::Histogram> &join_latency_, &first_join_delay_, &duration_, &subflows_per_conn_;
  // Series the event path touches, looked up once: a prometheus-cpp Add()
  // hashes its labels on every call, which under churn is most of the cost.
  using CounterRef = prometheus::Counter *;
  using HistogramRef = prometheus::Histogram *;
  static constexpr size_t kReasons = std::size(kAllReasons) + 1;  // the values of Reason, none included
  CounterRef opened_by_[2][2]{};                   // direction, family (ipv4, ipv6)
  CounterRef fallback_by_[2]{};                    // direction
  CounterRef subflows_opened_by_[2][2]{};          // direction, kind
  CounterRef subflows_closed_by_[2][2][kReasons]{};  // direction, kind, reason
  CounterRef join_failures_by_[2][kReasons]{};     // direction, reason
  static constexpr std::string_view kCheckerResults[] = {"mptcp", "tcp", "error"};
  static constexpr std::string_view kCheckerFormats[] = {"text", "json", "html"};
  CounterRef checker_requests_by_[std::size(kCheckerResults)][std::size(kCheckerFormats)]{};  // result, format
  HistogramRef join_latency_by_[2]{}, first_join_delay_by_[2]{}, duration_by_[2]{}, subflows_per_conn_by_[2]{};
  std::atomic<uint64_t> getsockopt_reads_{0};
  // A source that cannot be read is logged at its first failure only.
  std::once_flag mib_error_logged_, path_manager_error_logged_;
};

}  // namespace observer::metrics
