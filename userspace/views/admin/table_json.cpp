#include "views/admin/table_json.h"

#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <cstring>
#include <string_view>

#include "common/clocks.h"
#include "common/mptcp_terms.h"
#include "common/text.h"
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

namespace {
// As rfc3339() writes it, in quotes: "2024-01-02T03:04:05.678Z".
char *write_wall_time(char *p, uint64_t monotonic_ns, const Clock &clock) {
  const int64_t ns = static_cast<int64_t>(monotonic_ns) + clock.realtime_minus_monotonic_ns;
  const int64_t ms = ns / 1000000 - (ns % 1000000 < 0);  // floored: before 1970 too
  *p++ = '"';
  p = write_rfc3339(p, ms);
  *p++ = '"';
  return p;
}

// The longest record: every key, two IPv6 endpoints, every number at its
// widest. append_event_json writes into this much room at the end of the
// string, then trims it: no growth or length check per member.
constexpr size_t kEventJsonMax = 640;

// The members below are written in order, each as ,"key":value (the first
// without the comma). Keys and the names written as strings are fixed ASCII
// words and endpoints: nothing in them needs escaping.
struct EventObject : RoomWriter {
  char open = '{';
  void key(std::string_view k) {
    put(open);
    open = ',';
    put('"');
    put(k);
    put('"');
    put(':');
  }
  template <typename Integer>
  void number(std::string_view k, Integer v) {
    key(k);
    put_number(v);
  }
  void word(std::string_view k, std::string_view v) {
    key(k);
    put('"');
    put(v);
    put('"');
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    put(v ? "true" : "false");
  }
  void endpoint(std::string_view k, const SocketAddress &a) {
    key(k);
    put('"');
    at = write_endpoint(a.get(), at);
    put('"');
  }
  void time(std::string_view k, uint64_t monotonic_ns, const Clock &clock) {
    key(k);
    at = write_wall_time(at, monotonic_ns, clock);
  }
  void token(std::string_view k, uint32_t token) {
    key(k);
    put('"');
    at = write_token(at, token);
    put('"');
  }
  char *close() {
    if (open == '{') put('{');
    put('}');
    return at;
  }
};

char *write_event_json(char *at, const MptcpEvent &e, const Clock &clock) {
  EventObject j{{at}};
  j.word("type", event_type_name(e.type));
  j.time("time", e.timestamp_ns, clock);
  j.number("netns", e.netns);
  j.token("token", e.token);
  // From the path manager, which names neither a direction nor a socket.
  switch (e.type) {
    case EventType::address_announced:
      j.number("remote_id", e.remote_id);
      j.endpoint("address", e.remote);
      return j.close();
    case EventType::address_removed:
      j.number("remote_id", e.remote_id);
      return j.close();
    case EventType::subflow_priority:
      j.endpoint("local", e.local);
      j.endpoint("remote", e.remote);
      j.number("local_id", e.local_id);
      j.number("remote_id", e.remote_id);
      j.boolean("backup", e.backup);
      return j.close();
    default: break;
  }
  j.word("direction", direction_name(e.direction));
  const bool connection_level = e.type == EventType::connection_closed;
  if (!connection_level) {
    j.word("kind", subflow_kind_name(e.kind));
    j.word("family", family_name(Endpoint::from(e.local).family));
    j.endpoint("local", e.local);
    j.endpoint("remote", e.remote);
    j.number("local_id", e.local_id);
    j.number("remote_id", e.remote_id);
    j.boolean("backup", e.backup);
    if (e.ifindex) j.number("ifindex", e.ifindex);
    j.number("cookie", e.cookie);
  }
  if (e.reason != Reason::none) j.word("reason", reason_name(e.reason));
  if (e.reset_seen) j.number("mp_rst_reason", e.reset_reason);
  if (e.tcp_error) j.number("tcp_error", e.tcp_error);
  if (e.duration_ns) {
    j.number(e.type == EventType::subflow_established ? "handshake_us" : "lifetime_us", e.duration_ns / 1000);
  }
  if (e.first_join_delay_ns) j.number("first_join_delay_us", e.first_join_delay_ns / 1000);
  if (connection_level) j.number("subflows_ever", e.subflow_count);
  return j.close();
}
}  // namespace

void append_event_json(std::string &out, const MptcpEvent &e, const Clock &clock) {
  const size_t start = out.size();
  out.resize(start + kEventJsonMax);
  char *end = write_event_json(out.data() + start, e, clock);
  out.resize(static_cast<size_t>(end - out.data()));
}

nlohmann::ordered_json event_json(const MptcpEvent &e, const Clock &clock) {
  std::string text;
  append_event_json(text, e, clock);
  return nlohmann::ordered_json::parse(text);
}

}  // namespace observer::admin
