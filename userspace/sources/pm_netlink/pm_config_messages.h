#pragma once
// The in-kernel path manager's configuration as netlink bytes, without I/O:
// what `ip mptcp limits show` and `ip mptcp endpoint show` ask the
// "mptcp_pm" family, and the replies. Tested on hand-built fixtures.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/socket_address.h"

namespace observer::pm {

// The kernel's numbers, from include/uapi/linux/mptcp_pm.h (6.7+; before
// that include/uapi/linux/mptcp.h), checked against <linux/mptcp.h> by the
// unit test where Debian 12's header has them.
namespace config {
inline constexpr uint8_t kVersion = 1;            // MPTCP_PM_VER
inline constexpr uint8_t kCmdGetAddr = 3;         // MPTCP_PM_CMD_GET_ADDR
inline constexpr uint8_t kCmdGetLimits = 6;       // MPTCP_PM_CMD_GET_LIMITS
inline constexpr uint16_t kAttrAddr = 1;          // MPTCP_PM_ATTR_ADDR (nested)
inline constexpr uint16_t kAttrRcvAddAddrs = 2;   // MPTCP_PM_ATTR_RCV_ADD_ADDRS (u32): add_addr_accepted
inline constexpr uint16_t kAttrSubflows = 3;      // MPTCP_PM_ATTR_SUBFLOWS (u32)
inline constexpr uint16_t kAddrAttrFamily = 1;    // MPTCP_PM_ADDR_ATTR_FAMILY (u16)
inline constexpr uint16_t kAddrAttrId = 2;        // MPTCP_PM_ADDR_ATTR_ID (u8)
inline constexpr uint16_t kAddrAttrAddr4 = 3;     // MPTCP_PM_ADDR_ATTR_ADDR4 (struct in_addr)
inline constexpr uint16_t kAddrAttrAddr6 = 4;     // MPTCP_PM_ADDR_ATTR_ADDR6 (struct in6_addr)
inline constexpr uint16_t kAddrAttrPort = 5;      // MPTCP_PM_ADDR_ATTR_PORT (u16, host order)
inline constexpr uint16_t kAddrAttrFlags = 6;     // MPTCP_PM_ADDR_ATTR_FLAGS (u32)
inline constexpr uint16_t kAddrAttrIfIndex = 7;   // MPTCP_PM_ADDR_ATTR_IF_IDX (s32)
inline constexpr uint32_t kFlagSignal = 1u << 0;    // MPTCP_PM_ADDR_FLAG_SIGNAL
inline constexpr uint32_t kFlagSubflow = 1u << 1;   // MPTCP_PM_ADDR_FLAG_SUBFLOW
inline constexpr uint32_t kFlagBackup = 1u << 2;    // MPTCP_PM_ADDR_FLAG_BACKUP
inline constexpr uint32_t kFlagFullmesh = 1u << 3;  // MPTCP_PM_ADDR_FLAG_FULLMESH
inline constexpr uint32_t kFlagImplicit = 1u << 4;  // MPTCP_PM_ADDR_FLAG_IMPLICIT (5.18)
inline constexpr uint32_t kFlagLaminar = 1u << 5;   // MPTCP_PM_ADDR_FLAG_LAMINAR (6.18)
}  // namespace config

// `ip mptcp limits`: per connection, the additional subflows this host
// accepts or opens, and the peer's announced addresses it uses.
struct PmLimits {
  uint32_t subflows = 0;
  uint32_t add_addr_accepted = 0;
};

// One `ip mptcp endpoint`: "10.0.2.2 id 1 subflow dev c2".
struct Endpoint {
  uint8_t id = 0;
  SocketAddress address;  // its port is the endpoint's, 0 when it has none
  uint32_t flags = 0;     // config::kFlag*
  int ifindex = 0;        // `dev`; 0 when none was given
};

// `ip mptcp endpoint`, counted by flag: an endpoint has several flags at
// once (subflow backup), so the flags' counts may add up to more than all.
struct EndpointCounts {
  uint32_t all = 0;
  uint32_t signal = 0, subflow = 0, backup = 0, fullmesh = 0, implicit = 0, laminar = 0;
};

std::vector<uint8_t> get_limits_request(uint16_t family_id, uint32_t seq);
std::vector<uint8_t> get_endpoints_request(uint16_t family_id, uint32_t seq);  // a dump

struct LimitsReply {
  std::optional<PmLimits> limits;
  int kernel_errno = 0;  // the kernel said no
  std::string error;     // the reply did not parse (set when neither of the above)
};
LimitsReply parse_limits_reply(std::span<const uint8_t> datagram, uint16_t family_id);

EndpointCounts count_by_flag(std::span<const Endpoint> endpoints);

// One datagram of the endpoint dump, its endpoints added to `endpoints`.
struct DumpStep {
  bool done = false;     // NLMSG_DONE: the dump is complete
  int kernel_errno = 0;  // the kernel said no (or ended the dump with an error)
  bool malformed = false;
};
DumpStep add_endpoints(std::span<const uint8_t> datagram, uint16_t family_id, std::vector<Endpoint> &endpoints);

}  // namespace observer::pm
