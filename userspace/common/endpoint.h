#pragma once
// A compact IP endpoint (20 bytes) for the connection table, which holds
// tens of thousands of subflows: a sockaddr_storage would be 128 bytes each.
#include <array>
#include <cstdint>
#include <string>

#include "common/socket_address.h"

namespace observer {

struct Endpoint {
  std::array<uint8_t, 16> address{};  // IPv4 in the first 4 bytes
  uint16_t port = 0;
  uint8_t family = 0;  // AF_INET or AF_INET6; IPv4-mapped IPv6 is stored as AF_INET

  static Endpoint from(const SocketAddress &a);
  std::string to_string() const;  // "ip:port", IPv6 in brackets
  SocketAddress to_socket_address() const;  // empty when family is 0
  bool operator==(const Endpoint &) const = default;
};

}  // namespace observer
