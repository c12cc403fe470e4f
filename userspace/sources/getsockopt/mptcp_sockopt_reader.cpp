#include "sources/getsockopt/mptcp_sockopt_reader.h"

#include <linux/mptcp.h>
#include <linux/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "sources/getsockopt/mptcp_sockopt_decode.h"

namespace observer::sockopt {
namespace {

// Enough for the subflow limit (8) with room to spare; a larger count is
// seen from num_subflows and the buffer grows for a second try.
constexpr uint32_t kInitialSubflowCapacity = 8;

// Fetches a subflow array (MPTCP_TCPINFO or MPTCP_SUBFLOW_ADDRS).
// Returns the raw answer, or an empty vector with errno_out set.
std::vector<std::byte> get_subflow_array(int fd, int optname, uint32_t element_size,
                                         int &errno_out) {
  uint32_t capacity = kInitialSubflowCapacity;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::vector<std::byte> buf(sizeof(abi::mptcp_subflow_data) + capacity * element_size);
    abi::mptcp_subflow_data header{};
    header.size_subflow_data = sizeof header;
    header.size_user = element_size;
    std::memcpy(buf.data(), &header, sizeof header);
    socklen_t len = static_cast<socklen_t>(buf.size());
    if (getsockopt(fd, abi::kSolMptcp, optname, buf.data(), &len) != 0) {
      errno_out = errno;
      return {};
    }
    buf.resize(len);
    std::memcpy(&header, buf.data(), sizeof header);
    if (header.num_subflows <= capacity) return buf;
    capacity = header.num_subflows;
  }
  errno_out = EAGAIN;
  return {};
}

}  // namespace

MptcpStatus read_mptcp_status(int fd, const SocketAddress &peer) {
  MptcpStatus status;
  abi::mptcp_info raw{};
  socklen_t len = sizeof raw;
  if (getsockopt(fd, abi::kSolMptcp, abi::kMptcpInfo, &raw, &len) != 0) {
    // A socket that is (or became) plain TCP answers SOL_MPTCP with
    // EOPNOTSUPP over IPv4 and ENOPROTOOPT over IPv6.
    if (errno == EOPNOTSUPP || errno == ENOPROTOOPT) {
      status.verdict = Verdict::plain_tcp;
    } else {
      status.verdict = Verdict::error;
      status.error_number = errno;
    }
    return status;
  }
  const auto info = decode_mptcp_info({reinterpret_cast<const std::byte *>(&raw), len});
  status.token = info.token;
  status.extra_subflows = info.subflows;
  status.subflows_max = info.subflows_max;
  if (info.flags & abi::kMptcpInfoFlagFallback) {
    status.verdict = Verdict::fallback;
    return status;
  }
  status.verdict = Verdict::mptcp;

  // Two calls, two snapshots: a subflow can come or go between them. Pair
  // them only when both saw the same subflows, and retry a couple of times.
  for (int attempt = 0; attempt < 3; ++attempt) {
    int err = 0;
    const auto addrs_raw = get_subflow_array(fd, abi::kMptcpSubflowAddrs, sizeof(mptcp_subflow_addrs), err);
    if (addrs_raw.empty()) break;
    const auto infos_raw = get_subflow_array(fd, abi::kMptcpTcpInfo, sizeof(tcp_info), err);
    std::string error;
    const auto addrs = decode_subflow_addrs(addrs_raw, error);
    const auto infos = infos_raw.empty() ? std::vector<TcpFigures>{} : decode_tcp_infos(infos_raw, error);
    status.subflows.clear();
    for (size_t i = 0; i < addrs.size(); ++i) {
      SubflowStatus s;
      s.local = addrs[i].first;
      s.remote = addrs[i].second;
      if (infos.size() == addrs.size()) s.tcp = infos[i];
      status.subflows.push_back(std::move(s));
    }
    if (infos.size() == addrs.size()) break;
  }

  classify_subflows(status.subflows, peer);
  return status;
}

}  // namespace observer::sockopt
