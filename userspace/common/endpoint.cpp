#include "common/endpoint.h"

#include <arpa/inet.h>

#include <cstring>

namespace observer {

Endpoint Endpoint::from(const SocketAddress &a) {
  Endpoint e;
  if (a.family() == AF_INET) {
    const auto *in = reinterpret_cast<const sockaddr_in *>(&a.storage);
    e.family = AF_INET;
    std::memcpy(e.address.data(), &in->sin_addr, 4);
    e.port = ntohs(in->sin_port);
  } else if (a.family() == AF_INET6) {
    const auto *in6 = reinterpret_cast<const sockaddr_in6 *>(&a.storage);
    e.port = ntohs(in6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      e.family = AF_INET;
      std::memcpy(e.address.data(), &in6->sin6_addr.s6_addr[12], 4);
    } else {
      e.family = AF_INET6;
      std::memcpy(e.address.data(), &in6->sin6_addr, 16);
    }
  }
  return e;
}

SocketAddress Endpoint::to_socket_address() const {
  if (family != AF_INET && family != AF_INET6) return {};
  return SocketAddress::from_bytes(family, address.data(), htons(port));
}

std::string Endpoint::to_string() const {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (family == AF_INET) {
    inet_ntop(AF_INET, address.data(), buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port);
  }
  if (family == AF_INET6) {
    inet_ntop(AF_INET6, address.data(), buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(port);
  }
  return "?:" + std::to_string(port);
}

}  // namespace observer
