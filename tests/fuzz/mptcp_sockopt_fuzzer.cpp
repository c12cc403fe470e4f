// getsockopt(SOL_MPTCP) answers on one socket, as the checker reads them.
// The parts (fuzz_input.h): the socket's peer address (getpeername), then
// the three answers of kernels before 6.5 (MPTCP_INFO, MPTCP_SUBFLOW_ADDRS,
// MPTCP_TCPINFO), then MPTCP_FULL_INFO's answer and the two arrays it fills.
#include <linux/mptcp.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>

#include "fuzz_input.h"
#include "sources/getsockopt/mptcp_sockopt_decode.h"

using namespace observer;
using namespace observer::sockopt;
using observer::fuzz::InputParts;

namespace {
std::span<const std::byte> bytes(std::span<const uint8_t> part) { return std::as_bytes(part); }

bool is_ip(const SocketAddress &a) { return a.family() == AF_INET || a.family() == AF_INET6; }

// The kernel's bytes, then zeros: nothing is read past what it wrote.
void check_mptcp_info(std::span<const uint8_t> answer) {
  const abi::mptcp_info info = decode_mptcp_info(bytes(answer));
  const auto *decoded = reinterpret_cast<const uint8_t *>(&info);
  const size_t copied = std::min(answer.size(), sizeof info);
  FUZZ_CHECK(std::memcmp(decoded, answer.data(), copied) == 0);
  for (size_t i = copied; i < sizeof info; ++i) FUZZ_CHECK(decoded[i] == 0);
}

// The array header's count never reaches past the answer.
void check_array_header(std::span<const uint8_t> answer) {
  std::string error;
  const auto header = decode_subflow_array_header(bytes(answer), error);
  FUZZ_CHECK(header.has_value() == error.empty());
  if (!header) return;
  FUZZ_CHECK(header->elements_present <= header->num_subflows);
  FUZZ_CHECK(header->elements_present * header->element_size <= answer.size() - sizeof(abi::mptcp_subflow_data));
}

std::vector<SubflowStatus> check_subflow_addrs(std::span<const uint8_t> answer) {
  check_array_header(answer);
  std::string error, header_error;
  const auto addrs = decode_subflow_addrs(bytes(answer), error);
  const auto header = decode_subflow_array_header(bytes(answer), header_error);
  FUZZ_CHECK(addrs.size() <= (header ? header->elements_present : 0));
  if (addrs.empty() && !header) FUZZ_CHECK(!error.empty());
  std::vector<SubflowStatus> subflows;
  for (const auto &[local, remote] : addrs) {
    SubflowStatus s;
    s.local = local;
    s.remote = remote;
    subflows.push_back(s);
  }
  return subflows;
}

void check_tcp_infos(std::span<const uint8_t> answer) {
  check_array_header(answer);
  std::string error, header_error;
  const auto infos = decode_tcp_infos(bytes(answer), error);
  const auto header = decode_subflow_array_header(bytes(answer), header_error);
  FUZZ_CHECK(infos.size() == (header ? header->elements_present : 0));
}

void check_full_info(std::span<const uint8_t> answer, std::span<const uint8_t> subflow_infos,
                     std::span<const uint8_t> tcp_infos) {
  std::string error;
  const auto full = decode_full_info(bytes(answer), bytes(subflow_infos), bytes(tcp_infos), error);
  FUZZ_CHECK(full.has_value() == error.empty());
  if (!full) return;
  abi::mptcp_full_info_header h;
  std::memcpy(&h, answer.data(), sizeof h);
  // Every subflow that fits in both arrays, none more.
  FUZZ_CHECK(full->num_subflows == h.num_subflows);
  FUZZ_CHECK(full->subflows.size() == std::min(h.num_subflows, h.size_arrays_user));
  for (const auto &s : full->subflows) {
    FUZZ_CHECK(s.id.has_value());
    FUZZ_CHECK((s.kind == SubflowKind::initial) == (*s.id == 1));
    FUZZ_CHECK(s.tcp.has_value() == (h.size_tcpinfo_user != 0));
    (void)format_endpoint(s.local);
    (void)format_endpoint(s.remote);
  }
}

// The endpoint comparison that picks the initial subflow is an equivalence
// on IP addresses: symmetric, and every address equals itself.
void check_classify(std::vector<SubflowStatus> &subflows, const SocketAddress &peer) {
  classify_subflows(subflows, peer);
  for (const auto &s : subflows) {
    FUZZ_CHECK(same_endpoint(s.remote, peer) == same_endpoint(peer, s.remote));
    FUZZ_CHECK((s.kind == SubflowKind::initial) == same_endpoint(s.remote, peer));
    if (is_ip(s.remote)) FUZZ_CHECK(same_endpoint(s.remote, s.remote));
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  InputParts parts(data, size);
  const auto peer_bytes = parts.next();
  const auto info_answer = parts.next();
  const auto addrs_answer = parts.next();
  const auto tcpinfo_answer = parts.next();
  const auto full_answer = parts.next();
  const auto full_subflow_infos = parts.next();
  const auto full_tcp_infos = parts.rest();

  const SocketAddress peer =
      SocketAddress::from(reinterpret_cast<const sockaddr *>(peer_bytes.data()), static_cast<socklen_t>(peer_bytes.size()));

  check_mptcp_info(info_answer);
  auto subflows = check_subflow_addrs(addrs_answer);
  check_tcp_infos(tcpinfo_answer);
  check_classify(subflows, peer);
  check_full_info(full_answer, full_subflow_infos, full_tcp_infos);
  return 0;
}
