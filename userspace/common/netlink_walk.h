#pragma once
// Walking netlink datagrams and attributes without trusting them: every
// length is checked against the bytes there are, so decoders built on this
// are tested on hand-built fixtures and survive whatever a kernel (or a
// test) sends. Written once, for every netlink decoder of the tree.
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

#include "common/netlink_error.h"

namespace observer::netlink {

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
// nothing after that point can be located. f returns false to stop early.
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
inline std::string_view string_of(Bytes payload) {
  const auto *text = reinterpret_cast<const char *>(payload.data());
  return std::string_view(text, strnlen(text, payload.size()));
}

// The errno an NLMSG_ERROR carries (0 for an acknowledgement), or nullopt
// when the message is too short to hold one or holds no errno.
inline std::optional<int> error_of(Bytes payload) {
  int error = 0;  // nlmsgerr.error: a negative errno
  if (payload.size() < sizeof error) return std::nullopt;
  std::memcpy(&error, payload.data(), sizeof error);
  return netlink_errno(error);
}

}  // namespace observer::netlink
