#include "sources/pm_netlink/pm_config_messages.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <arpa/inet.h>

#include <array>
#include <cstring>

#include "common/netlink_walk.h"

namespace observer::pm {
namespace {
using netlink::Bytes;

// A request with a genl header and no attributes: both questions need none.
std::vector<uint8_t> request(uint16_t family_id, uint8_t cmd, uint16_t flags, uint32_t seq) {
  std::vector<uint8_t> out(NLMSG_HDRLEN + GENL_HDRLEN, 0);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(out.size());
  h.nlmsg_type = family_id;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = seq;
  genlmsghdr g{};
  g.cmd = cmd;
  g.version = config::kVersion;
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + NLMSG_HDRLEN, &g, sizeof g);
  return out;
}
}  // namespace

std::vector<uint8_t> get_limits_request(uint16_t family_id, uint32_t seq) {
  return request(family_id, config::kCmdGetLimits, NLM_F_REQUEST, seq);
}

std::vector<uint8_t> get_endpoints_request(uint16_t family_id, uint32_t seq) {
  return request(family_id, config::kCmdGetAddr, NLM_F_REQUEST | NLM_F_DUMP, seq);
}

LimitsReply parse_limits_reply(std::span<const uint8_t> datagram, uint16_t family_id) {
  LimitsReply reply;
  bool malformed = false;
  const bool whole = netlink::for_each_message(datagram, [&](const nlmsghdr &h, Bytes payload) {
    if (h.nlmsg_type == NLMSG_ERROR) {
      const auto error = netlink::error_of(payload);
      if (!error) malformed = true;
      else reply.kernel_errno = *error;
      return false;
    }
    if (h.nlmsg_type != family_id) return true;
    if (payload.size() < GENL_HDRLEN) {
      malformed = true;
      return false;
    }
    std::optional<uint32_t> subflows, accepted;
    const bool ok = netlink::for_each_attribute(payload.subspan(GENL_HDRLEN), [&](uint16_t kind, Bytes p) {
      if (kind == config::kAttrSubflows) return netlink::read_into(p, subflows);
      if (kind == config::kAttrRcvAddAddrs) return netlink::read_into(p, accepted);
      return true;  // an attribute of a newer kernel
    });
    if (!ok || !subflows || !accepted) {
      malformed = true;
      return false;
    }
    reply.limits = PmLimits{*subflows, *accepted};
    return false;
  });
  if (!reply.limits && reply.kernel_errno == 0) {
    reply.error = (!whole || malformed) ? "malformed reply to MPTCP_PM_CMD_GET_LIMITS"
                                        : "no limits in the reply to MPTCP_PM_CMD_GET_LIMITS";
  }
  return reply;
}

EndpointCounts count_by_flag(std::span<const Endpoint> endpoints) {
  EndpointCounts counts;
  for (const auto &e : endpoints) {
    ++counts.all;
    counts.signal += (e.flags & config::kFlagSignal) != 0;
    counts.subflow += (e.flags & config::kFlagSubflow) != 0;
    counts.backup += (e.flags & config::kFlagBackup) != 0;
    counts.fullmesh += (e.flags & config::kFlagFullmesh) != 0;
    counts.implicit += (e.flags & config::kFlagImplicit) != 0;
    counts.laminar += (e.flags & config::kFlagLaminar) != 0;
  }
  return counts;
}

DumpStep add_endpoints(std::span<const uint8_t> datagram, uint16_t family_id, std::vector<Endpoint> &endpoints) {
  DumpStep step;
  const bool whole = netlink::for_each_message(datagram, [&](const nlmsghdr &h, Bytes payload) {
    if (h.nlmsg_type == NLMSG_DONE) {
      // A dump may end with an error in place of the usual 0.
      if (const auto error = netlink::error_of(payload); error && *error != 0) step.kernel_errno = *error;
      step.done = true;
      return false;
    }
    if (h.nlmsg_type == NLMSG_ERROR) {
      const auto error = netlink::error_of(payload);
      if (!error) step.malformed = true;
      else step.kernel_errno = *error;
      step.done = true;
      return false;
    }
    if (h.nlmsg_type != family_id) return true;
    if (payload.size() < GENL_HDRLEN) {
      step.malformed = true;
      return true;
    }
    std::optional<uint32_t> flags;
    std::optional<uint8_t> id;
    std::optional<uint16_t> port;
    std::optional<int32_t> ifindex;
    std::optional<std::array<uint8_t, 4>> v4;
    std::optional<std::array<uint8_t, 16>> v6;
    bool endpoint = false;
    const bool ok = netlink::for_each_attribute(payload.subspan(GENL_HDRLEN), [&](uint16_t kind, Bytes p) {
      if (kind != config::kAttrAddr) return true;
      endpoint = true;
      return netlink::for_each_attribute(p, [&](uint16_t field, Bytes v) {
        switch (field) {
          case config::kAddrAttrFlags: return netlink::read_into(v, flags);
          case config::kAddrAttrId: return netlink::read_into(v, id);
          case config::kAddrAttrPort: return netlink::read_into(v, port);
          case config::kAddrAttrIfIndex: return netlink::read_into(v, ifindex);
          case config::kAddrAttrAddr4: return netlink::read_into(v, v4);
          case config::kAddrAttrAddr6: return netlink::read_into(v, v6);
          default: return true;  // family, and what newer kernels add
        }
      });
    });
    if (!ok || !endpoint) {
      step.malformed = true;
      return true;
    }
    Endpoint e;
    e.id = id.value_or(0);
    e.flags = flags.value_or(0);  // an endpoint without flags has none set
    e.ifindex = ifindex.value_or(0);
    const uint16_t port_be = htons(port.value_or(0));
    if (v4) e.address = SocketAddress::from_bytes(AF_INET, v4->data(), port_be);
    else if (v6) e.address = SocketAddress::from_bytes(AF_INET6, v6->data(), port_be);
    endpoints.push_back(e);
    return true;
  });
  if (!whole) step.malformed = true;
  return step;
}

}  // namespace observer::pm
