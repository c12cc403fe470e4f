#include "sources/getsockopt/mptcp_sockopt_reader.h"

#include <linux/mptcp.h>
#include <linux/tcp.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <optional>
#include <span>
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

// What a socket that answers SOL_MPTCP with "not supported" is: plain TCP
// (the client did not ask, or the option was stripped before the server
// accepted), or an MPTCP socket that fell back to TCP. After a fallback the
// kernel passes every SOL_MPTCP option to the one TCP subflow left
// (mptcp_getsockopt -> __mptcp_tcp_fallback), which does not know them, so
// MPTCP_INFO's fallback flag is never seen; SO_PROTOCOL, which the socket
// layer answers itself, still says IPPROTO_MPTCP.
Verdict not_mptcp(int fd) {
  int protocol = 0;
  socklen_t len = sizeof protocol;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 && protocol == abi::kIpprotoMptcp) {
    return Verdict::fallback;
  }
  return Verdict::plain_tcp;
}

// EOPNOTSUPP (IPv4) and ENOPROTOOPT (IPv6) are how a socket that is, or
// became, plain TCP answers SOL_MPTCP; anything else is an error to report.
Verdict plain_tcp_or_error(int fd, int err, int &error_number) {
  if (err == EOPNOTSUPP || err == ENOPROTOOPT) return not_mptcp(fd);
  error_number = err;
  return Verdict::error;
}

// Copies the connection-level figures; false when the connection fell back
// (then there are no MPTCP subflows to list).
bool take_info(const abi::mptcp_info &info, MptcpStatus &status) {
  status.token = info.token;
  status.flags = info.flags;
  status.extra_subflows = info.subflows;
  status.subflows_max = info.subflows_max;
  status.add_addr_signal = info.add_addr_signal;
  status.add_addr_signal_max = info.add_addr_signal_max;
  status.add_addr_accepted = info.add_addr_accepted;
  status.verdict = (info.flags & abi::kMptcpInfoFlagFallback) ? Verdict::fallback : Verdict::mptcp;
  return status.verdict == Verdict::mptcp;
}

// Before 6.5: three calls, three snapshots. MPTCP_INFO first, since its
// error is what tells a plain TCP socket from an MPTCP one.
MptcpStatus read_with_three_calls(int fd, const SocketAddress &peer) {
  MptcpStatus status;
  abi::mptcp_info raw{};
  socklen_t len = sizeof raw;
  if (getsockopt(fd, abi::kSolMptcp, abi::kMptcpInfo, &raw, &len) != 0) {
    status.verdict = plain_tcp_or_error(fd, errno, status.error_number);
    return status;
  }
  const auto info = decode_mptcp_info({reinterpret_cast<const std::byte *>(&raw), len});
  if (!take_info(info, status)) return status;

  // A subflow can come or go between the two array calls. Pair them only
  // when both saw the same subflows, and retry a couple of times.
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

// 6.5+: one call, one snapshot. std::nullopt with errno_out when the call
// failed (which on 5.16-6.4 is also how an unknown option answers).
std::optional<MptcpStatus> read_full_info(int fd, int &errno_out) {
  // Reused by every call on this thread: no allocation per request.
  thread_local std::vector<abi::mptcp_subflow_info> subflow_infos(kInitialSubflowCapacity);
  thread_local std::vector<tcp_info> tcp_infos(kInitialSubflowCapacity);
  for (int attempt = 0; attempt < 3; ++attempt) {
    const auto capacity = static_cast<uint32_t>(subflow_infos.size());
    abi::mptcp_full_info full{};
    full.header.size_tcpinfo_user = sizeof(tcp_info);
    full.header.size_sfinfo_user = sizeof(abi::mptcp_subflow_info);
    full.header.size_arrays_user = capacity;
    full.header.subflow_info = reinterpret_cast<uintptr_t>(subflow_infos.data());
    full.header.tcp_info = reinterpret_cast<uintptr_t>(tcp_infos.data());
    socklen_t len = sizeof full;
    if (getsockopt(fd, abi::kSolMptcp, abi::kMptcpFullInfo, &full, &len) != 0) {
      errno_out = errno;
      return std::nullopt;
    }
    if (full.header.num_subflows > capacity) {
      subflow_infos.resize(full.header.num_subflows);
      tcp_infos.resize(full.header.num_subflows);
      continue;
    }
    std::string error;
    const auto decoded = decode_full_info(
        {reinterpret_cast<const std::byte *>(&full), len},
        std::as_bytes(std::span(subflow_infos)), std::as_bytes(std::span(tcp_infos)), error);
    if (!decoded) {
      errno_out = EPROTO;
      return std::nullopt;
    }
    MptcpStatus status;
    if (take_info(decoded->info, status)) status.subflows = decoded->subflows;
    return status;
  }
  errno_out = EAGAIN;
  return std::nullopt;
}

// Whether this kernel has MPTCP_FULL_INFO, learnt from the first MPTCP
// socket asked: until then an EOPNOTSUPP is ambiguous (plain TCP, or an
// option the kernel does not know).
enum class FullInfoSupport { unknown, yes, no };
std::atomic<FullInfoSupport> g_full_info{FullInfoSupport::unknown};

}  // namespace

MptcpStatus read_mptcp_status(int fd, const SocketAddress &peer) {
  if (g_full_info.load(std::memory_order_relaxed) != FullInfoSupport::no) {
    int err = 0;
    if (auto status = read_full_info(fd, err)) {
      g_full_info.store(FullInfoSupport::yes, std::memory_order_relaxed);
      return *status;
    }
    const bool not_mptcp_answer = err == EOPNOTSUPP || err == ENOPROTOOPT;
    if (not_mptcp_answer && g_full_info.load(std::memory_order_relaxed) == FullInfoSupport::yes) {
      MptcpStatus status;
      status.verdict = not_mptcp(fd);
      return status;
    }
    if (!not_mptcp_answer && err != EINVAL) {
      MptcpStatus status;
      status.verdict = Verdict::error;
      status.error_number = err;
      return status;
    }
    MptcpStatus status = read_with_three_calls(fd, peer);
    // An MPTCP socket that refused MPTCP_FULL_INFO, and answered MPTCP_INFO:
    // the kernel predates the former.
    if (status.verdict == Verdict::mptcp || (status.verdict == Verdict::fallback && status.flags != 0)) {
      g_full_info.store(FullInfoSupport::no, std::memory_order_relaxed);
    }
    return status;
  }
  return read_with_three_calls(fd, peer);
}

}  // namespace observer::sockopt
