#include "common/socket_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace observer {

SocketAddress SocketAddress::from_bytes(int family, const void *address, uint16_t port_be) {
  SocketAddress a;
  if (family == AF_INET) {
    auto *in = reinterpret_cast<sockaddr_in *>(&a.storage);
    in->sin_family = AF_INET;
    in->sin_port = port_be;
    std::memcpy(&in->sin_addr, address, 4);
    a.length = sizeof(sockaddr_in);
  } else if (family == AF_INET6) {
    auto *in6 = reinterpret_cast<sockaddr_in6 *>(&a.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = port_be;
    std::memcpy(&in6->sin6_addr, address, 16);
    a.length = sizeof(sockaddr_in6);
  }
  return a;
}

SocketAddress SocketAddress::from(const sockaddr *sa, socklen_t len) {
  SocketAddress a;
  len = std::min<socklen_t>(len, sizeof a.storage);
  std::memcpy(&a.storage, sa, len);
  a.length = len;
  return a;
}

std::optional<SocketAddress> parse_socket_address(std::string_view text, std::string &error) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    error = "'" + std::string(text) + "' is not ADDR:PORT (for example [::]:8684 or 127.0.0.1:8685)";
    return std::nullopt;
  }
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    error = "'" + std::string(port_text) + "' in '" + std::string(text) + "' is not a port number (0-65535)";
    return std::nullopt;
  }

  SocketAddress a;
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (host.empty() || bracketed) {
    std::string literal = host.empty() ? "::" : std::string(host.substr(1, host.size() - 2));
    auto *in6 = reinterpret_cast<sockaddr_in6 *>(&a.storage);
    if (inet_pton(AF_INET6, literal.c_str(), &in6->sin6_addr) != 1) {
      error = "'" + std::string(host) + "' is not an IPv6 address";
      return std::nullopt;
    }
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    a.length = sizeof(sockaddr_in6);
    return a;
  }
  auto *in4 = reinterpret_cast<sockaddr_in *>(&a.storage);
  const std::string literal(host);
  if (inet_pton(AF_INET, literal.c_str(), &in4->sin_addr) != 1) {
    error = "'" + literal + "' is not an IPv4 address (write IPv6 in brackets: [::1]:8684)";
    return std::nullopt;
  }
  in4->sin_family = AF_INET;
  in4->sin_port = htons(static_cast<uint16_t>(port));
  a.length = sizeof(sockaddr_in);
  return a;
}

namespace {
// "a.b.c.d" without inet_ntop's printf: every answer of the checker names
// its addresses, and glibc formats IPv4 with sprintf.
char *write_ipv4(const uint8_t *b, char *p, char *end) {
  for (int i = 0; i < 4; ++i) {
    if (i) *p++ = '.';
    p = std::to_chars(p, end, b[i]).ptr;
  }
  return p;
}

// The address of `sa` into [p, end), which holds INET6_ADDRSTRLEN bytes;
// "?" for a family without one. Sets `ipv6` when it is shown as IPv6.
char *write_ip(const sockaddr *sa, char *p, char *end, bool &ipv6) {
  ipv6 = false;
  if (sa->sa_family == AF_INET) {
    return write_ipv4(reinterpret_cast<const uint8_t *>(&reinterpret_cast<const sockaddr_in *>(sa)->sin_addr), p, end);
  }
  if (sa->sa_family == AF_INET6) {
    const auto &addr = reinterpret_cast<const sockaddr_in6 *>(sa)->sin6_addr;
    // A dual-stack listener reports IPv4 clients as ::ffff:a.b.c.d; users
    // connected over IPv4 and expect to see their IPv4 address.
    if (IN6_IS_ADDR_V4MAPPED(&addr)) return write_ipv4(&addr.s6_addr[12], p, end);
    ipv6 = true;
    if (inet_ntop(AF_INET6, &addr, p, static_cast<socklen_t>(end - p))) return p + std::strlen(p);
  }
  *p = '?';
  return p + 1;
}
}  // namespace

char *write_endpoint(const sockaddr *sa, char *buf) {
  bool ipv6 = false;
  char *p = write_ip(sa, buf + 1, buf + 1 + INET6_ADDRSTRLEN, ipv6);
  char *begin = buf + 1;
  if (ipv6) {
    *--begin = '[';
    *p++ = ']';
  }
  *p++ = ':';
  p = std::to_chars(p, buf + kEndpointTextMax, port_of(sa)).ptr;
  // The text starts at buf + 1 unless brackets were added: move it home.
  if (begin != buf) std::memmove(buf, begin, static_cast<size_t>(p - begin));
  return buf + (p - begin);
}

std::string format_ip(const sockaddr *sa) {
  char buf[INET6_ADDRSTRLEN];
  bool ipv6 = false;
  return std::string(buf, write_ip(sa, buf, buf + sizeof buf, ipv6));
}

int port_of(const sockaddr *sa) {
  if (sa->sa_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in *>(sa)->sin_port);
  if (sa->sa_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6 *>(sa)->sin6_port);
  return 0;
}

std::string format_endpoint(const sockaddr *sa) {
  char buf[kEndpointTextMax];
  return std::string(buf, write_endpoint(sa, buf));
}

void append_endpoint(std::string &out, const sockaddr *sa) {
  char buf[kEndpointTextMax];
  out.append(buf, write_endpoint(sa, buf));
}

}  // namespace observer
