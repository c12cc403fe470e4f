#pragma once
// Socket addresses as users write them ("[::]:8684", "10.0.0.1:80") and as we
// print them: IPv6 in brackets, IPv4-mapped IPv6 shown as plain IPv4.
#include <netinet/in.h>
#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

namespace observer {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  const sockaddr *get() const { return reinterpret_cast<const sockaddr *>(&storage); }
  static SocketAddress from(const sockaddr *sa, socklen_t len);
  // From raw address bytes (4 for AF_INET, 16 for AF_INET6) and a port in
  // network byte order, as kernels and wire formats carry them.
  static SocketAddress from_bytes(int family, const void *address, uint16_t port_be);
};

// Parses "ADDR:PORT" where ADDR is an IPv4 literal, a bracketed IPv6 literal,
// or empty (meaning the dual-stack wildcard "[::]"). Returns nullopt and sets
// `error` to a one-line reason on failure.
std::optional<SocketAddress> parse_socket_address(std::string_view text, std::string &error);

std::string format_ip(const sockaddr *sa);
int port_of(const sockaddr *sa);
// "ip:port", with IPv6 in brackets.
std::string format_endpoint(const sockaddr *sa);
inline std::string format_endpoint(const SocketAddress &a) { return format_endpoint(a.get()); }
// The same, written at `buf`, which has room for kEndpointTextMax bytes
// ("[" IPv6 "]:" port); returns the end of what it wrote.
inline constexpr size_t kEndpointTextMax = INET6_ADDRSTRLEN + 8;
char *write_endpoint(const sockaddr *sa, char *buf);
// The same, appended to `out` without a string of its own.
void append_endpoint(std::string &out, const sockaddr *sa);
inline void append_endpoint(std::string &out, const SocketAddress &a) { append_endpoint(out, a.get()); }

}  // namespace observer
