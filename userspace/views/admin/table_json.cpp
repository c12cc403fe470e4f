#include "views/admin/table_json.h"

#include <sys/socket.h>

#include <chrono>

#include "common/clocks.h"
#include "common/mptcp_terms.h"
#include "common/timestamp.h"
#include "views/checker/report.h"

namespace observer::admin {
namespace {
const char *family_name(uint8_t family) { return family == AF_INET6 ? "ipv6" : "ipv4"; }

nlohmann::ordered_json sources_json(uint8_t sources) {
  auto out = nlohmann::ordered_json::array();
  if (sources & kFromBpf) out.push_back("bpf");
  if (sources & kFromSockDiag) out.push_back("sock_diag");
  if (sources & kFromGetsockopt) out.push_back("getsockopt");
  return out;
}

std::string wall_time(uint64_t monotonic_ns, const Clock &clock) {
  const auto ns = static_cast<int64_t>(monotonic_ns) + clock.realtime_minus_monotonic_ns;
  return rfc3339(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::nanoseconds(ns))));
}
}  // namespace

Clock Clock::now() {
  const uint64_t monotonic = monotonic_ns();
  return Clock{monotonic, realtime_ns() - static_cast<int64_t>(monotonic)};
}

nlohmann::ordered_json connection_json(const ConnectionRecord &c, const Clock &clock, const LocalSetup *setup) {
  nlohmann::ordered_json j;
  j["netns"] = c.key.netns;
  j["token"] = format_token(c.key.token);
  j["direction"] = direction_name(c.direction);
  j["family"] = family_name(c.family);
  if (c.local.family) j["local"] = c.local.to_string();
  if (c.remote.family) j["remote"] = c.remote.to_string();
  j["fallback"] = c.fallback;
  j["sources"] = sources_json(c.sources);
  if (c.established_ns) {
    j["established"] = wall_time(c.established_ns, clock);
    j["age_ms"] = (clock.now_monotonic_ns - std::min(clock.now_monotonic_ns, c.established_ns)) / 1000000;
  }
  if (c.established_ns && c.first_join_ns > c.established_ns) {
    j["first_join_delay_us"] = (c.first_join_ns - c.established_ns) / 1000;
  }
  j["subflows_ever"] = c.subflows_ever;
  j["join_failures"] = c.join_failures;
  if (c.join_failures) j["last_join_failure"] = reason_name(c.last_join_failure);
  auto subflows = nlohmann::ordered_json::array();
  for (const auto &s : c.subflows) {
    nlohmann::ordered_json sj;
    sj["kind"] = subflow_kind_name(s.kind);
    sj["local"] = s.local.to_string();
    sj["remote"] = s.remote.to_string();
    sj["local_id"] = s.local_id;
    sj["remote_id"] = s.remote_id;
    sj["backup"] = s.backup;
    if (s.ifindex) sj["ifindex"] = s.ifindex;
    if (s.handshake_ns) sj["handshake_us"] = s.handshake_ns / 1000;
    if (s.established_ns) {
      sj["lifetime_ms"] = (clock.now_monotonic_ns - std::min(clock.now_monotonic_ns, s.established_ns)) / 1000000;
    }
    sj["cookie"] = s.cookie;
    sj["sources"] = sources_json(s.sources);
    subflows.push_back(std::move(sj));
  }
  j["subflows"] = std::move(subflows);
  j["diagnosis"] = checker::findings_json(diagnose_connection(c, clock.now_monotonic_ns, setup));
  return j;
}

nlohmann::ordered_json event_json(const MptcpEvent &e, const Clock &clock) {
  nlohmann::ordered_json j;
  j["type"] = event_type_name(e.type);
  j["time"] = wall_time(e.timestamp_ns, clock);
  j["netns"] = e.netns;
  j["token"] = format_token(e.token);
  // From the path manager, which names neither a direction nor a socket.
  switch (e.type) {
    case EventType::address_announced:
      j["remote_id"] = e.remote_id;
      j["address"] = format_endpoint(e.remote);
      return j;
    case EventType::address_removed:
      j["remote_id"] = e.remote_id;
      return j;
    case EventType::subflow_priority:
      j["local"] = format_endpoint(e.local);
      j["remote"] = format_endpoint(e.remote);
      j["local_id"] = e.local_id;
      j["remote_id"] = e.remote_id;
      j["backup"] = e.backup;
      return j;
    default: break;
  }
  j["direction"] = direction_name(e.direction);
  const bool connection_level = e.type == EventType::connection_closed;
  if (!connection_level) {
    j["kind"] = subflow_kind_name(e.kind);
    j["family"] = family_name(Endpoint::from(e.local).family);
    j["local"] = format_endpoint(e.local);
    j["remote"] = format_endpoint(e.remote);
    j["local_id"] = e.local_id;
    j["remote_id"] = e.remote_id;
    j["backup"] = e.backup;
    if (e.ifindex) j["ifindex"] = e.ifindex;
    j["cookie"] = e.cookie;
  }
  if (e.reason != Reason::none) j["reason"] = reason_name(e.reason);
  if (e.reset_seen) j["mp_rst_reason"] = e.reset_reason;
  if (e.tcp_error) j["tcp_error"] = e.tcp_error;
  if (e.duration_ns) {
    const char *name = e.type == EventType::subflow_established ? "handshake_us" : "lifetime_us";
    j[name] = e.duration_ns / 1000;
  }
  if (e.first_join_delay_ns) j["first_join_delay_us"] = e.first_join_delay_ns / 1000;
  if (connection_level) j["subflows_ever"] = e.subflow_count;
  return j;
}

}  // namespace observer::admin
