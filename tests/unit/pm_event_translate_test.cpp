// Which path-manager events reach the event stream, and what of them. How
// the admin API renders them is table_json_test.cpp's.
#include "sources/pm_netlink/pm_event_translate.h"

#include <catch2/catch.hpp>

#include "common/socket_address.h"
#include "test_addresses.h"

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
  CHECK(e->netns == 4026531840u);
  CHECK(e->timestamp_ns == 5);
  CHECK(e->token == 0xabcd);
  CHECK(e->remote_id == 7);
  CHECK(format_endpoint(e->remote) == "10.0.3.3:8684");
  CHECK(e->cookie == 0);  // the path manager names no socket
}

TEST_CASE("a removed address and a priority change keep what the path manager said") {
  auto rm = pm_event(pm::PathManagerEventType::removed);
  rm.remote_id = 7;
  const auto removed = pm::to_stream_event(rm);
  REQUIRE(removed);
  CHECK(removed->type == EventType::address_removed);
  CHECK(removed->remote_id == 7);

  auto prio = pm_event(pm::PathManagerEventType::subflow_priority);
  prio.local = address("10.0.3.2:8684");
  prio.remote = address("10.0.2.2:40000");
  prio.local_id = 0;
  prio.remote_id = 1;
  prio.backup = true;
  const auto changed = pm::to_stream_event(prio);
  REQUIRE(changed);
  CHECK(changed->type == EventType::subflow_priority);
  CHECK(format_endpoint(changed->local) == "10.0.3.2:8684");
  CHECK(format_endpoint(changed->remote) == "10.0.2.2:40000");
  CHECK(changed->local_id == 0);
  CHECK(changed->remote_id == 1);
  CHECK(changed->backup);
}

TEST_CASE("a path-manager event without a token is not a connection's event") {
  auto e = pm_event(pm::PathManagerEventType::announced);
  e.token.reset();
  CHECK_FALSE(pm::to_stream_event(e));
}
