// OutboundHandshakes times an outbound subflow from its created event to
// the event that ends its handshake, since the BPF side keeps no state.
#include "sources/bpf/outbound_handshakes.h"

#include <catch2/catch.hpp>

using namespace observer;
using observer::bpf::OutboundHandshakes;

namespace {
constexpr uint64_t kSecond = 1000ull * 1000 * 1000;

MptcpEvent event(EventType type, uint64_t cookie, uint64_t at_ns, Direction d = Direction::outbound) {
  MptcpEvent e;
  e.type = type;
  e.cookie = cookie;
  e.timestamp_ns = at_ns;
  e.direction = d;
  return e;
}

uint64_t after(OutboundHandshakes &h, EventType type, uint64_t cookie, uint64_t at_ns) {
  auto e = event(type, cookie, at_ns);
  h.on_event(e);
  return e.duration_ns;
}
}  // namespace

TEST_CASE("an outbound handshake runs from the created event to the one that ends it", "[handshakes]") {
  OutboundHandshakes h;
  for (const auto type : {EventType::subflow_established, EventType::fallback, EventType::join_failed}) {
    auto created = event(EventType::subflow_created, 7, 1000 * kSecond);
    h.on_event(created);
    CHECK(created.duration_ns == 0);
    CHECK(h.pending() == 1);
    CHECK(after(h, type, 7, 1000 * kSecond + 2500) == 2500);
    CHECK(h.pending() == 0);
    // Answered once: a second end finds nothing to time.
    CHECK(after(h, type, 7, 1001 * kSecond) == 0);
  }
}

TEST_CASE("handshakes of different subflows are timed apart", "[handshakes]") {
  OutboundHandshakes h;
  auto a = event(EventType::subflow_created, 1, 10 * kSecond);
  auto b = event(EventType::subflow_created, 2, 10 * kSecond + 100);
  h.on_event(a);
  h.on_event(b);
  CHECK(after(h, EventType::subflow_established, 2, 10 * kSecond + 400) == 300);
  CHECK(after(h, EventType::join_failed, 1, 11 * kSecond) == kSecond);
}

TEST_CASE("a subflow that connects again starts its clock again", "[handshakes]") {
  OutboundHandshakes h;
  auto first = event(EventType::subflow_created, 5, 10 * kSecond);
  auto again = event(EventType::subflow_created, 5, 20 * kSecond);
  h.on_event(first);
  h.on_event(again);
  CHECK(h.pending() == 1);
  CHECK(after(h, EventType::subflow_established, 5, 20 * kSecond + 50) == 50);
}

TEST_CASE("inbound events and established subflows' closes are not handshakes", "[handshakes]") {
  OutboundHandshakes h;
  auto inbound = event(EventType::subflow_established, 9, 10 * kSecond, Direction::inbound);
  inbound.duration_ns = 40000;  // the kernel's first RTT sample: kept
  h.on_event(inbound);
  CHECK(inbound.duration_ns == 40000);
  auto created = event(EventType::subflow_created, 3, 10 * kSecond);
  h.on_event(created);
  CHECK(after(h, EventType::subflow_closed, 3, 11 * kSecond) == 0);
  CHECK(h.pending() == 0);
}

TEST_CASE("SYNs never answered are forgotten, and the pending set is bounded", "[handshakes]") {
  OutboundHandshakes h;
  // Initial subflows whose connect fails close without an event.
  auto stale = event(EventType::subflow_created, 1, 10 * kSecond);
  h.on_event(stale);
  const uint64_t later = 10 * kSecond + OutboundHandshakes::kForgetAfterNs + kSecond;
  auto fresh = event(EventType::subflow_created, 2, later);
  h.on_event(fresh);
  CHECK(h.pending() == 1);
  CHECK(after(h, EventType::subflow_established, 1, later) == 0);

  uint64_t cookie = 100;
  while (h.pending() < OutboundHandshakes::kMaxPending) {
    auto e = event(EventType::subflow_created, cookie++, later + 1);
    h.on_event(e);
  }
  auto over = event(EventType::subflow_created, cookie, later + 2);
  h.on_event(over);
  CHECK(h.pending() == OutboundHandshakes::kMaxPending);
  CHECK(after(h, EventType::subflow_established, cookie, later + 3) == 0);
  CHECK(after(h, EventType::subflow_established, 100, later + 5) == 4);
}
