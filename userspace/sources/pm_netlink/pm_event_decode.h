#pragma once
// Path-manager netlink as bytes, without I/O: the request that resolves the
// "mptcp_pm" family, its reply, and the event datagrams that follow. Every
// length is checked against the buffer; a message that does not hold
// together is counted and skipped, never trusted, so the same code is
// tested on hand-built fixtures without a kernel.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sources/pm_netlink/pm_event.h"

namespace observer::pm {

// CTRL_CMD_GETFAMILY for "mptcp_pm", to send to the generic netlink
// controller (GENL_ID_CTRL) on a NETLINK_GENERIC socket.
std::vector<uint8_t> family_request(uint32_t seq);

struct PmFamily {
  uint16_t id = 0;                       // nlmsg_type of the family's messages
  std::optional<uint32_t> events_group;  // multicast group id of "mptcp_pm_events"
};

struct FamilyReply {
  std::optional<PmFamily> family;  // the controller described "mptcp_pm"
  int kernel_errno = 0;            // the controller said no: ENOENT when the kernel has no such family
  std::string error;               // the reply did not parse (set when neither of the above)
};
FamilyReply parse_family_reply(std::span<const uint8_t> datagram);

struct DecodedDatagram {
  std::vector<PathManagerEvent> events;  // netns and timestamp_ns left for the caller
  uint32_t malformed = 0;  // messages dropped: truncated, bad lengths or sizes, no token
  uint32_t unknown = 0;    // well-formed events of a type we do not know (a newer kernel)
  uint32_t ignored = 0;    // messages of another family or netlink control messages
  int kernel_errno = 0;    // an NLMSG_ERROR carried this errno (not expected on a multicast socket)
};
// Decodes one datagram, which may hold several netlink messages, keeping the
// events of `family_id` (PmFamily::id).
DecodedDatagram decode_pm_events(std::span<const uint8_t> datagram, uint16_t family_id);

}  // namespace observer::pm
