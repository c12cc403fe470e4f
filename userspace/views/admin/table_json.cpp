#include "views/admin/table_json.h"

#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <ctime>

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

namespace {
// Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil
// inverted, proleptic Gregorian): the stream writes a wall time per event,
// and gmtime_r with snprintf would be a tenth of its rendering.
void civil_from_days(int64_t days, int64_t &year, unsigned &month, unsigned &day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2);
}

void put_digits(char *at, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

// As rfc3339() writes it, in quotes: "2024-01-02T03:04:05.678Z".
char *write_wall_time(char *p, uint64_t monotonic_ns, const Clock &clock) {
  const auto floor_div = [](int64_t a, int64_t b) { return a / b - (a % b < 0); };
  const int64_t ms = floor_div(static_cast<int64_t>(monotonic_ns) + clock.realtime_minus_monotonic_ns, 1000000);
  const int64_t days = floor_div(ms, 86400000);
  const auto ms_of_day = static_cast<unsigned>(ms - days * 86400000);
  int64_t year;
  unsigned month, day;
  civil_from_days(days, year, month, day);
  static constexpr char kShape[] = "\"0000-00-00T00:00:00.000Z\"";
  std::memcpy(p, kShape, sizeof kShape - 1);
  put_digits(p + 1, static_cast<unsigned>(year), 4);
  put_digits(p + 6, month, 2);
  put_digits(p + 9, day, 2);
  put_digits(p + 12, ms_of_day / 3600000, 2);
  put_digits(p + 15, ms_of_day / 60000 % 60, 2);
  put_digits(p + 18, ms_of_day / 1000 % 60, 2);
  put_digits(p + 21, ms_of_day % 1000, 3);
  return p + sizeof kShape - 1;
}

// The longest record: every key, two IPv6 endpoints, every number at its
// widest. append_event_json writes into this much room at the end of the
// string, then trims it: no growth or length check per member.
constexpr size_t kEventJsonMax = 640;

// The members below are written in order, each as ,"key":value (the first
// without the comma). Keys and the names written as strings are fixed ASCII
// words and endpoints: nothing in them needs escaping.
struct EventObject {
  char *p;
  char open = '{';
  void raw(std::string_view text) {
    std::memcpy(p, text.data(), text.size());
    p += text.size();
  }
  void key(std::string_view k) {
    *p++ = open;
    open = ',';
    *p++ = '"';
    raw(k);
    *p++ = '"';
    *p++ = ':';
  }
  template <typename Integer>
  void number(std::string_view k, Integer v) {
    key(k);
    p = std::to_chars(p, p + 24, v).ptr;
  }
  void word(std::string_view k, std::string_view v) {
    key(k);
    *p++ = '"';
    raw(v);
    *p++ = '"';
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    raw(v ? "true" : "false");
  }
  void endpoint(std::string_view k, const SocketAddress &a) {
    key(k);
    *p++ = '"';
    p = write_endpoint(a.get(), p);
    *p++ = '"';
  }
  void time(std::string_view k, uint64_t monotonic_ns, const Clock &clock) {
    key(k);
    p = write_wall_time(p, monotonic_ns, clock);
  }
  void token(std::string_view k, uint32_t token) {
    key(k);
    *p++ = '"';
    for (int i = 7; i >= 0; --i, token >>= 4) p[i] = "0123456789abcdef"[token & 0xf];
    p += 8;
    *p++ = '"';
  }
  char *close() {
    if (open == '{') *p++ = '{';
    *p++ = '}';
    return p;
  }
};

char *write_event_json(char *at, const MptcpEvent &e, const Clock &clock) {
  EventObject j{at};
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
