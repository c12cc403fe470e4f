// How long one page of /api/v1/connections takes to render, without HTTP:
// 10,000 connections made by feeding the connection table the BPF events
// a real host sends, then connection_json() for each and dump(2), as the
// admin route does. Prints the median of several runs.
//
//   table_json_bench [CONNECTIONS] [RUNS]
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "table/connection_table.h"
#include "views/admin/table_json.h"

namespace {
using namespace observer;
constexpr uint64_t kSec = 1000000000;
constexpr uint32_t kNetns = 4026531840u;

SocketAddress ipv4(uint32_t host, uint16_t port) {
  SocketAddress a;
  auto *in = reinterpret_cast<sockaddr_in *>(&a.storage);
  in->sin_family = AF_INET;
  in->sin_addr.s_addr = htonl(host);
  in->sin_port = htons(port);
  a.length = sizeof(sockaddr_in);
  return a;
}

SubflowEvent event(EventType type, uint32_t token, Direction direction, SubflowKind kind, uint64_t cookie,
                   uint64_t at_ns) {
  SubflowEvent e;
  e.type = type;
  e.netns = kNetns;
  e.token = token;
  e.direction = direction;
  e.kind = kind;
  e.cookie = cookie;
  e.timestamp_ns = at_ns;
  e.duration_ns = 40000;
  e.ifindex = 2;
  const uint16_t client_port = static_cast<uint16_t>(10000 + token % 50000);
  const bool join = kind == SubflowKind::join;
  const auto server = ipv4(0x0a000302, 8684), client = ipv4(join ? 0x0a000202 : 0x0a000102, client_port);
  e.local = direction == Direction::inbound ? server : client;
  e.remote = direction == Direction::inbound ? client : server;
  e.local_id = join && direction == Direction::outbound ? 1 : 0;
  e.remote_id = join && direction == Direction::inbound ? 1 : 0;
  return e;
}

// Four kinds of connection, in turn: inbound with a join, inbound alone,
// outbound with a backup join, outbound whose join the peer refused.
ConnectionTable make_table(size_t count) {
  ConnectionTable table(count);
  uint64_t cookie = 1;
  for (uint32_t token = 1; token <= count; ++token) {
    const uint64_t at = 10 * kSec + token * 1000;
    const Direction dir = token % 4 < 2 ? Direction::inbound : Direction::outbound;
    auto initial = event(EventType::subflow_established, token, dir, SubflowKind::initial, cookie++, at);
    table.apply(initial);
    switch (token % 4) {
      case 0:
      case 2: {
        auto join = event(EventType::subflow_established, token, dir, SubflowKind::join, cookie++, at + 5000000);
        join.backup = token % 4 == 2;
        table.apply(join);
        break;
      }
      case 3: {
        auto failed = event(EventType::join_failed, token, dir, SubflowKind::join, cookie++, at + 5000000);
        failed.reason = Reason::rejected_by_peer;
        table.apply(failed);
        break;
      }
      default: break;
    }
  }
  return table;
}
}  // namespace

int main(int argc, char **argv) {
  const size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 9;
  const ConnectionTable table = make_table(count);
  const auto page = table.page(std::nullopt, count);
  admin::Clock clock;
  clock.now_monotonic_ns = 70 * kSec;
  std::vector<double> ms;
  size_t bytes = 0;
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    nlohmann::ordered_json j;
    auto list = nlohmann::ordered_json::array();
    for (const auto &c : page) list.push_back(admin::connection_json(c, clock));
    j["connections"] = std::move(list);
    const std::string body = j.dump(2) + "\n";
    const auto end = std::chrono::steady_clock::now();
    bytes = body.size();
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%zu connections: median %.1f ms (min %.1f, max %.1f) over %d runs, %zu bytes\n", page.size(),
              ms[ms.size() / 2], ms.front(), ms.back(), runs, bytes);
}
