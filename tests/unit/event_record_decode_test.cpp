// decode_event turns a ring-buffer record into an MptcpEvent. Each record
// here is an mpo_event filled in by hand, the way the BPF program writes it.
#include "sources/bpf/event_record_decode.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>

#include <cstddef>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/socket_address.h"
#include "mptcp_events.h"

using namespace observer;

namespace {
// The decoder fills a freshly made event; nullopt when it refuses the record.
std::optional<MptcpEvent> decode_event(std::span<const std::byte> record) {
  std::optional<MptcpEvent> e(std::in_place);
  if (!bpf::decode_event(record, *e)) e.reset();
  return e;
}

void put_ip(mpo_u8 (&out)[16], int family, const char *ip) {
  std::memset(out, 0, sizeof out);
  REQUIRE(inet_pton(family, ip, out) == 1);
}

// An established initial IPv4 subflow with every field set to a distinct
// non-zero value, so a zero after decoding proves a field was not copied.
mpo_event v4_record() {
  mpo_event r{};
  r.timestamp_ns = 111111111111ull;
  r.cookie = 0x0102030405060708ull;
  r.duration_ns = 2500000;
  r.netns = 4026531840u;
  r.token = 0xdeadbeef;
  r.ifindex = 3;
  r.tcp_error = 104;  // ECONNRESET
  r.type = MPO_EV_SUBFLOW_ESTABLISHED;
  r.direction = MPO_DIR_ACTIVE;
  r.kind = MPO_KIND_INITIAL;
  r.family = AF_INET;
  r.reason = MPO_REASON_RESET;
  r.reset_reason = 6;
  r.local_id = 2;
  r.remote_id = 5;
  r.backup = 1;
  r.reset_seen = 1;
  r.local_port = 40000;  // host byte order in the record
  r.remote_port = 8684;
  put_ip(r.local_addr, AF_INET, "10.0.0.1");
  put_ip(r.remote_addr, AF_INET, "10.0.0.2");
  return r;
}

std::span<const std::byte> bytes_of(const mpo_event &r) { return std::as_bytes(std::span(&r, 1)); }
}  // namespace

TEST_CASE("decode_event copies every field of a record", "[bpf_decode]") {
  const mpo_event r = v4_record();
  const auto e = decode_event(bytes_of(r));
  REQUIRE(e.has_value());
  CHECK(e->type == EventType::subflow_established);
  CHECK(e->direction == Direction::outbound);
  CHECK(e->kind == SubflowKind::initial);
  CHECK(e->reason == Reason::reset);
  CHECK(e->timestamp_ns == 111111111111ull);
  CHECK(e->cookie == 0x0102030405060708ull);
  CHECK(e->duration_ns == 2500000);
  CHECK(e->netns == 4026531840u);
  CHECK(e->token == 0xdeadbeef);
  CHECK(e->ifindex == 3);
  CHECK(e->tcp_error == 104);
  CHECK(e->reset_reason == 6);
  CHECK(e->local_id == 2);
  CHECK(e->remote_id == 5);
  CHECK(e->backup);
  CHECK(e->reset_seen);
  CHECK(format_endpoint(e->local) == "10.0.0.1:40000");
  CHECK(format_endpoint(e->remote) == "10.0.0.2:8684");
  // Set by the connection table, never by the decoder.
  CHECK(e->first_join_delay_ns == 0);
  CHECK(e->subflow_count == 0);
}

TEST_CASE("decode_event maps the false flags to false", "[bpf_decode]") {
  mpo_event r = v4_record();
  r.backup = 0;
  r.reset_seen = 0;
  const auto e = decode_event(bytes_of(r));
  REQUIRE(e.has_value());
  CHECK_FALSE(e->backup);
  CHECK_FALSE(e->reset_seen);
}

TEST_CASE("decode_event maps every enum value of the record", "[bpf_decode]") {
  SECTION("type") {
    struct Case {
      mpo_u8 raw;
      EventType expected;
    };
    const auto c = GENERATE(values<Case>({
        {MPO_EV_SUBFLOW_CREATED, EventType::subflow_created},
        {MPO_EV_SUBFLOW_ESTABLISHED, EventType::subflow_established},
        {MPO_EV_SUBFLOW_CLOSED, EventType::subflow_closed},
        {MPO_EV_JOIN_FAILED, EventType::join_failed},
        {MPO_EV_FALLBACK, EventType::fallback},
        {MPO_EV_LISTENER, EventType::listener},
    }));
    mpo_event r = v4_record();
    r.type = c.raw;
    const auto e = decode_event(bytes_of(r));
    INFO("raw type " << int(c.raw));
    REQUIRE(e.has_value());
    CHECK(std::string(event_type_name(e->type)) == event_type_name(c.expected));
  }
  SECTION("direction and kind") {
    struct Case {
      mpo_u8 direction, kind;
      Direction expected_direction;
      SubflowKind expected_kind;
    };
    const auto c = GENERATE(values<Case>({
        {MPO_DIR_ACTIVE, MPO_KIND_INITIAL, Direction::outbound, SubflowKind::initial},
        {MPO_DIR_ACTIVE, MPO_KIND_JOIN, Direction::outbound, SubflowKind::join},
        {MPO_DIR_PASSIVE, MPO_KIND_INITIAL, Direction::inbound, SubflowKind::initial},
        {MPO_DIR_PASSIVE, MPO_KIND_JOIN, Direction::inbound, SubflowKind::join},
    }));
    mpo_event r = v4_record();
    r.direction = c.direction;
    r.kind = c.kind;
    const auto e = decode_event(bytes_of(r));
    REQUIRE(e.has_value());
    CHECK(e->direction == c.expected_direction);
    CHECK(e->kind == c.expected_kind);
  }
  SECTION("reason: enum class Reason mirrors enum mpo_reason value for value") {
    struct Case {
      mpo_u8 raw;
      Reason expected;
    };
    const auto c = GENERATE(values<Case>({
        {MPO_REASON_NONE, Reason::none},
        {MPO_REASON_CLOSED, Reason::closed},
        {MPO_REASON_RESET, Reason::reset},
        {MPO_REASON_REFUSED, Reason::refused},
        {MPO_REASON_TIMEOUT, Reason::timeout},
        {MPO_REASON_REJECTED, Reason::rejected},
        {MPO_REASON_NO_MPTCP, Reason::no_mptcp},
        {MPO_REASON_PLAIN_CLIENT, Reason::plain_client},
        {MPO_REASON_UNREACHABLE, Reason::unreachable},
        {MPO_REASON_LATE, Reason::late},
        {MPO_REASON_REJECTED_BY_PEER, Reason::rejected_by_peer},
    }));
    mpo_event r = v4_record();
    r.reason = c.raw;
    const auto e = decode_event(bytes_of(r));
    INFO("raw reason " << int(c.raw));
    REQUIRE(e.has_value());
    CHECK(std::string(reason_name(e->reason)) == reason_name(c.expected));
  }
}

TEST_CASE("decode_event rejects a record of the wrong size", "[bpf_decode]") {
  const mpo_event r = v4_record();
  std::vector<std::byte> bytes(sizeof r + 8);
  std::memcpy(bytes.data(), &r, sizeof r);
  const size_t size = GENERATE(size_t{0}, size_t{1}, sizeof(mpo_event) - 1, sizeof(mpo_event) - 8,
                               sizeof(mpo_event) + 1, sizeof(mpo_event) + 8);
  INFO("record of " << size << " bytes");
  CHECK_FALSE(decode_event(std::span<const std::byte>(bytes.data(), size)).has_value());
  // The same bytes at the right size decode.
  CHECK(decode_event(std::span<const std::byte>(bytes.data(), sizeof(mpo_event))).has_value());
}

TEST_CASE("decode_event rejects unknown enum values", "[bpf_decode]") {
  struct Case {
    const char *what;
    size_t offset;  // of the one byte changed
    mpo_u8 value;
  };
  const auto c = GENERATE(values<Case>({
      {"type 0", offsetof(mpo_event, type), 0},
      {"type past LISTENER", offsetof(mpo_event, type), MPO_EV_LISTENER + 1},
      {"type 255", offsetof(mpo_event, type), 255},
      {"direction 2", offsetof(mpo_event, direction), 2},
      {"direction 255", offsetof(mpo_event, direction), 255},
      {"kind 2", offsetof(mpo_event, kind), 2},
      {"reason MPO_REASON_COUNT", offsetof(mpo_event, reason), MPO_REASON_COUNT},
      {"reason 255", offsetof(mpo_event, reason), 255},
      {"family 0", offsetof(mpo_event, family), 0},
      {"family AF_UNIX", offsetof(mpo_event, family), AF_UNIX},
      {"family AF_PACKET", offsetof(mpo_event, family), AF_PACKET},
  }));
  INFO(c.what);
  mpo_event r = v4_record();
  reinterpret_cast<unsigned char *>(&r)[c.offset] = c.value;
  CHECK_FALSE(decode_event(bytes_of(r)).has_value());
}

TEST_CASE("decode_event builds socket addresses from host-order ports", "[bpf_decode]") {
  struct Case {
    int family;
    const char *local_ip, *remote_ip;
    mpo_u16 local_port, remote_port;
    int decoded_family;
    const char *local_text, *remote_text;
  };
  const auto c = GENERATE(values<Case>({
      {AF_INET, "10.0.0.1", "10.0.0.2", 40000, 80, AF_INET, "10.0.0.1:40000", "10.0.0.2:80"},
      {AF_INET, "192.0.2.1", "198.51.100.7", 0x1234, 65535, AF_INET, "192.0.2.1:4660", "198.51.100.7:65535"},
      {AF_INET6, "2001:db8::1", "2001:db8:1::2", 1, 443, AF_INET6, "[2001:db8::1]:1", "[2001:db8:1::2]:443"},
      {AF_INET6, "fe80::1", "::1", 8684, 0x0102, AF_INET6, "[fe80::1]:8684", "[::1]:258"},
      // A dual-stack socket talking to an IPv4 peer: users call that IPv4.
      {AF_INET6, "::ffff:10.0.0.1", "::ffff:10.0.0.2", 50000, 8080, AF_INET, "10.0.0.1:50000", "10.0.0.2:8080"},
  }));
  mpo_event r = v4_record();
  r.family = static_cast<mpo_u8>(c.family);
  put_ip(r.local_addr, c.family, c.local_ip);
  put_ip(r.remote_addr, c.family, c.remote_ip);
  r.local_port = c.local_port;
  r.remote_port = c.remote_port;
  INFO(c.local_ip << " -> " << c.remote_ip);
  const auto e = decode_event(bytes_of(r));
  REQUIRE(e.has_value());
  CHECK(e->local.family() == c.decoded_family);
  CHECK(e->remote.family() == c.decoded_family);
  const socklen_t length = c.decoded_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
  CHECK(e->local.length == length);
  CHECK(e->remote.length == length);
  CHECK(format_endpoint(e->local) == c.local_text);
  CHECK(format_endpoint(e->remote) == c.remote_text);
  CHECK(port_of(e->local.get()) == c.local_port);
  CHECK(port_of(e->remote.get()) == c.remote_port);
}

TEST_CASE("an IPv4-mapped record decodes to a real sockaddr_in", "[bpf_decode]") {
  mpo_event r = v4_record();
  r.family = AF_INET6;
  put_ip(r.local_addr, AF_INET6, "::ffff:10.0.0.1");
  put_ip(r.remote_addr, AF_INET6, "::ffff:10.0.0.2");
  const auto e = decode_event(bytes_of(r));
  REQUIRE(e.has_value());
  REQUIRE(e->local.family() == AF_INET);
  const auto *in = reinterpret_cast<const sockaddr_in *>(&e->local.storage);
  char text[INET_ADDRSTRLEN] = {};
  REQUIRE(inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr);
  CHECK(std::string(text) == "10.0.0.1");
  CHECK(ntohs(in->sin_port) == 40000);
}

TEST_CASE("every mpo_reason has a Reason, and every Reason but none is a label value", "[bpf_decode]") {
  CHECK(std::size(kAllReasons) + 1 == MPO_REASON_COUNT);
}
