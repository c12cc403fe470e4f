// Decoding getsockopt(SOL_MPTCP) answers. Each answer is built by hand the way
// a kernel of some version would write it, then decoded.
#include "sources/getsockopt/mptcp_sockopt_decode.h"

// linux/tcp.h, not netinet/tcp.h: they conflict, and only the kernel's
// struct tcp_info has the byte counters.
#include <linux/mptcp.h>
#include <linux/tcp.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <vector>

#include "test_addresses.h"

using namespace observer;
using namespace observer::sockopt;
using observer::test::address;

namespace {
using Bytes = std::vector<std::byte>;

template <typename T>
void append(Bytes &out, const T &value, size_t size = sizeof(T)) {
  const size_t at = out.size();
  out.resize(at + size);  // zero-filled beyond sizeof(T) when size is larger
  std::memcpy(out.data() + at, &value, std::min(size, sizeof(T)));
}

// The header of an MPTCP_SUBFLOW_ADDRS / MPTCP_TCPINFO answer.
Bytes subflow_header(uint32_t num_subflows, uint32_t element_size) {
  abi::mptcp_subflow_data h{};
  h.size_subflow_data = sizeof h;
  h.num_subflows = num_subflows;
  h.size_kernel = element_size;
  h.size_user = element_size;
  Bytes out;
  append(out, h);
  return out;
}

mptcp_subflow_addrs addrs_element(const SocketAddress &local, const SocketAddress &remote) {
  mptcp_subflow_addrs e{};
  std::memcpy(&e.ss_local, &local.storage, local.length);
  std::memcpy(&e.ss_remote, &remote.storage, remote.length);
  return e;
}

// An mptcp_info with every field set, so a zero proves a field was not copied.
abi::mptcp_info full_mptcp_info() {
  abi::mptcp_info i{};
  i.subflows = 1;
  i.subflows_max = 8;
  i.flags = abi::kMptcpInfoFlagRemoteKeyReceived;
  i.token = 0xdeadbeef;
  i.rcv_nxt = 77;
  i.local_addr_used = 2;
  i.csum_enabled = 1;
  i.retransmits = 3;
  i.bytes_sent = 123456;
  i.bytes_acked = 120000;
  i.subflows_total = 2;
  i.last_ack_recv = 42;
  return i;
}

Bytes first_bytes(const abi::mptcp_info &info, size_t n) {
  const auto *p = reinterpret_cast<const std::byte *>(&info);
  return Bytes(p, p + n);
}
}  // namespace

TEST_CASE("decode_mptcp_info keeps the fields the kernel wrote and zeroes the rest", "[sockopt]") {
  struct Case {
    size_t returned;  // bytes the kernel copied: its sizeof(struct mptcp_info)
    bool has_csum_enabled, has_bytes_sent, has_subflows_total, has_last_ack_recv;
  };
  const auto c = GENERATE(values<Case>({
      {40, false, false, false, false},  // 5.11
      {43, true, false, false, false},   // 5.14: up to csum_enabled
      {80, true, true, false, false},    // 6.5: byte counters
      {88, true, true, true, false},     // 6.8: subflows_total
      {96, true, true, true, true},      // 6.10: today's size
  }));
  INFO("bytes returned: " << c.returned);
  const auto full = full_mptcp_info();
  const auto answer = first_bytes(full, c.returned);
  const auto info = decode_mptcp_info(answer);

  // Every kernel with MPTCP_INFO has these.
  CHECK(info.subflows == 1);
  CHECK(info.subflows_max == 8);
  CHECK(info.flags == abi::kMptcpInfoFlagRemoteKeyReceived);
  CHECK(info.token == 0xdeadbeef);
  CHECK(info.rcv_nxt == 77);

  CHECK(info.csum_enabled == (c.has_csum_enabled ? 1 : 0));
  CHECK(info.retransmits == (c.has_bytes_sent ? 3u : 0u));
  CHECK(info.bytes_sent == (c.has_bytes_sent ? 123456u : 0u));
  CHECK(info.subflows_total == (c.has_subflows_total ? 2 : 0));
  CHECK(info.last_ack_recv == (c.has_last_ack_recv ? 42u : 0u));
}

TEST_CASE("decode_mptcp_info ignores bytes beyond today's struct", "[sockopt]") {
  auto answer = first_bytes(full_mptcp_info(), sizeof(abi::mptcp_info));
  answer.resize(answer.size() + 32, std::byte{0xff});  // a future kernel's extra fields
  const auto info = decode_mptcp_info(answer);
  CHECK(info.subflows_total == 2);
  CHECK(info.last_ack_recv == 42);
}

TEST_CASE("decode_subflow_array_header counts only the elements that fit", "[sockopt]") {
  struct Case {
    uint32_t num_subflows, element_size;
    size_t payload;  // bytes after the header
    size_t expected_present;
  };
  const auto c = GENERATE(values<Case>({
      {2, 8, 16, 2},
      {3, 8, 16, 2},  // the kernel has more subflows than our buffer held
      {1, 8, 16, 1},  // more room than subflows
      {2, 8, 15, 1},  // a partial element is not counted
      {0, 0, 0, 0},   // no subflows: a zero element size is fine
      {5, 8, 0, 0},
  }));
  INFO("num_subflows " << c.num_subflows << ", element " << c.element_size << ", payload " << c.payload);
  auto answer = subflow_header(c.num_subflows, c.element_size);
  answer.resize(answer.size() + c.payload);
  std::string error;
  const auto h = decode_subflow_array_header(answer, error);
  REQUIRE(h.has_value());
  CHECK(h->num_subflows == c.num_subflows);
  CHECK(h->element_size == c.element_size);
  CHECK(h->elements_present == c.expected_present);
}

TEST_CASE("decode_subflow_array_header rejects a short or nonsensical header", "[sockopt]") {
  std::string error;
  SECTION("shorter than the header") {
    const auto answer = subflow_header(1, 8);
    CHECK_FALSE(decode_subflow_array_header(std::span(answer).first(15), error).has_value());
    CHECK_FALSE(error.empty());
  }
  SECTION("empty") {
    CHECK_FALSE(decode_subflow_array_header({}, error).has_value());
    CHECK_FALSE(error.empty());
  }
  SECTION("subflows with a zero element size") {
    auto answer = subflow_header(2, 0);
    answer.resize(answer.size() + 64);
    CHECK_FALSE(decode_subflow_array_header(answer, error).has_value());
    CHECK_THAT(error, Catch::Contains("zero element size"));
  }
}

TEST_CASE("decode_subflow_addrs reads IPv4 and IPv6 subflows", "[sockopt]") {
  auto answer = subflow_header(2, sizeof(mptcp_subflow_addrs));
  append(answer, addrs_element(address("192.0.2.1:8684"), address("198.51.100.4:51000")));
  append(answer, addrs_element(address("[2001:db8::1]:8684"), address("[2001:db8:1::4]:40000")));

  std::string error;
  const auto subflows = decode_subflow_addrs(answer, error);
  CHECK(error.empty());
  REQUIRE(subflows.size() == 2);
  CHECK(subflows[0].first.family() == AF_INET);
  CHECK(subflows[0].first.length == sizeof(sockaddr_in));
  CHECK(format_endpoint(subflows[0].first) == "192.0.2.1:8684");
  CHECK(format_endpoint(subflows[0].second) == "198.51.100.4:51000");
  CHECK(subflows[1].first.family() == AF_INET6);
  CHECK(subflows[1].first.length == sizeof(sockaddr_in6));
  CHECK(format_endpoint(subflows[1].first) == "[2001:db8::1]:8684");
  CHECK(format_endpoint(subflows[1].second) == "[2001:db8:1::4]:40000");
}

TEST_CASE("decode_subflow_addrs steps by the kernel's element size", "[sockopt]") {
  // A newer kernel with a bigger element: the second subflow starts after the
  // whole first element, not after our struct.
  const size_t bigger = sizeof(mptcp_subflow_addrs) + 16;
  auto answer = subflow_header(2, bigger);
  append(answer, addrs_element(address("192.0.2.1:8684"), address("198.51.100.4:51000")), bigger);
  append(answer, addrs_element(address("192.0.2.1:8684"), address("203.0.113.9:51001")), bigger);

  std::string error;
  const auto subflows = decode_subflow_addrs(answer, error);
  REQUIRE(subflows.size() == 2);
  CHECK(format_endpoint(subflows[1].second) == "203.0.113.9:51001");
}

TEST_CASE("decode_subflow_addrs refuses elements smaller than sockaddr pairs", "[sockopt]") {
  const size_t smaller = sizeof(mptcp_subflow_addrs) / 2;
  auto answer = subflow_header(1, smaller);
  answer.resize(answer.size() + smaller);
  std::string error;
  CHECK(decode_subflow_addrs(answer, error).empty());
  CHECK_FALSE(error.empty());
}

TEST_CASE("decode_subflow_addrs of a short answer is empty with an error", "[sockopt]") {
  const Bytes answer(8);
  std::string error;
  CHECK(decode_subflow_addrs(answer, error).empty());
  CHECK_FALSE(error.empty());
}

TEST_CASE("decode_tcp_infos reports only the counters an older kernel's tcp_info has", "[sockopt]") {
  struct Case {
    const char *kernel;
    size_t element_size;
    bool has_acked_and_received, has_sent;
  };
  const auto c = GENERATE(values<Case>({
      {"before bytes_acked", offsetof(tcp_info, tcpi_bytes_acked), false, false},
      {"4.6: bytes_received, cut before bytes_sent", offsetof(tcp_info, tcpi_bytes_sent), true, false},
      {"4.19: up to bytes_sent", offsetof(tcp_info, tcpi_bytes_sent) + sizeof(__u64), true, true},
      {"today's tcp_info", sizeof(tcp_info), true, true},
      {"a newer, bigger tcp_info", sizeof(tcp_info) + 24, true, true},
  }));
  INFO("kernel: " << c.kernel << " (element " << c.element_size << " bytes)");

  auto tcp_info_for = [](uint32_t rtt_us, uint64_t bytes) {
    tcp_info ti{};
    ti.tcpi_rtt = rtt_us;
    ti.tcpi_rttvar = rtt_us / 2;
    ti.tcpi_snd_cwnd = 10;
    ti.tcpi_total_retrans = 4;
    ti.tcpi_bytes_acked = bytes;
    ti.tcpi_bytes_received = bytes + 1;
    ti.tcpi_bytes_sent = bytes + 2;
    return ti;
  };
  auto answer = subflow_header(2, static_cast<uint32_t>(c.element_size));
  append(answer, tcp_info_for(1500, 1000), c.element_size);
  append(answer, tcp_info_for(30000, 2000), c.element_size);

  std::string error;
  const auto figures = decode_tcp_infos(answer, error);
  CHECK(error.empty());
  REQUIRE(figures.size() == 2);
  CHECK(figures[0].rtt_us == 1500);
  CHECK(figures[0].rttvar_us == 750);
  CHECK(figures[0].snd_cwnd == 10);
  CHECK(figures[0].total_retrans == 4);
  CHECK(figures[1].rtt_us == 30000);
  if (c.has_acked_and_received) {
    CHECK(figures[1].bytes_acked == 2000u);
    CHECK(figures[1].bytes_received == 2001u);
  } else {
    CHECK_FALSE(figures[1].bytes_acked.has_value());
    CHECK_FALSE(figures[1].bytes_received.has_value());
  }
  if (c.has_sent) {
    CHECK(figures[1].bytes_sent == 2002u);
  } else {
    CHECK_FALSE(figures[1].bytes_sent.has_value());
  }
}

TEST_CASE("same_endpoint compares address and port across IPv4 and mapped IPv6", "[sockopt]") {
  struct Case {
    const char *a, *b;
    bool same;
  };
  const auto c = GENERATE(values<Case>({
      {"10.0.0.1:5000", "10.0.0.1:5000", true},
      {"10.0.0.1:5000", "10.0.0.1:5001", false},
      {"10.0.0.1:5000", "10.0.0.2:5000", false},
      {"[::ffff:10.0.0.1]:5000", "10.0.0.1:5000", true},
      {"10.0.0.1:5000", "[::ffff:10.0.0.1]:5000", true},
      {"[::ffff:10.0.0.1]:5000", "10.0.0.1:5001", false},
      {"[2001:db8::1]:443", "[2001:db8::1]:443", true},
      {"[2001:db8::1]:443", "[2001:db8::2]:443", false},
      {"[2001:db8::1]:443", "[2001:db8::1]:444", false},
      {"[::1]:5000", "10.0.0.1:5000", false},
  }));
  INFO(c.a << " vs " << c.b);
  CHECK(same_endpoint(address(c.a), address(c.b)) == c.same);
}

TEST_CASE("classify_subflows marks the subflow from the peer's address as initial", "[sockopt]") {
  struct Case {
    const char *peer;  // the MPTCP socket's peer, as getpeername shows it
  };
  // A dual-stack listener shows an IPv4 client as ::ffff:a.b.c.d while its
  // subflows are AF_INET: the initial one must still be found.
  const auto c = GENERATE(values<Case>({{"10.0.0.1:5000"}, {"[::ffff:10.0.0.1]:5000"}}));
  INFO("peer: " << c.peer);

  std::vector<SubflowStatus> subflows(3);
  subflows[0].remote = address("10.0.1.1:5001");  // joined from a second address
  subflows[1].remote = address("10.0.0.1:5000");  // the connection the client opened
  subflows[2].remote = address("10.0.0.1:5002");  // joined from the same address, other port
  for (auto &s : subflows) s.local = address("10.0.0.254:8684");
  subflows[1].kind = SubflowKind::join;  // classify must set it, not keep a default

  classify_subflows(subflows, address(c.peer));
  CHECK(subflows[0].kind == SubflowKind::join);
  CHECK(subflows[1].kind == SubflowKind::initial);
  CHECK(subflows[2].kind == SubflowKind::join);
}

TEST_CASE("classify_subflows finds an IPv6 initial subflow", "[sockopt]") {
  std::vector<SubflowStatus> subflows(2);
  subflows[0].remote = address("[2001:db8::4]:40000");
  subflows[1].remote = address("[2001:db8:1::4]:40001");
  subflows[0].kind = SubflowKind::join;
  subflows[1].kind = SubflowKind::initial;
  classify_subflows(subflows, address("[2001:db8::4]:40000"));
  CHECK(subflows[0].kind == SubflowKind::initial);
  CHECK(subflows[1].kind == SubflowKind::join);
}

// MPTCP_FULL_INFO (6.5): the header and mptcp_info in one buffer, the
// subflow infos and tcp_infos in two arrays of ours.
namespace {
struct FullInfoFixture {
  Bytes answer, subflow_infos, tcp_infos;
};

FullInfoFixture full_info_answer(uint32_t num_subflows, uint32_t room, size_t info_bytes,
                                 const std::vector<std::pair<uint32_t, std::pair<SocketAddress, SocketAddress>>> &subflows) {
  FullInfoFixture f;
  abi::mptcp_full_info_header h{};
  h.size_tcpinfo_kernel = sizeof(tcp_info);
  h.size_tcpinfo_user = sizeof(tcp_info);
  h.size_sfinfo_kernel = sizeof(abi::mptcp_subflow_info);
  h.size_sfinfo_user = sizeof(abi::mptcp_subflow_info);
  h.num_subflows = num_subflows;
  h.size_arrays_user = room;
  append(f.answer, h);
  append(f.answer, full_mptcp_info(), info_bytes);
  f.subflow_infos.resize(room * sizeof(abi::mptcp_subflow_info));
  f.tcp_infos.resize(room * sizeof(tcp_info));
  for (size_t i = 0; i < subflows.size(); ++i) {
    abi::mptcp_subflow_info sf{};
    sf.id = subflows[i].first;
    sf.addrs = addrs_element(subflows[i].second.first, subflows[i].second.second);
    std::memcpy(f.subflow_infos.data() + i * sizeof sf, &sf, sizeof sf);
    tcp_info ti{};
    ti.tcpi_rtt = 100 + static_cast<uint32_t>(i);
    ti.tcpi_bytes_received = 1000 * (i + 1);
    std::memcpy(f.tcp_infos.data() + i * sizeof ti, &ti, sizeof ti);
  }
  return f;
}
}  // namespace

TEST_CASE("decode_full_info names the initial subflow by its id and reads each subflow's tcp_info") {
  const auto f = full_info_answer(
      2, 8, sizeof(abi::mptcp_info),
      {{1, {address("10.0.3.2:8684"), address("10.0.1.2:40000")}}, {2, {address("10.0.3.2:8684"), address("10.0.2.2:50000")}}});
  std::string error;
  const auto d = decode_full_info(f.answer, f.subflow_infos, f.tcp_infos, error);
  INFO(error);
  REQUIRE(d);
  CHECK(d->info.token == 0xdeadbeef);
  CHECK(d->num_subflows == 2);
  REQUIRE(d->subflows.size() == 2);
  CHECK(d->subflows[0].id == 1u);
  CHECK(d->subflows[0].kind == SubflowKind::initial);
  CHECK(format_endpoint(d->subflows[0].remote) == "10.0.1.2:40000");
  CHECK(d->subflows[1].kind == SubflowKind::join);
  CHECK(format_endpoint(d->subflows[1].remote) == "10.0.2.2:50000");
  REQUIRE(d->subflows[1].tcp);
  CHECK(d->subflows[1].tcp->rtt_us == 101);
  CHECK(d->subflows[1].tcp->bytes_received == 2000u);
}

TEST_CASE("decode_full_info: an initial subflow that closed leaves only joins") {
  const auto f = full_info_answer(1, 8, sizeof(abi::mptcp_info), {{3, {address("10.0.3.2:8684"), address("10.0.2.2:50000")}}});
  std::string error;
  const auto d = decode_full_info(f.answer, f.subflow_infos, f.tcp_infos, error);
  REQUIRE(d);
  REQUIRE(d->subflows.size() == 1);
  CHECK(d->subflows[0].kind == SubflowKind::join);
}

TEST_CASE("decode_full_info keeps only the mptcp_info fields the kernel returned") {
  // A 6.5 kernel's mptcp_info ends at bytes_acked (80 bytes).
  const auto f = full_info_answer(0, 8, 80, {});
  std::string error;
  const auto d = decode_full_info(f.answer, f.subflow_infos, f.tcp_infos, error);
  REQUIRE(d);
  CHECK(d->info.token == 0xdeadbeef);
  CHECK(d->info.subflows_total == 0);
  CHECK(d->subflows.empty());
}

TEST_CASE("decode_full_info lists what fits when more subflows exist than our arrays hold") {
  const auto f = full_info_answer(3, 1, sizeof(abi::mptcp_info), {{1, {address("10.0.3.2:8684"), address("10.0.1.2:40000")}}});
  std::string error;
  const auto d = decode_full_info(f.answer, f.subflow_infos, f.tcp_infos, error);
  REQUIRE(d);
  CHECK(d->num_subflows == 3);
  CHECK(d->subflows.size() == 1);
}

TEST_CASE("decode_full_info rejects answers that do not fit their own description") {
  std::string error;
  SECTION("shorter than the header") {
    const Bytes shorter(39);
    CHECK_FALSE(decode_full_info(shorter, {}, {}, error));
  }
  SECTION("more elements claimed than our arrays have room for") {
    auto f = full_info_answer(2, 2, sizeof(abi::mptcp_info), {});
    f.subflow_infos.resize(sizeof(abi::mptcp_subflow_info));
    CHECK_FALSE(decode_full_info(f.answer, f.subflow_infos, f.tcp_infos, error));
  }
  SECTION("an element smaller than the id and addresses") {
    auto f = full_info_answer(1, 1, sizeof(abi::mptcp_info), {});
    abi::mptcp_full_info_header h{};
    std::memcpy(&h, f.answer.data(), sizeof h);
    h.size_sfinfo_user = 8;
    std::memcpy(f.answer.data(), &h, sizeof h);
    CHECK_FALSE(decode_full_info(f.answer, f.subflow_infos, f.tcp_infos, error));
  }
  CHECK_FALSE(error.empty());
}
