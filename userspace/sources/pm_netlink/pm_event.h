#pragma once
// One event of the MPTCP path manager, as `ip mptcp monitor` prints it: the
// generic netlink family "mptcp_pm" multicasts them to the group
// "mptcp_pm_events" of each network namespace. It knows what neither BPF nor
// sock_diag sees: ADD_ADDR received (announced), RM_ADDR (removed), MP_PRIO
// (subflow_priority), and why a subflow closed.
#include <cstdint>
#include <optional>

#include "common/socket_address.h"

namespace observer::pm {

// The kernel's numbers, from include/uapi/linux/mptcp_pm.h (6.7+; before
// that include/uapi/linux/mptcp.h). Defined here because Debian 12's
// linux-libc-dev (6.1) lacks the listener events (6.2) and the
// mptcp_pm.h header; the unit test checks them against <linux/mptcp.h>
// for every value it does have.
inline constexpr const char *kFamilyName = "mptcp_pm";        // MPTCP_PM_NAME
inline constexpr const char *kEventsGroup = "mptcp_pm_events";  // MPTCP_PM_EV_GRP_NAME

// enum mptcp_event_type: the genlmsghdr cmd of each event message.
enum class PathManagerEventType : uint8_t {
  created = 1,               // MPTCP_EVENT_CREATED: the initial subflow's SYN exchange began
  established = 2,           // MPTCP_EVENT_ESTABLISHED: the connection may open more subflows
  closed = 3,                // MPTCP_EVENT_CLOSED
  announced = 6,             // MPTCP_EVENT_ANNOUNCED: ADD_ADDR received from the peer
  removed = 7,               // MPTCP_EVENT_REMOVED: RM_ADDR received from the peer
  subflow_established = 10,  // MPTCP_EVENT_SUB_ESTABLISHED: an MP_JOIN subflow (never the initial one)
  subflow_closed = 11,       // MPTCP_EVENT_SUB_CLOSED
  subflow_priority = 13,     // MPTCP_EVENT_SUB_PRIORITY: MP_PRIO changed a subflow's backup flag
  listener_created = 15,     // MPTCP_EVENT_LISTENER_CREATED (6.2)
  listener_closed = 16,      // MPTCP_EVENT_LISTENER_CLOSED (6.2)
};

// snake_case, as the event stream names them.
inline const char *pm_event_type_name(PathManagerEventType type) {
  switch (type) {
    case PathManagerEventType::created: return "created";
    case PathManagerEventType::established: return "established";
    case PathManagerEventType::closed: return "closed";
    case PathManagerEventType::announced: return "announced";
    case PathManagerEventType::removed: return "removed";
    case PathManagerEventType::subflow_established: return "subflow_established";
    case PathManagerEventType::subflow_closed: return "subflow_closed";
    case PathManagerEventType::subflow_priority: return "subflow_priority";
    case PathManagerEventType::listener_created: return "listener_created";
    case PathManagerEventType::listener_closed: return "listener_closed";
  }
  return "unknown";
}

// The type for a genl cmd number, or nullopt for numbers we do not know
// (4, 5, 8, 9, 12 and 14 are unused; newer kernels may add more).
inline std::optional<PathManagerEventType> pm_event_type_from(uint8_t cmd) {
  switch (cmd) {
    case 1: case 2: case 3: case 6: case 7: case 10: case 11: case 13: case 15: case 16:
      return static_cast<PathManagerEventType>(cmd);
    default: return std::nullopt;
  }
}

// enum mptcp_event_attr: attribute numbers in event messages.
namespace attr {
inline constexpr uint16_t kToken = 1;         // u32
inline constexpr uint16_t kFamily = 2;        // u16, AF_INET or AF_INET6
inline constexpr uint16_t kLocalId = 3;       // u8
inline constexpr uint16_t kRemoteId = 4;      // u8
inline constexpr uint16_t kSaddr4 = 5;        // be32
inline constexpr uint16_t kSaddr6 = 6;        // struct in6_addr
inline constexpr uint16_t kDaddr4 = 7;        // be32
inline constexpr uint16_t kDaddr6 = 8;        // struct in6_addr
inline constexpr uint16_t kSport = 9;         // be16
inline constexpr uint16_t kDport = 10;        // be16
inline constexpr uint16_t kBackup = 11;       // u8
inline constexpr uint16_t kError = 12;        // u8
inline constexpr uint16_t kFlags = 13;        // u16, kFlag* below
inline constexpr uint16_t kTimeout = 14;      // u32 (commands only)
inline constexpr uint16_t kIfIndex = 15;      // s32
inline constexpr uint16_t kResetReason = 16;  // u32
inline constexpr uint16_t kResetFlags = 17;   // u32
inline constexpr uint16_t kServerSide = 18;   // u8 (5.19; deprecated in favour of kFlagServerSide)
}  // namespace attr

// Bits of attr::kFlags (MPTCP_PM_EV_FLAG_*).
inline constexpr uint16_t kFlagDenyJoinId0 = 1u << 0;  // the peer refuses joins to its address id 0
inline constexpr uint16_t kFlagServerSide = 1u << 1;   // this end accepted the connection

// Attributes the kernel may leave out are optional. Addresses keep their
// ports in network byte order, as in a sockaddr.
struct PathManagerEvent {
  PathManagerEventType type = PathManagerEventType::created;
  uint32_t netns = 0;         // inode of the namespace it came from (set by the source)
  uint64_t timestamp_ns = 0;  // CLOCK_MONOTONIC when the daemon read it (set by the source)
  std::optional<uint32_t> token;     // every connection event; none on listener events
  std::optional<uint16_t> family;    // the FAMILY attribute; ANNOUNCED has none
  std::optional<uint8_t> local_id;   // subflow events
  std::optional<uint8_t> remote_id;  // subflow events, ANNOUNCED and REMOVED
  std::optional<SocketAddress> local;   // SADDR4|6 with SPORT
  std::optional<SocketAddress> remote;  // DADDR4|6 with DPORT: for ANNOUNCED, the announced address
  std::optional<bool> backup;        // subflow events: the subflow's backup flag (after MP_PRIO for subflow_priority)
  std::optional<uint8_t> error;      // the subflow's socket error (errno), when it had one
  std::optional<uint16_t> flags;     // kFlag* bits
  std::optional<int32_t> ifindex;    // when the subflow is bound to a device
  std::optional<uint32_t> reset_reason;  // SUB_CLOSED after an MP_RST: its reason code (RFC 8684 3.6)
  std::optional<uint32_t> reset_flags;   // SUB_CLOSED after an MP_RST: its flags (bit 0: transient)
  // CREATED/ESTABLISHED: this end accepted the connection. Kernels from
  // 5.19 sent SERVER_SIDE as 0 or 1; recent ones send it, and the flag
  // bit, only on the server side, so absent means the client side.
  bool server_side = false;
};

}  // namespace observer::pm
