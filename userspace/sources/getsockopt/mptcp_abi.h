#pragma once
// The kernel's getsockopt(SOL_MPTCP) ABI, as far as we use it. Debian 12's
// linux-libc-dev (6.1) lacks the fields added since, so the grown struct
// mptcp_info is spelled out here; the kernel copies min(optlen, its size)
// and returns the copied length, which tells which fields are real.
#include <linux/mptcp.h>

#include <cstddef>
#include <cstdint>

namespace observer::abi {

inline constexpr int kIpprotoMptcp = 262;
inline constexpr int kSolMptcp = 284;
inline constexpr int kMptcpInfo = 1;
inline constexpr int kMptcpTcpInfo = 2;
inline constexpr int kMptcpSubflowAddrs = 3;
inline constexpr int kMptcpFullInfo = 4;  // 6.5

inline constexpr uint32_t kMptcpInfoFlagFallback = 1u << 0;
inline constexpr uint32_t kMptcpInfoFlagRemoteKeyReceived = 1u << 1;

struct mptcp_info {
  uint8_t subflows;  // additional subflows only: the initial one is not counted
  uint8_t add_addr_signal;
  uint8_t add_addr_accepted;
  uint8_t subflows_max;
  uint8_t add_addr_signal_max;
  uint8_t add_addr_accepted_max;
  uint32_t flags;
  uint32_t token;
  uint64_t write_seq;
  uint64_t snd_una;
  uint64_t rcv_nxt;
  uint8_t local_addr_used;  // 5.12
  uint8_t local_addr_max;   // 5.12
  uint8_t csum_enabled;     // 5.14
  uint32_t retransmits;     // 6.5
  uint64_t bytes_retrans;   // 6.5
  uint64_t bytes_sent;      // 6.5
  uint64_t bytes_received;  // 6.5
  uint64_t bytes_acked;     // 6.5
  uint8_t subflows_total;   // 6.8: includes the initial subflow
  uint8_t reserved[3];
  uint32_t last_data_sent;  // 6.10
  uint32_t last_data_recv;  // 6.10
  uint32_t last_ack_recv;   // 6.10
};
static_assert(offsetof(mptcp_info, flags) == 8);
static_assert(offsetof(mptcp_info, token) == 12);
static_assert(offsetof(mptcp_info, local_addr_used) == 40);
static_assert(offsetof(mptcp_info, csum_enabled) == 42);
static_assert(offsetof(mptcp_info, retransmits) == 44);
static_assert(offsetof(mptcp_info, bytes_acked) == 72);
static_assert(offsetof(mptcp_info, subflows_total) == 80);
static_assert(offsetof(mptcp_info, last_ack_recv) == 92);
static_assert(sizeof(mptcp_info) == 96);

// Header of MPTCP_TCPINFO and MPTCP_SUBFLOW_ADDRS answers (5.16).
struct mptcp_subflow_data {
  uint32_t size_subflow_data;  // we set: sizeof this header
  uint32_t num_subflows;       // kernel sets: how many exist, even if not all fit
  uint32_t size_kernel;        // kernel sets: its element size
  uint32_t size_user;          // we set our element size; kernel returns the one it used
} __attribute__((aligned(8)));
static_assert(sizeof(mptcp_subflow_data) == 16);

// MPTCP_FULL_INFO (6.5): mptcp_info, and per subflow its id, addresses and
// tcp_info, from one snapshot under the socket lock. The two arrays live in
// our memory; the header says where, and how large our elements are.
struct mptcp_full_info_header {
  uint32_t size_tcpinfo_kernel;  // kernel sets
  uint32_t size_tcpinfo_user;    // we set; kernel returns min(ours, its)
  uint32_t size_sfinfo_kernel;   // kernel sets
  uint32_t size_sfinfo_user;     // we set; kernel returns min(ours, its)
  uint32_t num_subflows;         // kernel sets: how many exist, even if not all fit
  uint32_t size_arrays_user;     // we set: elements each array has room for
  uint64_t subflow_info;         // address of our mptcp_subflow_info array
  uint64_t tcp_info;             // address of our tcp_info array
};
static_assert(sizeof(mptcp_full_info_header) == 40);  // MIN_FULL_INFO_OPTLEN_SIZE

struct mptcp_full_info {
  mptcp_full_info_header header;
  mptcp_info info;  // the kernel copies min(what follows the header, its size)
};
static_assert(offsetof(mptcp_full_info, info) == 40);

struct mptcp_subflow_info {
  uint32_t id;  // stable for the connection's life; the initial subflow is 1
  ::mptcp_subflow_addrs addrs;
};
static_assert(offsetof(mptcp_subflow_info, addrs) == 8);

}  // namespace observer::abi
