// Which path-manager events reach the event stream, and how they read there.
#include "sources/pm_netlink/pm_event_translate.h"

#include <catch2/catch.hpp>

#include "test_addresses.h"
#include "views/admin/table_json.h"

using namespace observer;
using observer::test::address;

namespace {
pm::PathManagerEvent pm_event(pm::PathManagerEventType type) {
  pm::PathManagerEvent e;
  e.type = type;
  e.netns = 4026531840u;
  e.timestamp_ns = 5;
  e.token = 0xabcd;
  return e;
}
}  // namespace

TEST_CASE("what BPF already reports is not repeated from the path manager") {
  using T = pm::PathManagerEventType;
  const auto type = GENERATE(T::created, T::established, T::closed, T::subflow_established, T::subflow_closed,
                             T::listener_created, T::listener_closed);
  CHECK_FALSE(pm::to_stream_event(pm_event(type)));
}

TEST_CASE("an announced address becomes address_announced with the address and its id") {
  auto pm = pm_event(pm::PathManagerEventType::announced);
  pm.remote_id = 7;
  pm.remote = address("10.0.3.3:8684");
  const auto e = pm::to_stream_event(pm);
  REQUIRE(e);
  CHECK(e->type == EventType::address_announced);
  CHECK(e->token == 0xabcd);
  const auto j = admin::event_json(*e, admin::Clock{0, 0});
  CHECK(j["type"] == "address_announced");
  CHECK(j["address"] == "10.0.3.3:8684");
  CHECK(j["remote_id"] == 7);
  CHECK_FALSE(j.contains("direction"));
}

TEST_CASE("a removed address and a priority change keep what the path manager said") {
  auto rm = pm_event(pm::PathManagerEventType::removed);
  rm.remote_id = 7;
  const auto removed = pm::to_stream_event(rm);
  REQUIRE(removed);
  CHECK(admin::event_json(*removed, admin::Clock{0, 0})["remote_id"] == 7);

  auto prio = pm_event(pm::PathManagerEventType::subflow_priority);
  prio.local = address("10.0.3.2:8684");
  prio.remote = address("10.0.2.2:40000");
  prio.local_id = 0;
  prio.remote_id = 1;
  prio.backup = true;
  const auto changed = pm::to_stream_event(prio);
  REQUIRE(changed);
  const auto j = admin::event_json(*changed, admin::Clock{0, 0});
  CHECK(j["type"] == "subflow_priority");
  CHECK(j["remote"] == "10.0.2.2:40000");
  CHECK(j["backup"] == true);
}

TEST_CASE("a path-manager event without a token is not a connection's event") {
  auto e = pm_event(pm::PathManagerEventType::announced);
  e.token.reset();
  CHECK_FALSE(pm::to_stream_event(e));
}
