// Runs the path-manager netlink source in the network namespace it is started
// in (and, with --netns-dir, the namespaces there) for a while and prints one
// JSON line per event, to compare with `ip mptcp monitor`:
//
//   pm_events_probe [--seconds N] [--netns-dir DIR] [--rescan SECONDS] [--sink-delay-ms MS]
//
// --rescan calls rescan() that often, as the daemon does after each
// reconcile; --sink-delay-ms makes the sink slow, to see overruns counted.
// Exits 2 when the source is inactive (its reason on stderr), else 0 after
// N seconds (default 10) or SIGINT/SIGTERM, with its counters on stderr.
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <ctime>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "sources/pm_netlink/pm_netlink_source.h"

namespace {
volatile std::sig_atomic_t interrupted = 0;

std::string hex32(uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", v);
  return buf;
}

// t_ms: milliseconds since the probe started, to line events up with what
// the test did.
std::string to_json(const observer::pm::PathManagerEvent &e, uint64_t started_ns) {
  std::ostringstream out;
  out << "{\"t_ms\":" << (e.timestamp_ns - started_ns) / 1000000 << ",\"type\":\""
      << observer::pm::pm_event_type_name(e.type) << "\",\"netns\":" << e.netns;
  auto field = [&](const char *name, const auto &value) {
    if (value) out << ",\"" << name << "\":" << +*value;
  };
  if (e.token) out << ",\"token\":\"" << hex32(*e.token) << "\"";
  field("family", e.family);
  field("local_id", e.local_id);
  field("remote_id", e.remote_id);
  if (e.local) out << ",\"local\":\"" << observer::format_endpoint(*e.local) << "\"";
  if (e.remote) out << ",\"remote\":\"" << observer::format_endpoint(*e.remote) << "\"";
  if (e.backup) out << ",\"backup\":" << (*e.backup ? "true" : "false");
  field("error", e.error);
  field("flags", e.flags);
  field("ifindex", e.ifindex);
  field("reset_reason", e.reset_reason);
  field("reset_flags", e.reset_flags);
  if (e.server_side) out << ",\"server_side\":true";
  out << "}";
  return out.str();
}
}  // namespace

int main(int argc, char **argv) {
  int seconds = 10, rescan_seconds = 0, sink_delay_ms = 0;
  observer::pm::PmNetlinkOptions options;
  options.netns_dir = "";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--seconds" && i + 1 < argc) {
      seconds = std::stoi(argv[++i]);
    } else if (arg == "--netns-dir" && i + 1 < argc) {
      options.netns_dir = argv[++i];
    } else if (arg == "--rescan" && i + 1 < argc) {
      rescan_seconds = std::stoi(argv[++i]);
    } else if (arg == "--sink-delay-ms" && i + 1 < argc) {
      sink_delay_ms = std::stoi(argv[++i]);
    } else {
      std::cerr << "usage: pm_events_probe [--seconds N] [--netns-dir DIR] [--rescan SECONDS] [--sink-delay-ms MS]\n";
      return 1;
    }
  }
  std::signal(SIGINT, [](int) { interrupted = 1; });
  std::signal(SIGTERM, [](int) { interrupted = 1; });

  std::mutex out_mu;
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const uint64_t started_ns = static_cast<uint64_t>(now.tv_sec) * 1000000000ull + static_cast<uint64_t>(now.tv_nsec);
  observer::pm::PmNetlinkSource source(options, [&](const observer::pm::PathManagerEvent &e) {
    {
      std::lock_guard lock(out_mu);
      std::cout << to_json(e, started_ns) << std::endl;
    }
    if (sink_delay_ms) std::this_thread::sleep_for(std::chrono::milliseconds(sink_delay_ms));
  });
  if (!source.active()) {
    std::cerr << "pm_events_probe: inactive: " << source.reason() << "\n";
    return 2;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  auto next_rescan = std::chrono::steady_clock::now() + std::chrono::seconds(rescan_seconds);
  while (!interrupted && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (rescan_seconds && std::chrono::steady_clock::now() >= next_rescan) {
      source.rescan();
      next_rescan += std::chrono::seconds(rescan_seconds);
    }
  }
  const auto c = source.counters();
  std::cerr << "pm_events_probe: events " << c.events << ", malformed " << c.malformed << ", unknown " << c.unknown
            << ", overruns " << c.overruns << ", namespaces " << c.namespaces << "\n";
  return 0;
}
