// bpf/mptcp_events.h is the one definition both the BPF programs and C++
// compile. clang -target bpf and g++ must lay its structs (the ring-buffer
// record mpo_event, the map key mpo_listener_key) out the same way, which
// holds only while every field is naturally aligned and no padding is left
// to the compiler: these cases pin the layout by hand.
#include <catch2/catch.hpp>

#include <cstddef>
#include <string>

#include "mptcp_events.h"

namespace {
struct Field {
  const char *name;
  size_t offset;    // offsetof as compiled
  size_t size;      // sizeof the member
  size_t expected;  // offset computed by hand from the field order
};

#define MPO_FIELD(member, expected) \
  Field { #member, offsetof(mpo_event, member), sizeof(mpo_event::member), expected }

// Hand-computed: three u64, four u32, ten u8, three u16, two 16-byte arrays.
const Field kFields[] = {
    MPO_FIELD(timestamp_ns, 0),  MPO_FIELD(cookie, 8),       MPO_FIELD(duration_ns, 16),
    MPO_FIELD(netns, 24),        MPO_FIELD(token, 28),       MPO_FIELD(ifindex, 32),
    MPO_FIELD(tcp_error, 36),    MPO_FIELD(type, 40),        MPO_FIELD(direction, 41),
    MPO_FIELD(kind, 42),         MPO_FIELD(family, 43),      MPO_FIELD(reason, 44),
    MPO_FIELD(reset_reason, 45), MPO_FIELD(local_id, 46),    MPO_FIELD(remote_id, 47),
    MPO_FIELD(backup, 48),       MPO_FIELD(reset_seen, 49),  MPO_FIELD(local_port, 50),
    MPO_FIELD(remote_port, 52),  MPO_FIELD(pad, 54),         MPO_FIELD(local_addr, 56),
    MPO_FIELD(remote_addr, 72),
};
#undef MPO_FIELD
}  // namespace

TEST_CASE("struct mpo_event is 88 bytes, 8-byte aligned", "[mptcp_events]") {
  STATIC_REQUIRE(sizeof(mpo_event) == 88);
  STATIC_REQUIRE(alignof(mpo_event) == 8);
  STATIC_REQUIRE(sizeof(mpo_event) % alignof(mpo_event) == 0);  // no tail padding either
}

TEST_CASE("every mpo_event field sits at its hand-computed offset", "[mptcp_events]") {
  const auto f = GENERATE(from_range(std::begin(kFields), std::end(kFields)));
  INFO("field " << f.name << " (" << f.size << " bytes)");
  CHECK(f.offset == f.expected);
}

TEST_CASE("mpo_event has no implicit padding and every field is naturally aligned", "[mptcp_events]") {
  size_t next = 0;
  for (const auto &f : kFields) {
    INFO("field " << f.name);
    CHECK(f.offset == next);  // each field starts where the previous one ended
    // Arrays of bytes align to 1; scalars to their own size.
    const size_t alignment = (f.size == 16) ? 1 : f.size;
    CHECK(f.offset % alignment == 0);
    next = f.offset + f.size;
  }
  CHECK(next == sizeof(mpo_event));
  STATIC_REQUIRE(sizeof(mpo_event::local_addr) == 16);
  STATIC_REQUIRE(sizeof(mpo_event::remote_addr) == 16);
}

TEST_CASE("struct mpo_listener_key is 8 bytes: netns, port, pad, no implicit padding", "[mptcp_events]") {
  // Hash map keys compare byte for byte: a hole the compiler left would hold
  // whatever the stack held, and user space's key would never match the
  // kernel's.
  STATIC_REQUIRE(sizeof(mpo_listener_key) == 8);
  STATIC_REQUIRE(alignof(mpo_listener_key) == 4);
  STATIC_REQUIRE(offsetof(mpo_listener_key, netns) == 0);
  STATIC_REQUIRE(sizeof(mpo_listener_key::netns) == 4);
  STATIC_REQUIRE(offsetof(mpo_listener_key, port) == 4);
  STATIC_REQUIRE(sizeof(mpo_listener_key::port) == 2);
  STATIC_REQUIRE(offsetof(mpo_listener_key, pad) == 6);
  STATIC_REQUIRE(sizeof(mpo_listener_key::pad) == 2);
}

TEST_CASE("mpo_event enum values are the ones the BPF side writes", "[mptcp_events]") {
  struct Value {
    const char *name;
    long actual, expected;
  };
  const auto v = GENERATE(values<Value>({
      {"MPO_EV_SUBFLOW_CREATED", MPO_EV_SUBFLOW_CREATED, 1},
      {"MPO_EV_SUBFLOW_ESTABLISHED", MPO_EV_SUBFLOW_ESTABLISHED, 2},
      {"MPO_EV_SUBFLOW_CLOSED", MPO_EV_SUBFLOW_CLOSED, 3},
      {"MPO_EV_JOIN_FAILED", MPO_EV_JOIN_FAILED, 4},
      {"MPO_EV_FALLBACK", MPO_EV_FALLBACK, 5},
      {"MPO_EV_LISTENER", MPO_EV_LISTENER, 6},
      {"MPO_DIR_ACTIVE", MPO_DIR_ACTIVE, 0},
      {"MPO_DIR_PASSIVE", MPO_DIR_PASSIVE, 1},
      {"MPO_KIND_INITIAL", MPO_KIND_INITIAL, 0},
      {"MPO_KIND_JOIN", MPO_KIND_JOIN, 1},
      {"MPO_REASON_NONE", MPO_REASON_NONE, 0},
      {"MPO_REASON_CLOSED", MPO_REASON_CLOSED, 1},
      {"MPO_REASON_RESET", MPO_REASON_RESET, 2},
      {"MPO_REASON_REFUSED", MPO_REASON_REFUSED, 3},
      {"MPO_REASON_TIMEOUT", MPO_REASON_TIMEOUT, 4},
      {"MPO_REASON_REJECTED", MPO_REASON_REJECTED, 5},
      {"MPO_REASON_NO_MPTCP", MPO_REASON_NO_MPTCP, 6},
      {"MPO_REASON_PLAIN_CLIENT", MPO_REASON_PLAIN_CLIENT, 7},
      {"MPO_REASON_UNREACHABLE", MPO_REASON_UNREACHABLE, 8},
      {"MPO_REASON_REJECTED_BY_PEER", MPO_REASON_REJECTED_BY_PEER, 10},
      {"MPO_REASON_COUNT", MPO_REASON_COUNT, 11},
      {"MPO_CNT_EVENTS", MPO_CNT_EVENTS, 0},
      {"MPO_CNT_DROPPED", MPO_CNT_DROPPED, 1},
      {"MPO_CNT_MAX", MPO_CNT_MAX, 2},
  }));
  INFO(v.name);
  CHECK(v.actual == v.expected);
}

TEST_CASE("MPO_REASON_COUNT is one past the last reason", "[mptcp_events]") {
  // decode_event rejects reason >= MPO_REASON_COUNT: a new reason must move it.
  STATIC_REQUIRE(MPO_REASON_COUNT == MPO_REASON_REJECTED_BY_PEER + 1);
  STATIC_REQUIRE(MPO_DEFAULT_RINGBUF_BYTES == 1048576u);
  // The ring buffer size must be a power of two (a BPF_MAP_TYPE_RINGBUF rule).
  STATIC_REQUIRE((MPO_DEFAULT_RINGBUF_BYTES & (MPO_DEFAULT_RINGBUF_BYTES - 1)) == 0);
}
