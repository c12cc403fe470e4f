#include "commands/diagnose/route_lookup.h"

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/netlink_walk.h"
#include "common/unique_fd.h"

namespace observer::diagnose {
namespace {
// The address bytes of a sockaddr, as rtnetlink carries them.
std::span<const uint8_t> address_bytes(const SocketAddress &a) {
  if (a.family() == AF_INET) {
    const auto *in = reinterpret_cast<const sockaddr_in *>(a.get());
    return {reinterpret_cast<const uint8_t *>(&in->sin_addr), 4};
  }
  const auto *in6 = reinterpret_cast<const sockaddr_in6 *>(a.get());
  return {reinterpret_cast<const uint8_t *>(&in6->sin6_addr), 16};
}

void put_attribute(std::vector<uint8_t> &out, uint16_t type, std::span<const uint8_t> payload) {
  rtattr a{};
  a.rta_len = static_cast<unsigned short>(RTA_LENGTH(payload.size()));
  a.rta_type = type;
  const size_t at = out.size();
  out.resize(at + RTA_SPACE(payload.size()), 0);
  std::memcpy(out.data() + at, &a, sizeof a);
  std::memcpy(out.data() + at + RTA_LENGTH(0), payload.data(), payload.size());
}
}  // namespace

std::vector<uint8_t> route_request(const SocketAddress &destination, const SocketAddress &source, uint32_t seq) {
  std::vector<uint8_t> out(NLMSG_SPACE(sizeof(rtmsg)), 0);
  rtmsg r{};
  r.rtm_family = static_cast<unsigned char>(destination.family());
  r.rtm_dst_len = destination.family() == AF_INET ? 32 : 128;
  r.rtm_src_len = r.rtm_dst_len;
  std::memcpy(out.data() + NLMSG_HDRLEN, &r, sizeof r);
  put_attribute(out, RTA_DST, address_bytes(destination));
  put_attribute(out, RTA_SRC, address_bytes(source));
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(out.size());
  h.nlmsg_type = RTM_GETROUTE;
  h.nlmsg_flags = NLM_F_REQUEST;
  h.nlmsg_seq = seq;
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

RouteAnswer parse_route_reply(std::span<const uint8_t> datagram) {
  RouteAnswer answer;
  const bool whole = netlink::for_each_message(datagram, [&](const nlmsghdr &h, netlink::Bytes payload) {
    if (h.nlmsg_type == NLMSG_ERROR) {
      const auto error = netlink::error_of(payload);
      if (!error) answer.malformed = true;
      else answer.kernel_errno = *error;
      return false;
    }
    if (h.nlmsg_type != RTM_NEWROUTE) return true;
    if (payload.size() < NLMSG_ALIGN(sizeof(rtmsg))) {
      answer.malformed = true;
      return false;
    }
    std::optional<uint32_t> oif;
    const bool ok = netlink::for_each_attribute(payload.subspan(NLMSG_ALIGN(sizeof(rtmsg))), [&](uint16_t type, netlink::Bytes p) {
      return type == RTA_OIF ? netlink::read_into(p, oif) : true;
    });
    if (!ok) answer.malformed = true;
    else if (oif) answer.oif = static_cast<int>(*oif);
    return false;
  });
  if (!whole) answer.malformed = true;
  return answer;
}

RouteAnswer route_from(const SocketAddress &destination, const SocketAddress &source) {
  RouteAnswer answer;
  UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd) {
    answer.kernel_errno = errno;
    return answer;
  }
  timeval tv{2, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const auto request = route_request(destination, source, 1);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), request.data(), request.size(), 0, reinterpret_cast<sockaddr *>(&kernel), sizeof kernel) < 0) {
    answer.kernel_errno = errno;
    return answer;
  }
  std::vector<uint8_t> buffer(8192);
  const ssize_t n = recv(fd.get(), buffer.data(), buffer.size(), 0);
  if (n <= 0) {
    answer.kernel_errno = n < 0 ? errno : EIO;
    return answer;
  }
  return parse_route_reply(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)));
}

}  // namespace observer::diagnose
