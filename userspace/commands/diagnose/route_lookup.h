#pragma once
// `ip route get DST from SRC`, asked of the kernel over rtnetlink: which
// interface traffic from an endpoint's address would leave by. A FIB
// lookup only: nothing is sent. The request and reply are pure, so they are
// tested on fixtures; route_from() does the I/O.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/socket_address.h"

namespace observer::diagnose {

std::vector<uint8_t> route_request(const SocketAddress &destination, const SocketAddress &source, uint32_t seq);

struct RouteAnswer {
  std::optional<int> oif;  // the interface index the route leaves by
  int kernel_errno = 0;    // ENETUNREACH, EINVAL (source not local)...
  bool malformed = false;
};
RouteAnswer parse_route_reply(std::span<const uint8_t> datagram);

// The lookup in the calling thread's network namespace.
RouteAnswer route_from(const SocketAddress &destination, const SocketAddress &source);

}  // namespace observer::diagnose
