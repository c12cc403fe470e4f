// How long one page of /api/v1/connections takes to render, without HTTP:
// 10,000 connections made by feeding the connection table the BPF events
// a real host sends, then connection_json() for each and dump_pretty(), as
// the admin route does. Prints the median of several runs, and the same
// with nlohmann's own dump(2), whose bytes dump_pretty() must equal.
//
//   table_json_bench [CONNECTIONS] [RUNS] [mix|alone]
//
// mix: four kinds of connection in turn (below), in another namespace than
// the daemon's. alone: the longest diagnosis, every connection inbound
// with a single subflow, 2 s old, in the daemon's namespace on a host
// without a `signal` endpoint, each asking the host sampler (on a fake
// /proc/net/netstat) for its counters.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sources/procfs/host_sampler.h"
#include "table/connection_table.h"
#include "views/admin/json_dump.h"
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

MptcpEvent event(EventType type, uint32_t token, Direction direction, SubflowKind kind, uint64_t cookie,
                   uint64_t at_ns) {
  MptcpEvent e;
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
// outbound with a backup join, outbound whose join the peer refused; or
// (alone) only the second kind.
ConnectionTable make_table(size_t count, bool alone) {
  ConnectionTable table(count);
  uint64_t cookie = 1;
  for (uint32_t token = 1; token <= count; ++token) {
    const uint64_t at = 10 * kSec + token * 1000;
    const uint32_t kind = alone ? 1 : token % 4;
    const Direction dir = kind < 2 ? Direction::inbound : Direction::outbound;
    auto initial = event(EventType::subflow_established, token, dir, SubflowKind::initial, cookie++, at);
    table.apply(initial);
    switch (kind) {
      case 0:
      case 2: {
        auto join = event(EventType::subflow_established, token, dir, SubflowKind::join, cookie++, at + 5000000);
        join.backup = kind == 2;
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

// Renders the page `runs` times; prints the median.
template <typename Dump>
void measure(const char *what, const std::vector<ConnectionRecord> &page, const admin::Clock &clock,
             const admin::LocalSetup *setup, int runs, Dump dump) {
  std::vector<double> ms;
  std::string body;
  for (int r = 0; r < runs; ++r) {
    const auto start = std::chrono::steady_clock::now();
    nlohmann::ordered_json j;
    auto list = nlohmann::ordered_json::array();
    for (const auto &c : page) list.push_back(admin::connection_json(c, clock, setup));
    j["connections"] = std::move(list);
    body = dump(j) + "\n";
    const auto end = std::chrono::steady_clock::now();
    ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%s: %zu connections: median %.1f ms (min %.1f, max %.1f) over %d runs, %zu bytes\n", what, page.size(),
              ms[ms.size() / 2], ms.front(), ms.back(), runs, body.size());
}

int main(int argc, char **argv) {
  const size_t count = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 10000;
  const int runs = argc > 2 ? std::atoi(argv[2]) : 9;
  const bool alone = argc > 3 && std::string(argv[3]) == "alone";
  const ConnectionTable table = make_table(count, alone);
  const auto page = table.page(std::nullopt, count);
  admin::Clock clock;
  clock.now_monotonic_ns = 70 * kSec;
  // The daemon's namespace, sampled as the daemon does (daemon.cpp).
  const std::vector<std::string> counters(checker::diagnosis_counters().begin(), checker::diagnosis_counters().end());
  procfs::HostReaders kernel;
  kernel.mib = [&](std::string &) {
    procfs::MibCounters mib;
    for (const auto &name : counters) mib.emplace_back(name, 7);
    return std::optional(mib);
  };
  kernel.path_manager = [] { return std::optional<std::string>("kernel"); };
  // On the bench's clock, its first sample from before any connection
  // began, as in a daemon that has run a while: every page says the same.
  using SampleTime = procfs::HostSampler::Clock::time_point;
  const auto at = [](uint64_t ns) { return SampleTime(std::chrono::nanoseconds(ns)); };
  procfs::HostSampler sampler(counters, std::chrono::milliseconds(100), kernel, at(kSec));
  admin::LocalSetup setup;
  setup.netns = kNetns;
  setup.path_manager = checker::PathManagerKind::in_kernel;
  setup.subflows_limit = 2;
  setup.add_addr_accepted_limit = 0;
  setup.subflow_endpoints = 0;
  setup.signal_endpoints = 0;
  setup.counters_since = [&](uint64_t since_ns) -> std::optional<checker::MibWindow> {
    const auto view = sampler.since(at(since_ns), at(clock.now_monotonic_ns));
    if (!view.counters) return std::nullopt;
    checker::MibWindow w;
    w.span = std::chrono::duration_cast<std::chrono::milliseconds>(view.counters->span);
    w.rises = view.counters->rises;
    return w;
  };
  if (alone) clock.now_monotonic_ns = 12 * kSec;  // 2 s old: young enough to ask the sampler
  const admin::LocalSetup *in_use = alone ? &setup : nullptr;
  const size_t expected = page.size() * admin::kExpectedBytesPerConnection;
  measure("dump_pretty", page, clock, in_use, runs, [&](const auto &j) { return admin::dump_pretty(j, expected); });
  measure("nlohmann dump(2)", page, clock, in_use, runs, [](const auto &j) { return j.dump(2); });
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  for (const auto &c : page) j.push_back(admin::connection_json(c, clock, in_use));
  if (admin::dump_pretty(j) != j.dump(2)) {
    std::printf("dump_pretty and dump(2) differ\n");
    return 1;
  }
}
