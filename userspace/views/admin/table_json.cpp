#include "views/admin/table_json.h"

#include <sys/socket.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

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
  timespec mono{}, real{};
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_REALTIME, &real);
  const auto to_ns = [](const timespec &t) { return static_cast<int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; };
  return Clock{static_cast<uint64_t>(to_ns(mono)), to_ns(real) - to_ns(mono)};
}

std::string token_hex(uint32_t token) {
  char out[16];
  std::snprintf(out, sizeof out, "%08x", token);
  return out;
}

nlohmann::ordered_json connection_json(const ConnectionRecord &c, const Clock &clock, const LocalSetup *setup) {
  nlohmann::ordered_json j;
  j["netns"] = c.key.netns;
  j["token"] = token_hex(c.key.token);
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
// and gmtime_r with snprintf was a tenth of its rendering.
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

// As rfc3339() writes it: 2024-01-02T03:04:05.678Z, in quotes.
void append_wall_time(std::string &out, uint64_t monotonic_ns, const Clock &clock) {
  const auto floor_div = [](int64_t a, int64_t b) { return a / b - (a % b < 0); };
  const int64_t ms = floor_div(static_cast<int64_t>(monotonic_ns) + clock.realtime_minus_monotonic_ns, 1000000);
  const int64_t days = floor_div(ms, 86400000);
  const auto ms_of_day = static_cast<unsigned>(ms - days * 86400000);
  int64_t year;
  unsigned month, day;
  civil_from_days(days, year, month, day);
  char text[] = "\"0000-00-00T00:00:00.000Z\"";
  put_digits(text + 1, static_cast<unsigned>(year), 4);
  put_digits(text + 6, month, 2);
  put_digits(text + 9, day, 2);
  put_digits(text + 12, ms_of_day / 3600000, 2);
  put_digits(text + 15, ms_of_day / 60000 % 60, 2);
  put_digits(text + 18, ms_of_day / 1000 % 60, 2);
  put_digits(text + 21, ms_of_day % 1000, 3);
  out.append(text, sizeof text - 1);
}

template <typename Integer>
void append_number(std::string &out, Integer v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// The members below are written in order, each as ,"key":value (the first
// without the comma). Keys and the names written as strings are fixed ASCII
// words and endpoints: nothing in them needs escaping.
struct EventObject {
  std::string &out;
  bool first = true;
  void key(const char *k) {
    out += first ? "{\"" : ",\"";
    first = false;
    out += k;
    out += "\":";
  }
  template <typename Integer>
  void number(const char *k, Integer v) {
    key(k);
    append_number(out, v);
  }
  void word(const char *k, const char *v) {
    key(k);
    out += '"';
    out += v;
    out += '"';
  }
  void boolean(const char *k, bool v) {
    key(k);
    out += v ? "true" : "false";
  }
  void endpoint(const char *k, const SocketAddress &a) {
    key(k);
    out += '"';
    append_endpoint(out, a);
    out += '"';
  }
  void close() { out += first ? "{}" : "}"; }
};
}  // namespace

void append_event_json(std::string &out, const SubflowEvent &e, const Clock &clock) {
  EventObject j{out};
  j.word("type", event_type_name(e.type));
  j.key("time");
  append_wall_time(out, e.timestamp_ns, clock);
  j.number("netns", e.netns);
  char token[9];
  for (int i = 7, t = 0; i >= 0; --i, ++t) token[i] = "0123456789abcdef"[(e.token >> (4 * t)) & 0xf];
  token[8] = 0;
  j.word("token", token);
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
  j.close();
}

nlohmann::ordered_json event_json(const SubflowEvent &e, const Clock &clock) {
  std::string text;
  append_event_json(text, e, clock);
  return nlohmann::ordered_json::parse(text);
}

}  // namespace observer::admin
