#include "http/listen_socket.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "sources/getsockopt/mptcp_abi.h"

namespace observer::http {
namespace {
constexpr int kBacklog = 4096;

std::string describe_mptcp_error(int err) {
  switch (err) {
    case EPROTONOSUPPORT:
    case EINVAL: return "this kernel has no MPTCP support (CONFIG_MPTCP)";
    case ENOPROTOOPT: return "MPTCP is disabled (sysctl net.mptcp.enabled=0)";
    default: return std::string("MPTCP socket refused: ") + std::strerror(err);
  }
}
}  // namespace

std::optional<Listener> open_listener(const SocketAddress &address, bool want_mptcp,
                                      std::string &error) {
  Listener l;
  const int family = address.family();
  if (want_mptcp) {
    l.fd.reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, abi::kIpprotoMptcp));
    if (l.fd) {
      l.transport = Transport::mptcp;
    } else {
      l.fallback_reason = describe_mptcp_error(errno);
    }
  }
  if (!l.fd) {
    l.fd.reset(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP));
    if (!l.fd) {
      error = std::string("socket: ") + std::strerror(errno);
      return std::nullopt;
    }
  }
  const int one = 1, zero = 0;
  setsockopt(l.fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // "[::]" means both IPv4 and IPv6, whatever net.ipv6.bindv6only says.
  if (family == AF_INET6) setsockopt(l.fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (::bind(l.fd.get(), address.get(), address.length) != 0) {
    error = "cannot listen on " + format_endpoint(address) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (::listen(l.fd.get(), kBacklog) != 0) {
    error = "cannot listen on " + format_endpoint(address) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  getsockname(l.fd.get(), reinterpret_cast<sockaddr *>(&bound), &len);
  l.address = SocketAddress::from(reinterpret_cast<sockaddr *>(&bound), len);
  return l;
}

}  // namespace observer::http
