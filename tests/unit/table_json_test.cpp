// The admin API's JSON for connections and live events. The clock is an
// input, so wall times are exact.
#include "views/admin/table_json.h"

#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_addresses.h"

using namespace observer;
using namespace observer::admin;
using observer::test::address;

namespace {
constexpr uint64_t kUs = 1000;
constexpr uint64_t kMs = 1000 * kUs;
constexpr uint64_t kSec = 1000 * kMs;
// 2024-01-02T03:04:05Z
constexpr int64_t kEpochSeconds = 1704164645;

// Monotonic 10 s is 2024-01-02T03:04:05.678Z; "now" is a minute later.
Clock test_clock() {
  Clock c;
  c.now_monotonic_ns = 70 * kSec;
  c.realtime_minus_monotonic_ns = kEpochSeconds * static_cast<int64_t>(kSec) + 678 * static_cast<int64_t>(kMs) -
                                  10 * static_cast<int64_t>(kSec);
  return c;
}

Endpoint endpoint(const char *text) { return Endpoint::from(address(text)); }

ConnectionRecord sample_connection() {
  ConnectionRecord c;
  c.key = {4026531840u, 0xab};
  c.direction = Direction::inbound;
  c.family = AF_INET;
  c.sources = kFromBpf | kFromSockDiag;
  c.local = endpoint("10.0.0.1:8684");
  c.remote = endpoint("10.0.0.2:50000");
  c.established_ns = 10 * kSec;
  c.first_join_ns = 10 * kSec + 50 * kMs;
  c.updated_ns = 20 * kSec;
  c.subflows_ever = 3;
  c.join_failures = 1;
  c.last_join_failure = Reason::timeout;

  SubflowRecord initial;
  initial.cookie = 1001;
  initial.local = c.local;
  initial.remote = c.remote;
  initial.established_ns = 10 * kSec;
  initial.handshake_ns = 1500 * kUs;
  initial.ifindex = 2;
  initial.kind = SubflowKind::initial;
  initial.direction = Direction::inbound;
  initial.sources = kFromBpf | kFromSockDiag;

  SubflowRecord join;  // first seen by a snapshot: no times known
  join.cookie = 1002;
  join.local = endpoint("10.0.1.1:8684");
  join.remote = endpoint("10.0.1.2:50001");
  join.kind = SubflowKind::join;
  join.direction = Direction::inbound;
  join.local_id = 1;
  join.remote_id = 4;
  join.backup = true;
  join.sources = kFromSockDiag;

  c.subflows = {initial, join};
  return c;
}

MptcpEvent sample_event(EventType type) {
  MptcpEvent e;
  e.type = type;
  e.timestamp_ns = 10 * kSec;
  e.netns = 4026531840u;
  e.token = 0x1234;
  e.cookie = 77;
  e.direction = Direction::outbound;
  e.kind = SubflowKind::join;
  e.local = address("10.0.1.1:40001");
  e.remote = address("10.0.0.2:8684");
  e.local_id = 1;
  e.remote_id = 0;
  return e;
}
}  // namespace

TEST_CASE("format_token is always eight lower-case hex digits", "[table_json]") {
  struct Case {
    uint32_t token;
    const char *text;
  };
  const auto c = GENERATE(values<Case>({
      {0, "00000000"},
      {1, "00000001"},
      {0xab, "000000ab"},
      {0xdeadbeef, "deadbeef"},
      {0xffffffff, "ffffffff"},
  }));
  CHECK(format_token(c.token) == c.text);
}

TEST_CASE("connection_json shows a connection and its subflows", "[table_json]") {
  auto j = connection_json(sample_connection(), test_clock());
  CHECK(j["netns"] == 4026531840u);
  CHECK(j["token"] == "000000ab");
  CHECK(j["direction"] == "inbound");
  CHECK(j["family"] == "ipv4");
  CHECK(j["local"] == "10.0.0.1:8684");
  CHECK(j["remote"] == "10.0.0.2:50000");
  CHECK(j["fallback"] == false);
  CHECK(j["sources"] == nlohmann::ordered_json::array({"bpf", "sock_diag"}));
  CHECK(j["established"] == "2024-01-02T03:04:05.678Z");
  CHECK(j["age_ms"] == 60000);
  CHECK(j["first_join_delay_us"] == 50000);
  CHECK(j["subflows_ever"] == 3);
  CHECK(j["join_failures"] == 1);
  CHECK(j["last_join_failure"] == "timeout");

  auto &subflows = j["subflows"];
  REQUIRE(subflows.is_array());
  REQUIRE(subflows.size() == 2);
  auto &initial = subflows[0];
  CHECK(initial["kind"] == "initial");
  CHECK(initial["local"] == "10.0.0.1:8684");
  CHECK(initial["remote"] == "10.0.0.2:50000");
  CHECK(initial["local_id"] == 0);
  CHECK(initial["remote_id"] == 0);
  CHECK(initial["backup"] == false);
  CHECK(initial["ifindex"] == 2);
  CHECK(initial["handshake_us"] == 1500);
  CHECK(initial["lifetime_ms"] == 60000);
  CHECK(initial["cookie"] == 1001);
  CHECK(initial["sources"] == nlohmann::ordered_json::array({"bpf", "sock_diag"}));

  auto &join = subflows[1];
  CHECK(join["kind"] == "join");
  CHECK(join["local"] == "10.0.1.1:8684");
  CHECK(join["remote"] == "10.0.1.2:50001");
  CHECK(join["local_id"] == 1);
  CHECK(join["remote_id"] == 4);
  CHECK(join["backup"] == true);
  CHECK(join["cookie"] == 1002);
  CHECK(join["sources"] == nlohmann::ordered_json::array({"sock_diag"}));
  // Unknown is absent, never zero.
  CHECK_FALSE(join.contains("handshake_us"));
  CHECK_FALSE(join.contains("lifetime_ms"));
  CHECK_FALSE(join.contains("ifindex"));
}

TEST_CASE("connection_json carries the connection's diagnosis, strongest first", "[table_json]") {
  auto c = sample_connection();
  c.join_failures_by_reason[static_cast<size_t>(Reason::timeout)] = 1;
  for (auto &s : c.subflows) s.backup_seen_ns = 10 * kSec;  // the join a backup, as a source said
  const auto j = connection_json(c, test_clock());
  const auto &diagnosis = j["diagnosis"];
  REQUIRE(diagnosis.is_array());
  std::vector<std::string> codes;
  for (const auto &f : diagnosis) {
    codes.push_back(f["code"]);
    // The fields in the checker's order, and nothing else.
    std::vector<std::string> keys;
    for (const auto &[key, value] : f.items()) keys.push_back(key);
    CHECK(keys == std::vector<std::string>{"code", "confidence", "message", "advice"});
    CHECK(f["confidence"] == "certain");
  }
  // It had 3 subflows, 2 are open, one join timed out, the open join is a backup.
  CHECK(codes == std::vector<std::string>{"join_timeout", "mptcp_ok", "backup_subflow", "subflows_closed"});
  CHECK(diagnosis[2]["message"].get<std::string>().find("10.0.1.2:50001") != std::string::npos);
}

TEST_CASE("connection_json leaves out what a snapshot could not know", "[table_json]") {
  ConnectionRecord c;
  c.key = {1, 0xdeadbeef};
  c.direction = Direction::outbound;
  c.family = AF_INET6;
  c.sources = kFromSockDiag;
  c.local = endpoint("[2001:db8::1]:40000");
  c.remote = endpoint("[2001:db8::2]:443");
  c.fallback = true;
  c.subflows_ever = 1;
  auto j = connection_json(c, test_clock());
  CHECK(j["token"] == "deadbeef");
  CHECK(j["direction"] == "outbound");
  CHECK(j["family"] == "ipv6");
  CHECK(j["local"] == "[2001:db8::1]:40000");
  CHECK(j["remote"] == "[2001:db8::2]:443");
  CHECK(j["fallback"] == true);
  CHECK(j["sources"] == nlohmann::ordered_json::array({"sock_diag"}));
  CHECK_FALSE(j.contains("established"));
  CHECK_FALSE(j.contains("age_ms"));
  CHECK_FALSE(j.contains("first_join_delay_us"));
  CHECK_FALSE(j.contains("last_join_failure"));
  CHECK(j["join_failures"] == 0);
  CHECK(j["subflows"].is_array());
  CHECK(j["subflows"].empty());
}

TEST_CASE("connection_json without endpoints has no local or remote", "[table_json]") {
  ConnectionRecord c;
  c.key = {1, 2};
  auto j = connection_json(c, test_clock());
  CHECK_FALSE(j.contains("local"));
  CHECK_FALSE(j.contains("remote"));
  CHECK(j["sources"].empty());
}

TEST_CASE("connection_json lists every source bit", "[table_json]") {
  ConnectionRecord c;
  c.sources = kFromBpf | kFromSockDiag | kFromGetsockopt;
  CHECK(connection_json(c, test_clock())["sources"] ==
        nlohmann::ordered_json::array({"bpf", "sock_diag", "getsockopt"}));
}

TEST_CASE("wall times come from the clock offset", "[table_json]") {
  struct Case {
    uint64_t monotonic_ns;
    const char *wall;
  };
  const auto c = GENERATE(values<Case>({
      {10 * kSec, "2024-01-02T03:04:05.678Z"},
      {10 * kSec + 321 * kMs, "2024-01-02T03:04:05.999Z"},
      {10 * kSec + 322 * kMs, "2024-01-02T03:04:06.000Z"},
      {10 * kSec + 3600 * kSec, "2024-01-02T04:04:05.678Z"},
      {10 * kSec + 86400 * kSec, "2024-01-03T03:04:05.678Z"},
  }));
  MptcpEvent e = sample_event(EventType::subflow_created);
  e.timestamp_ns = c.monotonic_ns;
  CHECK(event_json(e, test_clock())["time"] == c.wall);
}

TEST_CASE("event_json of an established subflow", "[table_json]") {
  MptcpEvent e = sample_event(EventType::subflow_established);
  e.duration_ns = 2500 * kUs;
  e.first_join_delay_ns = 40 * kMs;
  e.ifindex = 3;
  e.backup = true;
  auto j = event_json(e, test_clock());
  CHECK(j["type"] == "subflow_established");
  CHECK(j["time"] == "2024-01-02T03:04:05.678Z");
  CHECK(j["netns"] == 4026531840u);
  CHECK(j["token"] == "00001234");
  CHECK(j["direction"] == "outbound");
  CHECK(j["kind"] == "join");
  CHECK(j["family"] == "ipv4");
  CHECK(j["local"] == "10.0.1.1:40001");
  CHECK(j["remote"] == "10.0.0.2:8684");
  CHECK(j["local_id"] == 1);
  CHECK(j["remote_id"] == 0);
  CHECK(j["backup"] == true);
  CHECK(j["ifindex"] == 3);
  CHECK(j["cookie"] == 77);
  CHECK(j["handshake_us"] == 2500);
  CHECK_FALSE(j.contains("lifetime_us"));
  CHECK(j["first_join_delay_us"] == 40000);
  CHECK_FALSE(j.contains("reason"));
  CHECK_FALSE(j.contains("mp_rst_reason"));
  CHECK_FALSE(j.contains("tcp_error"));
  CHECK_FALSE(j.contains("subflows_ever"));
}

TEST_CASE("event_json of a subflow reset by the peer", "[table_json]") {
  MptcpEvent e = sample_event(EventType::subflow_closed);
  e.duration_ns = 7 * kSec;
  e.reason = Reason::reset;
  e.reset_seen = true;
  e.reset_reason = 6;
  e.tcp_error = 104;
  auto j = event_json(e, test_clock());
  CHECK(j["type"] == "subflow_closed");
  CHECK(j["reason"] == "reset");
  CHECK(j["mp_rst_reason"] == 6);
  CHECK(j["tcp_error"] == 104);
  CHECK(j["lifetime_us"] == 7000000);
  CHECK_FALSE(j.contains("handshake_us"));
  CHECK_FALSE(j.contains("first_join_delay_us"));
  CHECK_FALSE(j.contains("ifindex"));
}

TEST_CASE("event_json of an IPv6 and an IPv4-mapped subflow", "[table_json]") {
  MptcpEvent e = sample_event(EventType::subflow_created);
  SECTION("IPv6") {
    e.local = address("[2001:db8::1]:40000");
    e.remote = address("[2001:db8::2]:443");
    auto j = event_json(e, test_clock());
    CHECK(j["family"] == "ipv6");
    CHECK(j["local"] == "[2001:db8::1]:40000");
    CHECK(j["remote"] == "[2001:db8::2]:443");
  }
  SECTION("IPv4-mapped IPv6 is IPv4") {
    e.local = address("[::ffff:10.0.0.1]:40000");
    e.remote = address("[::ffff:10.0.0.2]:443");
    auto j = event_json(e, test_clock());
    CHECK(j["family"] == "ipv4");
    CHECK(j["local"] == "10.0.0.1:40000");
    CHECK(j["remote"] == "10.0.0.2:443");
  }
}

TEST_CASE("event_json of a closed connection is connection-level", "[table_json]") {
  MptcpEvent e = sample_event(EventType::connection_closed);
  e.duration_ns = 90 * kSec;
  e.subflow_count = 4;
  auto j = event_json(e, test_clock());
  CHECK(j["type"] == "connection_closed");
  CHECK(j["time"] == "2024-01-02T03:04:05.678Z");
  CHECK(j["netns"] == 4026531840u);
  CHECK(j["token"] == "00001234");
  CHECK(j["direction"] == "outbound");
  CHECK(j["subflows_ever"] == 4);
  CHECK(j["lifetime_us"] == 90000000);
  for (const char *key : {"kind", "family", "local", "remote", "local_id", "remote_id", "backup", "cookie",
                          "handshake_us"}) {
    INFO(key);
    CHECK_FALSE(j.contains(key));
  }
}

TEST_CASE("event_json of path-manager events names neither a direction nor a socket", "[table_json]") {
  // As pm::to_stream_event makes them: no cookie, direction or kind; the
  // whole answer is compared, so a key that should not be there fails too.
  MptcpEvent e;
  e.timestamp_ns = 10 * kSec;
  e.netns = 4026531840u;
  e.token = 0xabcd;
  SECTION("an announced address") {
    e.type = EventType::address_announced;
    e.remote_id = 7;
    e.remote = address("10.0.3.3:8684");
    CHECK(event_json(e, test_clock()).dump() ==
          R"({"type":"address_announced","time":"2024-01-02T03:04:05.678Z","netns":4026531840,)"
          R"("token":"0000abcd","remote_id":7,"address":"10.0.3.3:8684"})");
  }
  SECTION("a removed address") {
    e.type = EventType::address_removed;
    e.remote_id = 7;
    CHECK(event_json(e, test_clock()).dump() ==
          R"({"type":"address_removed","time":"2024-01-02T03:04:05.678Z","netns":4026531840,)"
          R"("token":"0000abcd","remote_id":7})");
  }
  SECTION("a priority change") {
    e.type = EventType::subflow_priority;
    e.local = address("10.0.3.2:8684");
    e.remote = address("10.0.2.2:40000");
    e.remote_id = 1;
    e.backup = true;
    CHECK(event_json(e, test_clock()).dump() ==
          R"({"type":"subflow_priority","time":"2024-01-02T03:04:05.678Z","netns":4026531840,)"
          R"("token":"0000abcd","local":"10.0.3.2:8684","remote":"10.0.2.2:40000","local_id":0,)"
          R"("remote_id":1,"backup":true})");
  }
}

// The stream's text, byte for byte: the API's key order, compact, as
// nlohmann's dump writes the same record. Wall times before 1970 floor to
// the second.
TEST_CASE("append_event_json writes the stream's compact record", "[table_json]") {
  MptcpEvent established = sample_event(EventType::subflow_established);
  established.duration_ns = 2500 * kUs;
  established.first_join_delay_ns = 40 * kMs;
  established.ifindex = 3;
  established.backup = true;
  MptcpEvent reset = sample_event(EventType::subflow_closed);
  reset.duration_ns = 7 * kSec;
  reset.reason = Reason::reset;
  reset.reset_seen = true;
  reset.reset_reason = 6;
  reset.tcp_error = 104;
  reset.token = 0xdeadbeef;
  reset.local = address("[2001:db8::1]:40000");
  reset.remote = address("[::ffff:10.0.0.2]:443");
  MptcpEvent closed = sample_event(EventType::connection_closed);
  closed.duration_ns = 90 * kSec;
  closed.subflow_count = 4;
  MptcpEvent announced = sample_event(EventType::address_announced);
  announced.remote_id = 7;
  MptcpEvent before_1970 = sample_event(EventType::address_removed);
  before_1970.timestamp_ns = 0;
  struct Case {
    MptcpEvent event;
    Clock clock;
    const char *text;
  };
  const auto c = GENERATE_COPY(values<Case>({
      {established, test_clock(),
       R"({"type":"subflow_established","time":"2024-01-02T03:04:05.678Z","netns":4026531840,"token":"00001234",)"
       R"("direction":"outbound","kind":"join","family":"ipv4","local":"10.0.1.1:40001","remote":"10.0.0.2:8684",)"
       R"("local_id":1,"remote_id":0,"backup":true,"ifindex":3,"cookie":77,"handshake_us":2500,)"
       R"("first_join_delay_us":40000})"},
      {reset, test_clock(),
       R"({"type":"subflow_closed","time":"2024-01-02T03:04:05.678Z","netns":4026531840,"token":"deadbeef",)"
       R"("direction":"outbound","kind":"join","family":"ipv6","local":"[2001:db8::1]:40000",)"
       R"("remote":"10.0.0.2:443","local_id":1,"remote_id":0,"backup":false,"cookie":77,"reason":"reset",)"
       R"("mp_rst_reason":6,"tcp_error":104,"lifetime_us":7000000})"},
      {closed, test_clock(),
       R"({"type":"connection_closed","time":"2024-01-02T03:04:05.678Z","netns":4026531840,"token":"00001234",)"
       R"("direction":"outbound","lifetime_us":90000000,"subflows_ever":4})"},
      {announced, test_clock(),
       R"({"type":"address_announced","time":"2024-01-02T03:04:05.678Z","netns":4026531840,"token":"00001234",)"
       R"("remote_id":7,"address":"10.0.0.2:8684"})"},
      {before_1970, Clock{0, -1500 * static_cast<int64_t>(kMs)},
       R"({"type":"address_removed","time":"1969-12-31T23:59:58.500Z","netns":4026531840,"token":"00001234",)"
       R"("remote_id":0})"},
  }));
  std::string out = "data: ";
  append_event_json(out, c.event, c.clock);
  CHECK(out == std::string("data: ") + c.text);
}

TEST_CASE("append_event_json writes the longest record whole", "[table_json]") {
  MptcpEvent e = sample_event(EventType::subflow_established);
  e.netns = e.ifindex = e.tcp_error = UINT32_MAX;
  e.token = UINT32_MAX;
  e.cookie = e.duration_ns = e.first_join_delay_ns = UINT64_MAX;
  e.local_id = e.remote_id = e.reset_reason = UINT8_MAX;
  e.reset_seen = true;
  e.reason = Reason::rejected_by_peer;
  e.local = address("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535");
  e.remote = address("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
  std::string out = "before ";
  append_event_json(out, e, test_clock());
  REQUIRE(out.rfind("before {", 0) == 0);
  const auto j = nlohmann::ordered_json::parse(out.substr(7));
  CHECK(j["remote"] == "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
  CHECK(j["first_join_delay_us"] == UINT64_MAX / 1000);
  CHECK(j.size() == 19);
}

TEST_CASE("events derived by the table render as the API shows them", "[table_json]") {
  ConnectionTable table;
  MptcpEvent initial = sample_event(EventType::subflow_established);
  initial.kind = SubflowKind::initial;
  initial.duration_ns = 3 * kMs;
  const auto up = table.apply(initial);
  REQUIRE(up.size() == 1);
  auto opened = event_json(up[0], test_clock());
  CHECK(opened["type"] == "connection_established");
  CHECK(opened["kind"] == "initial");
  CHECK(opened["local"] == "10.0.1.1:40001");
  CHECK_FALSE(opened.contains("handshake_us"));  // that belongs to the subflow event
  CHECK_FALSE(opened.contains("lifetime_us"));

  MptcpEvent close = sample_event(EventType::subflow_closed);
  close.timestamp_ns = 12 * kSec;
  const auto down = table.apply(close);
  REQUIRE(down.size() == 1);
  auto gone = event_json(down[0], test_clock());
  CHECK(gone["type"] == "connection_closed");
  CHECK(gone["time"] == "2024-01-02T03:04:07.678Z");
  CHECK(gone["lifetime_us"] == 2000000);
  CHECK(gone["subflows_ever"] == 1);
  CHECK_FALSE(gone.contains("kind"));
}
