#pragma once
// Socket addresses for tests, written the way users write them:
// address("10.0.0.1:5000"), address("[2001:db8::1]:443").
#include <catch2/catch.hpp>

#include <string>
#include <string_view>

#include "common/socket_address.h"

namespace observer::test {

inline SocketAddress address(std::string_view text) {
  std::string error;
  const auto a = parse_socket_address(text, error);
  INFO("test fixture address '" << std::string(text) << "': " << error);
  REQUIRE(a.has_value());
  return *a;
}

}  // namespace observer::test
