// ObserverMetrics as Prometheus sees it: hand-made events and checker
// answers go in, fixed gauges and source health are the inputs, and every
// assertion is on the text render() returns.
#include "views/metrics/observer_metrics.h"

#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/version.h"
#include "sources/procfs/netstat_mib.h"
#include "test_addresses.h"

using namespace observer;
using namespace observer::metrics;
using observer::test::address;

namespace {
constexpr uint64_t kMs = 1000000;  // nanoseconds
constexpr uint64_t kSec = 1000 * kMs;

// ---- The exposition text, read back ---------------------------------------

std::vector<std::string> lines_of(const std::string &text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

bool is_sample(const std::string &line) { return !line.empty() && line[0] != '#'; }

// "name{labels} value" -> "name"
std::string sample_name(const std::string &line) { return line.substr(0, line.find_first_of("{ ")); }

// "name{labels} value" -> "name{labels}"
std::string series_of(const std::string &line) { return line.substr(0, line.rfind(' ')); }

double value_in(const std::string &line) { return std::stod(line.substr(line.rfind(' ') + 1)); }

// The value of the sample written exactly as `series` (name and labels, as
// rendered), or nullopt when there is none.
std::optional<double> value_of(const std::string &text, const std::string &series) {
  for (const auto &line : lines_of(text)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return value_in(line);
    }
  }
  return std::nullopt;
}

// The value of the sample of `name` that carries every label in `labels`
// (each written k="v"), whatever their order: the families built at scrape
// time keep the order they were given in, not sorted by name.
std::optional<double> value_with(const std::string &text, const std::string &name,
                                 const std::vector<std::string> &labels) {
  for (const auto &line : lines_of(text)) {
    if (!is_sample(line) || sample_name(line) != name) continue;
    const auto series = series_of(line);
    bool all = true;
    for (const auto &l : labels) {
      all = all && (series.find("{" + l) != std::string::npos || series.find("," + l) != std::string::npos);
    }
    if (all) return value_in(line);
  }
  return std::nullopt;
}

struct FamilyLines {
  std::string type;
  int help_lines = 0, type_lines = 0;
};

// Families by name, from their # HELP and # TYPE lines.
std::map<std::string, FamilyLines> families_of(const std::string &text) {
  std::map<std::string, FamilyLines> out;
  for (const auto &line : lines_of(text)) {
    std::istringstream in(line);
    std::string hash, kind, name, rest;
    in >> hash >> kind >> name;
    if (hash != "#") continue;
    if (kind == "HELP") {
      ++out[name].help_lines;
    } else if (kind == "TYPE") {
      in >> out[name].type;
      ++out[name].type_lines;
    }
  }
  return out;
}

// The family a sample belongs to: its own name, or for a histogram's
// _bucket/_sum/_count the name without the suffix.
std::string family_of_sample(const std::string &name, const std::map<std::string, FamilyLines> &families) {
  if (families.count(name)) return name;
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      const auto base = name.substr(0, name.size() - suffix.size());
      const auto f = families.find(base);
      if (f != families.end() && f->second.type == "histogram") return base;
    }
  }
  return "";
}

bool ends_with(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The families updated by on_event and on_checker_answer (the registry's).
const std::set<std::string> kEventFamilies = {
    "mptcp_connections_opened_total", "mptcp_connections_fallback_total", "mptcp_subflows_opened_total",
    "mptcp_subflows_closed_total",    "mptcp_join_failures_total",        "mptcp_checker_requests_total",
    "mptcp_join_latency_seconds",     "mptcp_first_join_delay_seconds",   "mptcp_connection_duration_seconds",
    "mptcp_connection_subflows",
};

// Every sample of the event families, by series.
std::map<std::string, double> event_series(const std::string &text) {
  const auto families = families_of(text);
  std::map<std::string, double> out;
  for (const auto &line : lines_of(text)) {
    if (is_sample(line) && kEventFamilies.count(family_of_sample(sample_name(line), families))) {
      out[series_of(line)] = value_in(line);
    }
  }
  return out;
}

std::map<std::string, double> changed_series(const std::map<std::string, double> &before,
                                              const std::map<std::string, double> &after) {
  std::map<std::string, double> out;
  for (const auto &[series, value] : after) {
    const auto b = before.find(series);
    if (b == before.end() || b->second != value) out[series] = value;
  }
  return out;
}

// h_bucket{direction="x",le="..."} -> h_count{direction="x"}
std::string count_of_bucket(std::string series) {
  series.replace(series.find("_bucket{"), 8, "_count{");
  const auto le = series.find(",le=\"");
  return series.substr(0, le) + "}";
}

// ---- The inputs ------------------------------------------------------------

// What the daemon wires to the table and the sources, here plain values the
// test sets; the connections input, like the table's page(), returns at
// most `limit` records, and remembers the limits it was asked for.
struct FakeInputs {
  TableGauges gauges;
  SourceHealth health;
  std::vector<HttpServerFigures> http_servers;
  std::vector<ConnectionRecord> connections;
  std::vector<size_t> limits_asked;

  MetricsInputs inputs() {
    MetricsInputs in;
    in.gauges = [this] { return gauges; };
    in.health = [this] { return health; };
    in.http_servers = [this] { return http_servers; };
    in.connections = [this](size_t limit) {
      limits_asked.push_back(limit);
      auto first = connections;
      if (first.size() > limit) first.resize(limit);
      return first;
    };
    return in;
  }
};

struct Ev {
  EventType type;
  Direction direction = Direction::outbound;
  SubflowKind kind = SubflowKind::initial;
  Reason reason = Reason::none;
  uint64_t duration_ns = 0;
  uint64_t first_join_delay_ns = 0;
  uint32_t subflow_count = 0;
  const char *local = "10.0.0.1:40000";
  const char *remote = "10.0.0.2:8684";
};

MptcpEvent event(const Ev &v) {
  MptcpEvent e;
  e.type = v.type;
  e.direction = v.direction;
  e.kind = v.kind;
  e.reason = v.reason;
  e.duration_ns = v.duration_ns;
  e.first_join_delay_ns = v.first_join_delay_ns;
  e.subflow_count = v.subflow_count;
  e.netns = 4026531840u;
  e.token = 0x5eed;
  e.cookie = 77;
  e.timestamp_ns = 100 * kSec;
  e.local = address(v.local);
  e.remote = address(v.remote);
  return e;
}

Endpoint endpoint(const char *text) { return Endpoint::from(address(text)); }

ConnectionRecord connection(uint32_t netns, uint32_t token, Direction direction, const char *local,
                            const char *remote, size_t open_subflows) {
  ConnectionRecord c;
  c.key = {netns, token};
  c.direction = direction;
  c.local = endpoint(local);
  c.remote = endpoint(remote);
  c.family = c.local.family;
  c.subflows.resize(open_subflows);
  for (size_t i = 0; i < open_subflows; ++i) {
    c.subflows[i].cookie = 1000 + i;
    c.subflows[i].kind = i == 0 ? SubflowKind::initial : SubflowKind::join;
    c.subflows[i].direction = direction;
  }
  return c;
}
}  // namespace

// ---- The exposition format ---------------------------------------------------

TEST_CASE("ObserverMetrics renders every family once with # HELP and # TYPE", "[observer_metrics]") {
  FakeInputs fake;
  fake.connections = {connection(1, 2, Direction::inbound, "10.0.0.1:80", "10.0.0.2:5000", 1)};
  ObserverMetrics metrics(fake.inputs(), 10);
  metrics.on_event(event({EventType::subflow_established, Direction::outbound, SubflowKind::join, Reason::none, 3 * kMs}));
  const std::string text = metrics.render();
  const auto families = families_of(text);

  REQUIRE(families.size() > kEventFamilies.size());
  for (const auto &[name, f] : families) {
    INFO("family " << name << " (" << f.type << ")");
    CHECK(f.help_lines == 1);
    CHECK(f.type_lines == 1);
    CHECK((f.type == "counter" || f.type == "gauge" || f.type == "histogram"));
    // _total is the counters' suffix, and only theirs.
    CHECK(ends_with(name, "_total") == (f.type == "counter"));
  }
  for (const auto &line : lines_of(text)) {
    if (!is_sample(line)) continue;
    INFO("sample: " << line);
    CHECK_FALSE(family_of_sample(sample_name(line), families).empty());
    CHECK_NOTHROW(value_in(line));
  }
  // No # HELP without text.
  for (const auto &line : lines_of(text)) {
    if (line.rfind("# HELP ", 0) != 0) continue;
    INFO(line);
    CHECK(line.find(' ', 7) != std::string::npos);
    CHECK(line.size() > line.find(' ', 7) + 1);
  }
}

TEST_CASE("ObserverMetrics names the event families as dashboards expect", "[observer_metrics]") {
  FakeInputs fake;
  ObserverMetrics metrics(fake.inputs(), 0);
  const auto families = families_of(metrics.render());
  struct Case {
    const char *name;
    const char *type;
  };
  const auto c = GENERATE(values<Case>({
      {"mptcp_connections_opened_total", "counter"},
      {"mptcp_connections_fallback_total", "counter"},
      {"mptcp_subflows_opened_total", "counter"},
      {"mptcp_subflows_closed_total", "counter"},
      {"mptcp_join_failures_total", "counter"},
      {"mptcp_checker_requests_total", "counter"},
      {"mptcp_join_latency_seconds", "histogram"},
      {"mptcp_first_join_delay_seconds", "histogram"},
      {"mptcp_connection_duration_seconds", "histogram"},
      {"mptcp_connection_subflows", "histogram"},
      {"mptcp_connections_active", "gauge"},
      {"mptcp_subflows_active", "gauge"},
      {"mptcp_observer_source_up", "gauge"},
      {"mptcp_observer_events_total", "counter"},
      {"mptcp_observer_events_lost_total", "counter"},
      {"mptcp_observer_events_malformed_total", "counter"},
      {"mptcp_observer_table_overflow_total", "counter"},
      {"mptcp_observer_stream_events_dropped_total", "counter"},
      {"mptcp_observer_build_info", "gauge"},
      {"mptcp_observer_collector_success", "gauge"},
      {"mptcp_observer_collector_duration_seconds", "gauge"},
      {"process_cpu_seconds_total", "counter"},
      {"process_resident_memory_bytes", "gauge"},
      {"process_start_time_seconds", "gauge"},
  }));
  INFO("family " << c.name);
  const auto f = families.find(c.name);
  REQUIRE(f != families.end());
  CHECK(f->second.type == c.type);
}

// ---- Event series exist at 0 before any event -------------------------------

TEST_CASE("ObserverMetrics shows every known label value at 0 before any event", "[observer_metrics]") {
  FakeInputs fake;
  ObserverMetrics metrics(fake.inputs(), 0);
  const std::string text = metrics.render();

  std::vector<std::string> series;
  for (const char *dir : {"inbound", "outbound"}) {
    const std::string d = std::string("direction=\"") + dir + "\"";
    for (const char *fam : {"ipv4", "ipv6"}) {
      series.push_back("mptcp_connections_opened_total{" + d + ",family=\"" + fam + "\"}");
    }
    series.push_back("mptcp_connections_fallback_total{" + d + "}");
    for (const char *kind : {"initial", "join"}) {
      series.push_back("mptcp_subflows_opened_total{" + d + ",kind=\"" + kind + "\"}");
      for (const char *reason : {"closed", "reset", "timeout", "unreachable"}) {
        series.push_back("mptcp_subflows_closed_total{" + d + ",kind=\"" + kind + "\",reason=\"" + reason + "\"}");
      }
    }
    for (const char *reason : {"refused", "timeout", "rejected", "rejected_by_peer", "reset", "unreachable"}) {
      series.push_back("mptcp_join_failures_total{" + d + ",reason=\"" + reason + "\"}");
    }
    for (const char *h : {"mptcp_join_latency_seconds", "mptcp_first_join_delay_seconds",
                          "mptcp_connection_duration_seconds", "mptcp_connection_subflows"}) {
      series.push_back(std::string(h) + "_count{" + d + "}");
      series.push_back(std::string(h) + "_sum{" + d + "}");
      series.push_back(std::string(h) + "_bucket{" + d + ",le=\"+Inf\"}");
    }
  }
  for (const char *result : {"mptcp", "tcp", "error"}) {
    for (const char *format : {"text", "json", "html"}) {
      series.push_back(std::string("mptcp_checker_requests_total{format=\"") + format + "\",result=\"" + result + "\"}");
    }
  }
  REQUIRE(series.size() == 2 * (2 + 1 + 2 + 8 + 6 + 12) + 9);
  for (const auto &s : series) {
    INFO("series " << s);
    CHECK(value_of(text, s) == std::optional<double>{0});
  }
  // And nothing else in those families: a label value that only an event
  // could create would be a typo between the constructor and on_event.
  const size_t counter_series = 2 * (2 + 1 + 2 + 8 + 6) + 9;
  // finite buckets, then +Inf, _sum and _count, by direction
  const size_t histogram_series = 2 * ((15 + 3) + (14 + 3) + (13 + 3) + (9 + 3));
  CHECK(event_series(text).size() == counter_series + histogram_series);
}

// ---- Events -------------------------------------------------------------------

TEST_CASE("ObserverMetrics::on_event changes the series of that event only", "[observer_metrics]") {
  struct Case {
    const char *what;
    Ev event;
    std::map<std::string, double> changed;  // every non-bucket series that changes, with its new value
  };
  const auto c = GENERATE(values<Case>({
      {"an inbound IPv4 connection",
       {EventType::connection_established, Direction::inbound},
       {{R"(mptcp_connections_opened_total{direction="inbound",family="ipv4"})", 1}}},
      {"an outbound IPv6 connection",
       {EventType::connection_established, Direction::outbound, SubflowKind::initial, Reason::none, 0, 0, 0,
        "[2001:db8::1]:40000", "[2001:db8::2]:443"},
       {{R"(mptcp_connections_opened_total{direction="outbound",family="ipv6"})", 1}}},
      // A dual-stack socket reports an IPv4 peer as ::ffff:a.b.c.d: IPv4.
      {"an inbound connection on a dual-stack socket from an IPv4 client",
       {EventType::connection_established, Direction::inbound, SubflowKind::initial, Reason::none, 0, 0, 0,
        "[::ffff:10.0.0.1]:8684", "[::ffff:10.0.0.2]:50000"},
       {{R"(mptcp_connections_opened_total{direction="inbound",family="ipv4"})", 1}}},
      {"an outbound fallback",
       {EventType::fallback, Direction::outbound, SubflowKind::initial, Reason::no_mptcp},
       {{R"(mptcp_connections_fallback_total{direction="outbound"})", 1}}},
      {"an inbound fallback",
       {EventType::fallback, Direction::inbound, SubflowKind::initial, Reason::plain_client},
       {{R"(mptcp_connections_fallback_total{direction="inbound"})", 1}}},
      // The MP_CAPABLE handshake is not a join: no join latency.
      {"an initial subflow established",
       {EventType::subflow_established, Direction::outbound, SubflowKind::initial, Reason::none, 2 * kMs},
       {{R"(mptcp_subflows_opened_total{direction="outbound",kind="initial"})", 1}}},
      {"the first join, with its handshake time and delay",
       {EventType::subflow_established, Direction::inbound, SubflowKind::join, Reason::none, 3 * kMs, 40 * kMs},
       {{R"(mptcp_subflows_opened_total{direction="inbound",kind="join"})", 1},
        {R"(mptcp_join_latency_seconds_count{direction="inbound"})", 1},
        {R"(mptcp_join_latency_seconds_sum{direction="inbound"})", 0.003},
        {R"(mptcp_first_join_delay_seconds_count{direction="inbound"})", 1},
        {R"(mptcp_first_join_delay_seconds_sum{direction="inbound"})", 0.04}}},
      // Not the first join: the table leaves first_join_delay_ns at 0.
      {"a later join",
       {EventType::subflow_established, Direction::outbound, SubflowKind::join, Reason::none, 5 * kMs},
       {{R"(mptcp_subflows_opened_total{direction="outbound",kind="join"})", 1},
        {R"(mptcp_join_latency_seconds_count{direction="outbound"})", 1},
        {R"(mptcp_join_latency_seconds_sum{direction="outbound"})", 0.005}}},
      // A join first seen by a snapshot has no handshake time.
      {"a join without a handshake time",
       {EventType::subflow_established, Direction::outbound, SubflowKind::join},
       {{R"(mptcp_subflows_opened_total{direction="outbound",kind="join"})", 1}}},
      {"a joined subflow reset",
       {EventType::subflow_closed, Direction::outbound, SubflowKind::join, Reason::reset},
       {{R"(mptcp_subflows_closed_total{direction="outbound",kind="join",reason="reset"})", 1}}},
      {"an initial subflow closed in order",
       {EventType::subflow_closed, Direction::inbound, SubflowKind::initial, Reason::closed},
       {{R"(mptcp_subflows_closed_total{direction="inbound",kind="initial",reason="closed"})", 1}}},
      {"a join refused",
       {EventType::join_failed, Direction::outbound, SubflowKind::join, Reason::refused},
       {{R"(mptcp_join_failures_total{direction="outbound",reason="refused"})", 1}}},
      {"a join timed out",
       {EventType::join_failed, Direction::inbound, SubflowKind::join, Reason::timeout},
       {{R"(mptcp_join_failures_total{direction="inbound",reason="timeout"})", 1}}},
      {"a connection closed after 90 s with 3 subflows",
       {EventType::connection_closed, Direction::inbound, SubflowKind::initial, Reason::none, 90 * kSec, 0, 3},
       {{R"(mptcp_connection_duration_seconds_count{direction="inbound"})", 1},
        {R"(mptcp_connection_duration_seconds_sum{direction="inbound"})", 90},
        {R"(mptcp_connection_subflows_count{direction="inbound"})", 1},
        {R"(mptcp_connection_subflows_sum{direction="inbound"})", 3}}},
      // First seen by a snapshot: its start, so its duration, is unknown.
      {"a connection closed with no known duration",
       {EventType::connection_closed, Direction::outbound, SubflowKind::initial, Reason::none, 0, 0, 2},
       {{R"(mptcp_connection_subflows_count{direction="outbound"})", 1},
        {R"(mptcp_connection_subflows_sum{direction="outbound"})", 2}}},
      {"a subflow created", {EventType::subflow_created, Direction::outbound}, {}},
      {"a listener", {EventType::listener, Direction::inbound}, {}},
  }));
  INFO(c.what);
  FakeInputs fake;
  ObserverMetrics metrics(fake.inputs(), 0);
  const auto before = event_series(metrics.render());
  metrics.on_event(event(c.event));
  const auto changed = changed_series(before, event_series(metrics.render()));

  std::map<std::string, double> changed_not_buckets;
  for (const auto &[series, value] : changed) {
    if (series.find("_bucket{") == std::string::npos) {
      changed_not_buckets[series] = value;
    } else {
      // A bucket moves only with its histogram's count.
      INFO("bucket " << series);
      CHECK(c.changed.count(count_of_bucket(series)) == 1);
      CHECK(value == 1);
    }
  }
  CHECK(changed_not_buckets.size() == c.changed.size());
  for (const auto &[series, value] : c.changed) {
    INFO("series " << series);
    REQUIRE(changed_not_buckets.count(series) == 1);
    CHECK(changed_not_buckets.at(series) == Approx(value));
  }
}

TEST_CASE("ObserverMetrics histograms put an observation in the buckets at or above it", "[observer_metrics]") {
  FakeInputs fake;
  ObserverMetrics metrics(fake.inputs(), 0);
  metrics.on_event(event({EventType::subflow_established, Direction::outbound, SubflowKind::join, Reason::none,
                          3 * kMs, 250 * kMs}));
  metrics.on_event(event({EventType::connection_closed, Direction::inbound, SubflowKind::initial, Reason::none,
                          90 * kSec, 0, 3}));
  const std::string text = metrics.render();
  struct Case {
    const char *bucket;
    double value;
  };
  const auto c = GENERATE(values<Case>({
      {R"(mptcp_join_latency_seconds_bucket{direction="outbound",le="0.0025"})", 0},
      {R"(mptcp_join_latency_seconds_bucket{direction="outbound",le="0.005"})", 1},
      {R"(mptcp_join_latency_seconds_bucket{direction="outbound",le="5"})", 1},
      {R"(mptcp_join_latency_seconds_bucket{direction="outbound",le="+Inf"})", 1},
      {R"(mptcp_join_latency_seconds_bucket{direction="inbound",le="+Inf"})", 0},
      // le is "less than or equal": 0.25 s goes in le="0.25".
      {R"(mptcp_first_join_delay_seconds_bucket{direction="outbound",le="0.1"})", 0},
      {R"(mptcp_first_join_delay_seconds_bucket{direction="outbound",le="0.25"})", 1},
      {R"(mptcp_connection_duration_seconds_bucket{direction="inbound",le="60"})", 0},
      {R"(mptcp_connection_duration_seconds_bucket{direction="inbound",le="300"})", 1},
      {R"(mptcp_connection_duration_seconds_bucket{direction="inbound",le="86400"})", 1},
      {R"(mptcp_connection_subflows_bucket{direction="inbound",le="2"})", 0},
      {R"(mptcp_connection_subflows_bucket{direction="inbound",le="3"})", 1},
      {R"(mptcp_connection_subflows_bucket{direction="inbound",le="16"})", 1},
  }));
  INFO("series " << c.bucket);
  CHECK(value_of(text, c.bucket) == std::optional<double>{c.value});
}

TEST_CASE("ObserverMetrics counts repeated events and sums their durations", "[observer_metrics]") {
  FakeInputs fake;
  ObserverMetrics metrics(fake.inputs(), 0);
  for (int i = 0; i < 3; ++i) metrics.on_event(event({EventType::connection_established, Direction::inbound}));
  metrics.on_event(event({EventType::subflow_established, Direction::outbound, SubflowKind::join, Reason::none, 2 * kMs}));
  metrics.on_event(event({EventType::subflow_established, Direction::outbound, SubflowKind::join, Reason::none, 8 * kMs}));
  metrics.on_event(event({EventType::connection_closed, Direction::outbound, SubflowKind::initial, Reason::none,
                          10 * kSec, 0, 1}));
  metrics.on_event(event({EventType::connection_closed, Direction::outbound, SubflowKind::initial, Reason::none, 0, 0, 1}));
  const std::string text = metrics.render();

  CHECK(value_of(text, R"(mptcp_connections_opened_total{direction="inbound",family="ipv4"})") == std::optional<double>{3});
  CHECK(value_of(text, R"(mptcp_connections_opened_total{direction="outbound",family="ipv4"})") == std::optional<double>{0});
  CHECK(value_of(text, R"(mptcp_subflows_opened_total{direction="outbound",kind="join"})") == std::optional<double>{2});
  CHECK(value_of(text, R"(mptcp_join_latency_seconds_count{direction="outbound"})") == std::optional<double>{2});
  const auto latency_sum = value_of(text, R"(mptcp_join_latency_seconds_sum{direction="outbound"})");
  REQUIRE(latency_sum.has_value());
  CHECK(*latency_sum == Approx(0.010));
  // Two connections closed; only the one with a known start has a duration.
  CHECK(value_of(text, R"(mptcp_connection_subflows_count{direction="outbound"})") == std::optional<double>{2});
  CHECK(value_of(text, R"(mptcp_connection_duration_seconds_count{direction="outbound"})") == std::optional<double>{1});
  CHECK(value_of(text, R"(mptcp_connection_duration_seconds_sum{direction="outbound"})") == std::optional<double>{10});
}

// ---- Checker answers ------------------------------------------------------------

TEST_CASE("ObserverMetrics::on_checker_answer counts by result and format, and as a getsockopt read",
          "[observer_metrics]") {
  FakeInputs fake;
  ObserverMetrics metrics(fake.inputs(), 0);
  const std::string getsockopt_events = R"(mptcp_observer_events_total{source="getsockopt"})";
  CHECK(value_of(metrics.render(), getsockopt_events) == std::optional<double>{0});

  metrics.on_checker_answer("mptcp", "json");
  const auto before = event_series(metrics.render());
  std::string text = metrics.render();
  CHECK(value_of(text, R"(mptcp_checker_requests_total{format="json",result="mptcp"})") == std::optional<double>{1});
  for (const char *other : {R"(mptcp_checker_requests_total{format="text",result="mptcp"})",
                            R"(mptcp_checker_requests_total{format="json",result="tcp"})",
                            R"(mptcp_checker_requests_total{format="html",result="error"})"}) {
    INFO("series " << other);
    CHECK(value_of(text, other) == std::optional<double>{0});
  }
  CHECK(value_of(text, getsockopt_events) == std::optional<double>{1});

  metrics.on_checker_answer("tcp", "html");
  text = metrics.render();
  CHECK(changed_series(before, event_series(text)) ==
        std::map<std::string, double>{{R"(mptcp_checker_requests_total{format="html",result="tcp"})", 1}});
  CHECK(value_of(text, getsockopt_events) == std::optional<double>{2});
}

// ---- Gauges and health read at scrape time ---------------------------------------

TEST_CASE("ObserverMetrics reports the table's gauges by direction and kind", "[observer_metrics]") {
  FakeInputs fake;
  fake.gauges.connections[0] = 3;   // outbound
  fake.gauges.connections[1] = 7;   // inbound
  fake.gauges.subflows[0][0] = 3;   // outbound initial
  fake.gauges.subflows[0][1] = 4;   // outbound join
  fake.gauges.subflows[1][0] = 7;   // inbound initial
  fake.gauges.subflows[1][1] = 11;  // inbound join
  ObserverMetrics metrics(fake.inputs(), 0);
  const std::string text = metrics.render();
  struct Case {
    const char *name;
    std::vector<std::string> labels;
    double value;
  };
  const auto c = GENERATE(values<Case>({
      {"mptcp_connections_active", {R"(direction="outbound")"}, 3},
      {"mptcp_connections_active", {R"(direction="inbound")"}, 7},
      {"mptcp_subflows_active", {R"(direction="outbound")", R"(kind="initial")"}, 3},
      {"mptcp_subflows_active", {R"(direction="outbound")", R"(kind="join")"}, 4},
      {"mptcp_subflows_active", {R"(direction="inbound")", R"(kind="initial")"}, 7},
      {"mptcp_subflows_active", {R"(direction="inbound")", R"(kind="join")"}, 11},
  }));
  INFO(c.name << " " << c.labels[0] << (c.labels.size() > 1 ? " " + c.labels[1] : std::string()));
  CHECK(value_with(text, c.name, c.labels) == std::optional<double>{c.value});
}

TEST_CASE("ObserverMetrics reports each source's health and counts", "[observer_metrics]") {
  FakeInputs fake;
  fake.health.bpf.up = true;
  fake.health.sock_diag.up = false;
  fake.health.getsockopt.up = true;
  fake.health.bpf.events = 1234;
  fake.health.bpf.lost = 5;
  fake.health.bpf.malformed = 2;
  fake.health.sock_diag.repairs = 17;
  fake.health.table_overflow = 3;
  fake.health.stream_dropped = 9;
  fake.http_servers.push_back({"checker", 100, 4, 8, 1, 7, 2, 5, 3, 2, 6, {{"method", 11}, {"busy", 12}}, 9});
  ObserverMetrics metrics(fake.inputs(), 0);
  metrics.on_checker_answer("error", "text");
  // Twice: values read at scrape time are reported, never added up.
  metrics.render();
  const std::string text = metrics.render();
  struct Case {
    const char *series;
    double value;
  };
  const auto c = GENERATE(values<Case>({
      {R"(mptcp_observer_source_up{source="bpf"})", 1},
      {R"(mptcp_observer_source_up{source="sock_diag"})", 0},
      {R"(mptcp_observer_source_up{source="getsockopt"})", 1},
      {"mptcp_observer_events_lost_total", 5},
      {"mptcp_observer_events_malformed_total", 2},
      {"mptcp_observer_table_overflow_total", 3},
      {"mptcp_observer_stream_events_dropped_total", 9},
      {R"(mptcp_observer_events_total{source="bpf"})", 1234},
      {R"(mptcp_observer_events_total{source="sock_diag"})", 17},
      {R"(mptcp_observer_events_total{source="getsockopt"})", 1},
      {R"(mptcp_observer_http_connections_total{server="checker",outcome="accepted"})", 100},
      {R"(mptcp_observer_http_connections_total{server="checker",outcome="refused"})", 4},
      {R"(mptcp_observer_http_connections_total{server="checker",outcome="accept_error"})", 1},
      {R"(mptcp_observer_http_connections_total{server="checker",outcome="idle_closed"})", 7},
      {R"(mptcp_observer_http_connections_total{server="checker",outcome="timed_out"})", 2},
      {R"(mptcp_observer_http_connections_open{server="checker"})", 3},
      {R"(mptcp_observer_http_connections_total{server="checker",outcome="slow_reader"})", 5},
      {R"(mptcp_observer_http_connections_total{server="checker",outcome="refused_client"})", 8},
      {R"(mptcp_observer_http_connections_total{server="checker",outcome="tls_handshake_failed"})", 9},
      {R"(mptcp_observer_http_waiting_requests{server="checker"})", 2},
      {R"(mptcp_observer_http_handler_errors_total{server="checker"})", 6},
      {R"(mptcp_observer_http_refusals_total{server="checker",reason="method"})", 11},
      {R"(mptcp_observer_http_refusals_total{server="checker",reason="busy"})", 12},
  }));
  INFO("series " << c.series);
  CHECK(value_of(text, c.series) == std::optional<double>{c.value});
}

TEST_CASE("ObserverMetrics exports its build and the success of each collector", "[observer_metrics]") {
  FakeInputs fake;
  ObserverMetrics metrics(fake.inputs(), 0);
  const std::string text = metrics.render();
  CHECK(value_with(text, "mptcp_observer_build_info",
                   {std::string("version=\"") + kVersion + "\"", std::string("revision=\"") + kRevision + "\""}) ==
        std::optional<double>{1});
  for (const char *collector : {"table", "sources", "process"}) {
    INFO("collector " << collector);
    const std::string label = std::string("collector=\"") + collector + "\"";
    CHECK(value_with(text, "mptcp_observer_collector_success", {label}) == std::optional<double>{1});
    const auto took = value_with(text, "mptcp_observer_collector_duration_seconds", {label});
    REQUIRE(took.has_value());
    CHECK(*took >= 0);
    CHECK(*took < 10);
  }
  // Off by default: no collector, so no success series for it.
  CHECK_FALSE(value_with(text, "mptcp_observer_collector_success", {R"(collector="connections")"}).has_value());
  const auto rss = value_of(text, "process_resident_memory_bytes");
  REQUIRE(rss.has_value());
  CHECK(*rss > 0);
}

// ---- Per-connection series (opt-in) ------------------------------------------------

TEST_CASE("ObserverMetrics has no per-connection series when the limit is 0", "[observer_metrics]") {
  FakeInputs fake;
  fake.connections = {connection(4026531840u, 0xdeadbeef, Direction::inbound, "10.0.0.1:8684", "192.0.2.7:51000", 2)};
  ObserverMetrics metrics(fake.inputs(), 0);
  const std::string text = metrics.render();
  CHECK(families_of(text).count("mptcp_connection_subflows_open") == 0);
  CHECK(text.find("mptcp_connection_subflows_open") == std::string::npos);
  CHECK(fake.limits_asked.empty());  // the table is not even read
}

TEST_CASE("ObserverMetrics exports the first connections up to the limit, one series each", "[observer_metrics]") {
  FakeInputs fake;
  fake.connections = {
      connection(4026531840u, 0xdeadbeef, Direction::inbound, "10.0.0.1:8684", "192.0.2.7:51000", 2),
      connection(4026532001u, 0x1a, Direction::outbound, "[2001:db8::1]:40000", "[2001:db8::2]:443", 1),
  };
  const std::vector<std::string> first = {R"(netns="4026531840")", R"(token="deadbeef")", R"(direction="inbound")",
                                           R"(local="10.0.0.1:8684")", R"(remote="192.0.2.7:51000")"};
  const std::vector<std::string> second = {R"(netns="4026532001")", R"(token="0000001a")", R"(direction="outbound")",
                                            R"(local="[2001:db8::1]:40000")", R"(remote="[2001:db8::2]:443")"};
  const auto samples = [](const std::string &text) {
    int n = 0;
    for (const auto &line : lines_of(text)) n += is_sample(line) && sample_name(line) == "mptcp_connection_subflows_open";
    return n;
  };

  SECTION("limit 1") {
    ObserverMetrics metrics(fake.inputs(), 1);
    const std::string text = metrics.render();
    CHECK(fake.limits_asked == std::vector<size_t>{1});
    REQUIRE(families_of(text).count("mptcp_connection_subflows_open") == 1);
    CHECK(families_of(text).at("mptcp_connection_subflows_open").type == "gauge");
    CHECK(samples(text) == 1);
    CHECK(value_with(text, "mptcp_connection_subflows_open", first) == std::optional<double>{2});
    CHECK(value_with(text, "mptcp_observer_collector_success", {R"(collector="connections")"}) ==
          std::optional<double>{1});
  }
  SECTION("limit above the number of connections") {
    ObserverMetrics metrics(fake.inputs(), 100);
    const std::string text = metrics.render();
    CHECK(fake.limits_asked == std::vector<size_t>{100});
    CHECK(samples(text) == 2);
    CHECK(value_with(text, "mptcp_connection_subflows_open", first) == std::optional<double>{2});
    CHECK(value_with(text, "mptcp_connection_subflows_open", second) == std::optional<double>{1});
  }
  SECTION("no connections: the family is there, empty") {
    fake.connections.clear();
    ObserverMetrics metrics(fake.inputs(), 5);
    const std::string text = metrics.render();
    CHECK(fake.limits_asked == std::vector<size_t>{5});
    CHECK(samples(text) == 0);
  }
}

// ---- The kernel's MPTcpExt counters ---------------------------------------------------

TEST_CASE("ObserverMetrics exports this machine's MPTcpExt counters, or says it could not", "[observer_metrics]") {
  // The one part that reads the machine: /proc/net/netstat of the test's own
  // network namespace. Without MPTCP in the kernel, the collector fails and
  // the rest of the scrape stands.
  std::string error;
  const auto mib = procfs::read_mptcp_mib(error);
  FakeInputs fake;
  ObserverMetrics metrics(fake.inputs(), 0);
  const std::string text = metrics.render();
  const auto families = families_of(text);

  if (!mib) {
    WARN("no MPTcpExt counters on this machine: " << error);
    CHECK(value_with(text, "mptcp_observer_collector_success", {R"(collector="mib")"}) == std::optional<double>{0});
    CHECK(text.find("\nmptcp_mib_") == std::string::npos);
    CHECK(value_of(text, R"(mptcp_observer_source_up{source="bpf"})").has_value());
    return;
  }
  CHECK(value_with(text, "mptcp_observer_collector_success", {R"(collector="mib")"}) == std::optional<double>{1});
  REQUIRE(families.count("mptcp_mib_MPJoinAckRx_total") == 1);
  CHECK(families.at("mptcp_mib_MPJoinAckRx_total").type == "counter");
  CHECK(text.find("# HELP mptcp_mib_MPJoinAckRx_total Kernel MPTcpExt MPJoinAckRx: third ACKs received with MP_JOIN") !=
        std::string::npos);
  CHECK(value_of(text, "mptcp_mib_MPJoinAckRx_total").has_value());
  REQUIRE(families.count("mptcp_mib_MPCurrEstab") == 1);
  CHECK(families.at("mptcp_mib_MPCurrEstab").type == "gauge");
  CHECK(families.count("mptcp_mib_MPCurrEstab_total") == 0);
  // Every counter the kernel has, under its own name, read no earlier than
  // our own read of the file (counters only go up; the gauge may not).
  for (const auto &[name, value] : *mib) {
    const bool gauge = name == "MPCurrEstab";
    const std::string family = "mptcp_mib_" + name + (gauge ? "" : "_total");
    INFO("family " << family);
    REQUIRE(families.count(family) == 1);
    const auto rendered = value_of(text, family);
    REQUIRE(rendered.has_value());
    if (!gauge) CHECK(*rendered >= static_cast<double>(value));
  }
}

// ---- The path manager's configuration -------------------------------------------------

TEST_CASE("ObserverMetrics exports the path manager's limits, endpoints by flag, type and switch", "[observer_metrics]") {
  FakeInputs fake;
  auto inputs = fake.inputs();
  PathManagerFigures figures;
  figures.enabled = true;
  figures.path_manager = "kernel";
  figures.limits = pm::PmLimits{0, 2};
  pm::EndpointCounts endpoints;
  endpoints.all = 3;
  endpoints.signal = 1;
  endpoints.subflow = 2;
  endpoints.backup = 1;
  figures.endpoints = endpoints;
  inputs.path_manager = [&] { return figures; };
  ObserverMetrics metrics(std::move(inputs), 0);

  std::string text = metrics.render();
  const auto families = families_of(text);
  for (const char *gauge : {"mptcp_enabled", "mptcp_path_manager_info", "mptcp_pm_limit_subflows",
                            "mptcp_pm_limit_add_addr_accepted", "mptcp_pm_endpoints", "mptcp_pm_endpoints_by_flag"}) {
    INFO(gauge);
    REQUIRE(families.count(gauge) == 1);
    CHECK(families.at(gauge).type == "gauge");
  }
  CHECK(value_of(text, "mptcp_enabled") == std::optional<double>{1});
  CHECK(value_of(text, R"(mptcp_path_manager_info{type="kernel"})") == std::optional<double>{1});
  CHECK(value_of(text, "mptcp_pm_limit_subflows") == std::optional<double>{0});
  CHECK(value_of(text, "mptcp_pm_limit_add_addr_accepted") == std::optional<double>{2});
  CHECK(value_of(text, "mptcp_pm_endpoints") == std::optional<double>{3});
  // Every flag has its series, at 0 when no endpoint has it, so that a
  // dashboard shows 0 rather than "No data".
  for (const auto &[flag, n] : std::vector<std::pair<std::string, double>>{
           {"signal", 1}, {"subflow", 2}, {"backup", 1}, {"fullmesh", 0}, {"implicit", 0}, {"laminar", 0}}) {
    INFO(flag);
    CHECK(value_of(text, "mptcp_pm_endpoints_by_flag{flag=\"" + flag + "\"}") == std::optional<double>{n});
  }
  CHECK(value_with(text, "mptcp_observer_collector_success", {R"(collector="path_manager")"}) ==
        std::optional<double>{1});

  SECTION("a part that cannot be read is left out, the collector says so, and the rest of the scrape stands") {
    figures.limits.reset();
    figures.endpoints.reset();
    figures.error = "the kernel has no MPTCP path-manager netlink";
    text = metrics.render();
    CHECK_FALSE(value_of(text, "mptcp_pm_limit_subflows").has_value());
    CHECK_FALSE(value_of(text, "mptcp_pm_endpoints").has_value());
    CHECK(value_of(text, "mptcp_enabled") == std::optional<double>{1});
    CHECK(value_with(text, "mptcp_observer_collector_success", {R"(collector="path_manager")"}) ==
          std::optional<double>{0});
    CHECK(value_with(text, "mptcp_observer_collector_success", {R"(collector="table")"}) == std::optional<double>{1});
    CHECK(value_of(text, R"(mptcp_observer_source_up{source="bpf"})").has_value());
  }
}

TEST_CASE("ObserverMetrics has no path-manager families without that input", "[observer_metrics]") {
  FakeInputs fake;
  ObserverMetrics metrics(fake.inputs(), 0);
  const std::string text = metrics.render();
  CHECK(families_of(text).count("mptcp_pm_limit_subflows") == 0);
  CHECK_FALSE(value_with(text, "mptcp_observer_collector_success", {R"(collector="path_manager")"}).has_value());
}
