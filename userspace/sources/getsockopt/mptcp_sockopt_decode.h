#pragma once
// Pure decoding of getsockopt(SOL_MPTCP) answers: bytes in, values out, so
// every layout rule is tested without a kernel.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sources/getsockopt/mptcp_abi.h"
#include "sources/getsockopt/mptcp_status.h"

namespace observer::sockopt {

// Copies the `returned` bytes the kernel wrote; later fields stay zero.
abi::mptcp_info decode_mptcp_info(std::span<const std::byte> answer);

// A decoded MPTCP_SUBFLOW_ADDRS or MPTCP_TCPINFO answer: the kernel's count
// and the elements that fit.
struct SubflowArrayHeader {
  uint32_t num_subflows = 0;  // how many exist
  uint32_t element_size = 0;  // the size the kernel used per element
  size_t elements_present = 0;
};
std::optional<SubflowArrayHeader> decode_subflow_array_header(std::span<const std::byte> answer,
                                                              std::string &error);

std::vector<std::pair<SocketAddress, SocketAddress>> decode_subflow_addrs(
    std::span<const std::byte> answer, std::string &error);
std::vector<TcpFigures> decode_tcp_infos(std::span<const std::byte> answer, std::string &error);
TcpFigures decode_tcp_info(std::span<const std::byte> element);

// A decoded MPTCP_FULL_INFO answer. `answer` is the header and mptcp_info as
// the kernel returned them (its length tells which mptcp_info fields are
// real); the arrays are ours, as large as size_arrays_user said.
struct FullInfo {
  abi::mptcp_info info{};
  uint32_t num_subflows = 0;
  std::vector<SubflowStatus> subflows;  // those that fit, kind from the subflow id
};
std::optional<FullInfo> decode_full_info(std::span<const std::byte> answer, std::span<const std::byte> subflow_infos,
                                         std::span<const std::byte> tcp_infos, std::string &error);

// RFC 8684 gives the initial subflow no id on the wire that getsockopt shows
// before 6.5, but the MPTCP socket's peer address is the initial subflow's:
// the subflow whose remote end equals it is the initial one, the rest joined.
void classify_subflows(std::vector<SubflowStatus> &subflows, const SocketAddress &peer);

bool same_endpoint(const SocketAddress &a, const SocketAddress &b);

}  // namespace observer::sockopt
