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
  sockaddr_storage ss{};
  if (family == AF_INET) {
    auto *in = reinterpret_cast<sockaddr_in *>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, address.data(), 4);
    return SocketAddress::from(reinterpret_cast<sockaddr *>(&ss), sizeof(sockaddr_in));
  }
  if (family == AF_INET6) {
    auto *in6 = reinterpret_cast<sockaddr_in6 *>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, address.data(), 16);
    return SocketAddress::from(reinterpret_cast<sockaddr *>(&ss), sizeof(sockaddr_in6));
  }
  return {};
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
