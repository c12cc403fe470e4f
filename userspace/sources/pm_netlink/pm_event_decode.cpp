#include "sources/pm_netlink/pm_event_decode.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>

#include <cstring>
#include <string_view>

#include "common/netlink_error.h"

namespace observer::pm {
namespace {
using Bytes = std::span<const uint8_t>;

// Calls f(type, payload) for each attribute in `area`. Returns false, and
// stops, at the first attribute whose length is impossible (shorter than its
// header or reaching past `area`) or that f rejects. Fewer bytes than an
// attribute header at the end are padding.
template <typename F>
bool for_each_attribute(Bytes area, F &&f) {
  while (area.size() >= NLA_HDRLEN) {
    nlattr a;
    std::memcpy(&a, area.data(), sizeof a);
    if (a.nla_len < NLA_HDRLEN || a.nla_len > area.size()) return false;
    if (!f(static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK), area.subspan(NLA_HDRLEN, a.nla_len - NLA_HDRLEN))) {
      return false;
    }
    const size_t step = NLA_ALIGN(a.nla_len);
    if (step >= area.size()) break;
    area = area.subspan(step);
  }
  return true;
}

// Calls f(header, payload) for each netlink message of a datagram, the
// payload being what follows the header within nlmsg_len. Returns false
// when the datagram ends inside a message (a truncated or lying header):
// nothing after that point can be located.
template <typename F>
bool for_each_message(Bytes datagram, F &&f) {
  while (!datagram.empty()) {
    if (datagram.size() < sizeof(nlmsghdr)) return false;
    nlmsghdr h;
    std::memcpy(&h, datagram.data(), sizeof h);
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > datagram.size()) return false;
    if (!f(h, datagram.subspan(NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN))) return true;  // f said: stop here
    const size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step >= datagram.size()) break;
    datagram = datagram.subspan(step);
  }
  return true;
}

// The kernel sizes every fixed attribute exactly (nla_put_u8, _u16, ...);
// anything else is not what the kernel sent.
template <typename T>
bool read_exact(Bytes payload, T &out) {
  if (payload.size() != sizeof(T)) return false;
  std::memcpy(&out, payload.data(), sizeof(T));
  return true;
}
template <typename T>
bool read_into(Bytes payload, std::optional<T> &out) {
  T value;
  if (!read_exact(payload, value)) return false;
  out = value;
  return true;
}

// A NUL-terminated string attribute, bounded by its payload.
std::string_view string_of(Bytes payload) {
  const auto *text = reinterpret_cast<const char *>(payload.data());
  return std::string_view(text, strnlen(text, payload.size()));
}

// The errno an NLMSG_ERROR carries (0 for an acknowledgement), or nullopt
// when the message is too short to hold one or holds no errno.
std::optional<int> error_of(Bytes payload) {
  int error = 0;  // nlmsgerr.error: a negative errno
  if (payload.size() < sizeof error) return std::nullopt;
  std::memcpy(&error, payload.data(), sizeof error);
  return netlink_errno(error);
}

// One side of a subflow as the attributes give it: an IPv4 or an IPv6
// address (never both) and a port, still in network byte order.
struct SideAttributes {
  bool has4 = false, has6 = false;
  uint8_t addr4[4]{};
  uint8_t addr6[16]{};
  uint16_t port_be = 0;

  bool set4(Bytes p) {
    if (p.size() != sizeof addr4) return false;
    std::memcpy(addr4, p.data(), sizeof addr4);
    return has4 = true;
  }
  bool set6(Bytes p) {
    if (p.size() != sizeof addr6) return false;
    std::memcpy(addr6, p.data(), sizeof addr6);
    return has6 = true;
  }
  bool set_port(Bytes p) { return read_exact(p, port_be); }
  bool consistent() const { return !(has4 && has6); }
  std::optional<SocketAddress> address() const {
    if (has4) return SocketAddress::from_bytes(AF_INET, addr4, port_be);
    if (has6) return SocketAddress::from_bytes(AF_INET6, addr6, port_be);
    return std::nullopt;
  }
};

bool is_listener_event(PathManagerEventType type) {
  return type == PathManagerEventType::listener_created || type == PathManagerEventType::listener_closed;
}

// One event's attributes (after the genlmsghdr); nullopt when malformed.
std::optional<PathManagerEvent> decode_event(PathManagerEventType type, Bytes attributes) {
  PathManagerEvent e;
  e.type = type;
  SideAttributes source, destination;
  std::optional<uint8_t> backup, server_side;
  const bool well_formed = for_each_attribute(attributes, [&](uint16_t kind, Bytes p) {
    switch (kind) {
      case attr::kToken: return read_into(p, e.token);
      case attr::kFamily: return read_into(p, e.family);
      case attr::kLocalId: return read_into(p, e.local_id);
      case attr::kRemoteId: return read_into(p, e.remote_id);
      case attr::kSaddr4: return source.set4(p);
      case attr::kSaddr6: return source.set6(p);
      case attr::kDaddr4: return destination.set4(p);
      case attr::kDaddr6: return destination.set6(p);
      case attr::kSport: return source.set_port(p);
      case attr::kDport: return destination.set_port(p);
      case attr::kBackup: return read_into(p, backup);
      case attr::kError: return read_into(p, e.error);
      case attr::kFlags: return read_into(p, e.flags);
      case attr::kIfIndex: return read_into(p, e.ifindex);
      case attr::kResetReason: return read_into(p, e.reset_reason);
      case attr::kResetFlags: return read_into(p, e.reset_flags);
      case attr::kServerSide: return read_into(p, server_side);
      default: return true;  // an attribute of a newer kernel, or one events do not use
    }
  });
  if (!well_formed || !source.consistent() || !destination.consistent()) return std::nullopt;
  e.local = source.address();
  e.remote = destination.address();
  // Every connection event names its connection; without a token it says nothing.
  if (!is_listener_event(type) && !e.token) return std::nullopt;
  if (backup) e.backup = *backup != 0;
  e.server_side = (server_side && *server_side != 0) || (e.flags && (*e.flags & kFlagServerSide));
  return e;
}
}  // namespace

std::vector<uint8_t> family_request(uint32_t seq) {
  const size_t name_size = std::strlen(kFamilyName) + 1;  // the controller wants the NUL
  const size_t attr_len = NLA_HDRLEN + name_size;
  const size_t total = NLMSG_HDRLEN + GENL_HDRLEN + NLA_ALIGN(attr_len);
  std::vector<uint8_t> out(total, 0);
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(total);
  h.nlmsg_type = GENL_ID_CTRL;
  h.nlmsg_flags = NLM_F_REQUEST;
  h.nlmsg_seq = seq;
  genlmsghdr g{};
  g.cmd = CTRL_CMD_GETFAMILY;
  g.version = 1;
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(attr_len);
  a.nla_type = CTRL_ATTR_FAMILY_NAME;
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + NLMSG_HDRLEN, &g, sizeof g);
  std::memcpy(out.data() + NLMSG_HDRLEN + GENL_HDRLEN, &a, sizeof a);
  std::memcpy(out.data() + NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, kFamilyName, name_size);
  return out;
}

FamilyReply parse_family_reply(std::span<const uint8_t> datagram) {
  FamilyReply reply;
  bool malformed = false;
  const bool whole = for_each_message(datagram, [&](const nlmsghdr &h, Bytes payload) {
    if (h.nlmsg_type == NLMSG_ERROR) {
      const auto error = error_of(payload);
      if (!error) malformed = true;
      else if (*error != 0) reply.kernel_errno = *error;
      return !malformed && reply.kernel_errno == 0;
    }
    if (h.nlmsg_type != GENL_ID_CTRL) return true;
    if (payload.size() < GENL_HDRLEN) {
      malformed = true;
      return false;
    }
    std::optional<uint16_t> id;
    std::string_view name;
    std::optional<uint32_t> group;
    const bool ok = for_each_attribute(payload.subspan(GENL_HDRLEN), [&](uint16_t kind, Bytes p) {
      if (kind == CTRL_ATTR_FAMILY_ID) return read_into(p, id);
      if (kind == CTRL_ATTR_FAMILY_NAME) {
        name = string_of(p);
        return true;
      }
      if (kind != CTRL_ATTR_MCAST_GROUPS) return true;
      // A list of nested groups, each {CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID}.
      return for_each_attribute(p, [&](uint16_t, Bytes entry) {
        std::string_view group_name;
        std::optional<uint32_t> group_id;
        const bool entry_ok = for_each_attribute(entry, [&](uint16_t field, Bytes v) {
          if (field == CTRL_ATTR_MCAST_GRP_NAME) group_name = string_of(v);
          else if (field == CTRL_ATTR_MCAST_GRP_ID) return read_into(v, group_id);
          return true;
        });
        if (entry_ok && group_id && group_name == kEventsGroup) group = group_id;
        return entry_ok;
      });
    });
    if (!ok || !id) {
      malformed = true;
      return false;
    }
    if (name != kFamilyName) return true;  // another family's description: not ours
    reply.family = PmFamily{*id, group};
    return false;
  });
  if (!reply.family && reply.kernel_errno == 0) {
    reply.error = (!whole || malformed) ? "malformed reply from the generic netlink controller"
                                        : "the generic netlink controller did not describe mptcp_pm";
  }
  return reply;
}

DecodedDatagram decode_pm_events(std::span<const uint8_t> datagram, uint16_t family_id) {
  DecodedDatagram out;
  const bool whole = for_each_message(datagram, [&](const nlmsghdr &h, Bytes payload) {
    if (h.nlmsg_type == NLMSG_DONE) return false;
    if (h.nlmsg_type == NLMSG_ERROR) {
      const auto error = error_of(payload);
      if (!error) ++out.malformed;
      else if (*error != 0) out.kernel_errno = *error;
      return true;
    }
    if (h.nlmsg_type != family_id) {
      ++out.ignored;
      return true;
    }
    if (payload.size() < GENL_HDRLEN) {
      ++out.malformed;
      return true;
    }
    genlmsghdr g;
    std::memcpy(&g, payload.data(), sizeof g);
    const auto type = pm_event_type_from(g.cmd);
    if (!type) {
      ++out.unknown;
      return true;
    }
    if (auto event = decode_event(*type, payload.subspan(GENL_HDRLEN))) {
      out.events.push_back(std::move(*event));
    } else {
      ++out.malformed;
    }
    return true;
  });
  if (!whole) ++out.malformed;
  return out;
}

}  // namespace observer::pm
