#pragma once
// What getsockopt on one accepted socket tells about its MPTCP connection.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/mptcp_terms.h"
#include "common/socket_address.h"

namespace observer {

enum class Verdict {
  mptcp,      // MPTCP in use
  fallback,   // MPTCP was negotiated or attempted, then the connection fell back to TCP
  plain_tcp,  // the client did not ask for MPTCP, or the option was stripped on the path
  error,      // the kernel refused to say (errno in MptcpStatus::error_number)
};
const char *verdict_name(Verdict v);

// The figures from a subflow's struct tcp_info that users ask about.
struct TcpFigures {
  uint32_t rtt_us = 0;
  uint32_t rttvar_us = 0;
  uint32_t snd_cwnd = 0;
  uint32_t total_retrans = 0;
  std::optional<uint64_t> bytes_sent;      // 4.19+
  std::optional<uint64_t> bytes_received;  // 4.6+
  std::optional<uint64_t> bytes_acked;
};

struct SubflowStatus {
  std::optional<uint32_t> id;  // the kernel's subflow id (6.5+); the initial subflow is 1
  SocketAddress local;   // the server's end (this daemon's side)
  SocketAddress remote;  // the client's end
  SubflowKind kind = SubflowKind::join;
  std::optional<TcpFigures> tcp;
  // The MP_CAPABLE or MP_JOIN handshake time, when BPF tracing saw it.
  std::optional<uint64_t> handshake_us;
  // Whether the client made it a backup subflow (the B bit of its MP_JOIN,
  // or a later MP_PRIO), when tracing or a sock_diag snapshot told; getsockopt
  // does not say.
  std::optional<bool> backup;
};

struct MptcpStatus {
  Verdict verdict = Verdict::error;
  int error_number = 0;
  uint32_t token = 0;
  uint32_t flags = 0;          // mptcpi_flags (abi::kMptcpInfoFlag*)
  uint8_t extra_subflows = 0;  // mptcpi_subflows: joins the kernel counts
  // The in-kernel path manager's limits and counts for this connection; all
  // zero under the userspace path manager, which has no such limits.
  uint8_t subflows_max = 0;         // the namespace's subflow limit, as the kernel applies it
  uint8_t add_addr_signal = 0;      // addresses this server announced (ADD_ADDR) to the client
  uint8_t add_addr_signal_max = 0;  // addresses it may announce: its `signal` endpoints
  uint8_t add_addr_accepted = 0;    // the client's announcements this server used
  std::vector<SubflowStatus> subflows;

  bool uses_mptcp() const { return verdict == Verdict::mptcp; }
  // The server holds the client's key: the MP_CAPABLE handshake completed
  // (MPTCP_INFO_FLAG_REMOTE_KEY_RECEIVED, bit 1 of mptcpi_flags).
  bool remote_key_received() const { return (flags & (1u << 1)) != 0; }
};

}  // namespace observer
