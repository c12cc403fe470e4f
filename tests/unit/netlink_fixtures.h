#pragma once
// Netlink messages built by hand, the way the kernel lays them out, for the
// tests of every netlink decoder (sock_diag, path-manager events).
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <vector>

namespace observer::test {

using Bytes = std::vector<uint8_t>;

inline Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto &p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// One attribute, padded to 4 bytes as nla_put pads it.
inline Bytes attr(uint16_t type, const void *payload, size_t len) {
  nlattr a{};
  a.nla_len = static_cast<uint16_t>(NLA_HDRLEN + len);
  a.nla_type = type;
  Bytes out(NLA_ALIGN(a.nla_len), 0);
  std::memcpy(out.data(), &a, sizeof a);
  if (len) std::memcpy(out.data() + NLA_HDRLEN, payload, len);
  return out;
}
inline Bytes attr(uint16_t type, const Bytes &payload) { return attr(type, payload.data(), payload.size()); }
template <typename T>
Bytes attr_value(uint16_t type, T value) {
  return attr(type, &value, sizeof value);
}

// An NLMSG_ERROR message whose nlmsgerr.error is `value`, as written.
inline Bytes netlink_error_value(int value) {
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_LENGTH(sizeof(nlmsgerr));
  h.nlmsg_type = NLMSG_ERROR;
  nlmsgerr e{};
  e.error = value;
  Bytes out(h.nlmsg_len, 0);
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + NLMSG_HDRLEN, &e, sizeof e);
  return out;
}
// An NLMSG_ERROR message carrying -err, as the kernel answers a failed request.
inline Bytes netlink_error(int err) { return netlink_error_value(-err); }

// A generic netlink message: nlmsghdr, genlmsghdr, attributes.
inline Bytes genl(uint16_t family, uint8_t cmd, const Bytes &attrs, uint16_t flags = 0) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(NLMSG_HDRLEN + GENL_HDRLEN + attrs.size());
  h.nlmsg_type = family;
  h.nlmsg_flags = flags;
  genlmsghdr g{};
  g.cmd = cmd;
  g.version = 1;
  Bytes out(NLMSG_ALIGN(h.nlmsg_len), 0);
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + NLMSG_HDRLEN, &g, sizeof g);
  if (!attrs.empty()) std::memcpy(out.data() + NLMSG_HDRLEN + GENL_HDRLEN, attrs.data(), attrs.size());
  return out;
}

// The message that ends a dump, carrying `err` (0 when all went well).
inline Bytes netlink_done(int err = 0) {
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_LENGTH(sizeof(int));
  h.nlmsg_type = NLMSG_DONE;
  h.nlmsg_flags = NLM_F_MULTI;
  Bytes out(h.nlmsg_len, 0);
  std::memcpy(out.data(), &h, sizeof h);
  const int negative = -err;
  std::memcpy(out.data() + NLMSG_HDRLEN, &negative, sizeof negative);
  return out;
}

}  // namespace observer::test
