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
};

struct MptcpStatus {
  Verdict verdict = Verdict::error;
  int error_number = 0;
  uint32_t token = 0;
  uint8_t extra_subflows = 0;  // mptcpi_subflows: joins the kernel counts
  uint8_t subflows_max = 0;    // the namespace's subflow limit, as the kernel applies it
  std::vector<SubflowStatus> subflows;

  bool uses_mptcp() const { return verdict == Verdict::mptcp; }
};

}  // namespace observer
