// parse_socket_address reads --listen values; format_endpoint writes the
// addresses users see in every answer.
#include <catch2/catch.hpp>

#include <arpa/inet.h>

#include <cstring>
#include <string>

#include "common/socket_address.h"

using observer::format_endpoint;
using observer::parse_socket_address;
using observer::port_of;
using observer::SocketAddress;

TEST_CASE("parse_socket_address accepts IPv4 and bracketed IPv6", "[socket_address]") {
  struct Case {
    const char *text;
    int family;
    int port;
    const char *shown_as;  // format_endpoint of the result
  };
  const auto c = GENERATE(values<Case>({
      {"[::]:8684", AF_INET6, 8684, "[::]:8684"},
      {"0.0.0.0:80", AF_INET, 80, "0.0.0.0:80"},
      {"127.0.0.1:8685", AF_INET, 8685, "127.0.0.1:8685"},
      {"[::1]:0", AF_INET6, 0, "[::1]:0"},
      {":8684", AF_INET6, 8684, "[::]:8684"},  // empty host: the dual-stack wildcard
      {"[2001:db8::1]:65535", AF_INET6, 65535, "[2001:db8::1]:65535"},
  }));
  INFO("text: '" << c.text << "'");
  std::string error;
  const auto a = parse_socket_address(c.text, error);
  REQUIRE(a.has_value());
  CHECK(a->family() == c.family);
  CHECK(port_of(a->get()) == c.port);
  CHECK(a->length == (c.family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)));
  CHECK(format_endpoint(*a) == c.shown_as);
  std::string appended = "at ";
  observer::append_endpoint(appended, *a);
  CHECK(appended == std::string("at ") + c.shown_as);
}

TEST_CASE("format_endpoint fits the longest IPv6 address and port", "[socket_address]") {
  std::string error;
  const auto a = parse_socket_address("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535", error);
  REQUIRE(a.has_value());
  CHECK(format_endpoint(*a) == "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe]:65535");
  CHECK(observer::format_ip(a->get()) == "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe");
  SocketAddress unknown;
  CHECK(format_endpoint(unknown) == "?:0");
}

TEST_CASE("parse_socket_address rejects what is not ADDR:PORT", "[socket_address]") {
  const std::string text = GENERATE(as<std::string>{},
                                    "8684",          // no colon
                                    "1.2.3:80",      // not a dotted quad
                                    "::1:80",        // IPv6 must be bracketed
                                    "[::1]:70000",   // port out of range
                                    "[zz]:1",        // not IPv6
                                    "127.0.0.1:",    // no port
                                    "127.0.0.1:-1",  // no sign
                                    "127.0.0.1:80x", "[]:80", "localhost:80");
  INFO("text: '" << text << "'");
  std::string error;
  CHECK_FALSE(parse_socket_address(text, error).has_value());
  CHECK_FALSE(error.empty());
}

TEST_CASE("parse_socket_address says why an unbracketed IPv6 address fails", "[socket_address]") {
  std::string error;
  REQUIRE_FALSE(parse_socket_address("::1:80", error).has_value());
  CHECK_THAT(error, Catch::Contains("not an IPv4 address") && Catch::Contains("brackets"));
}

namespace {
SocketAddress ipv4(const char *ip, uint16_t port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  REQUIRE(inet_pton(AF_INET, ip, &in.sin_addr) == 1);
  return SocketAddress::from(reinterpret_cast<const sockaddr *>(&in), sizeof in);
}

SocketAddress ipv6(const char *ip, uint16_t port) {
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(port);
  REQUIRE(inet_pton(AF_INET6, ip, &in6.sin6_addr) == 1);
  return SocketAddress::from(reinterpret_cast<const sockaddr *>(&in6), sizeof in6);
}
}  // namespace

TEST_CASE("format_endpoint shows IPv4 plain and IPv6 in brackets", "[socket_address]") {
  CHECK(format_endpoint(ipv4("192.0.2.7", 443)) == "192.0.2.7:443");
  CHECK(format_endpoint(ipv6("2001:db8::7", 443)) == "[2001:db8::7]:443");
  CHECK(format_endpoint(ipv6("::1", 8684)) == "[::1]:8684");
}

TEST_CASE("format_endpoint shows an IPv4-mapped IPv6 client as plain IPv4", "[socket_address]") {
  // What a dual-stack listener reports for a client that connected over IPv4.
  CHECK(format_endpoint(ipv6("::ffff:198.51.100.4", 51000)) == "198.51.100.4:51000");
}
