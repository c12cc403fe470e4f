#pragma once
// What the checker's diagnosis needs of the host: the MPTcpExt counters it
// names and the path manager in use, read at most once per interval however
// many event loops ask, and shared by all of them. Recent samples are kept,
// so that a caller can ask how much each counter rose since a moment in the
// recent past (a connection's start) for the price of a lock and a binary
// search: the checker answers tens of thousands of requests a second, and
// /proc/net/netstat (about 0.2 ms to read and parse) is read at most
// 1/interval times a second. The price: a counter that moved within the
// last interval may not show yet.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sources/procfs/mptcp_sysctl.h"
#include "sources/procfs/netstat_mib.h"

namespace observer::procfs {

// Where a HostSampler reads; tests give their own.
struct HostReaders {
  std::function<std::optional<MibCounters>(std::string &error)> mib = read_mptcp_mib;
  std::function<std::optional<std::string>()> path_manager = read_path_manager;
};

class HostSampler {
 public:
  using Clock = std::chrono::steady_clock;

  struct Rises {
    Clock::duration span{};  // from the baseline sample to the newest
    // Each named counter this kernel has, and how much it rose; the names
    // live as long as the sampler.
    std::vector<std::pair<std::string_view, uint64_t>> rises;
  };
  struct View {
    std::optional<std::string> path_manager;  // "kernel", "userspace"; nullopt when unknown
    std::optional<Rises> counters;            // nullopt when /proc/net/netstat could not be read
  };

  // Takes a first sample at `now`, so that every connection accepted later
  // has a sample from before it began.
  HostSampler(std::vector<std::string> counters, std::chrono::milliseconds interval, HostReaders readers = {},
              Clock::time_point now = Clock::now());

  // The rises from the newest sample taken at or before `since` (the oldest
  // kept if none is) to a sample at most one interval old at `now`. Safe
  // from any thread; reads the files itself only when the newest sample is
  // older than the interval and no other thread is reading them already.
  View since(Clock::time_point since, Clock::time_point now = Clock::now());

  static constexpr size_t kKeptSamples = 256;  // 25 s at one sample per 100 ms

 private:
  struct Sample {
    Clock::time_point at;
    std::vector<std::optional<uint64_t>> values;  // by index in counters_
  };
  void refresh(Clock::time_point now);

  // What since() computed last on this thread, for this sampler: most
  // questions fall between the same two samples as the one before.
  struct Answered {
    uint64_t sampler = 0, generation = 0;
    Clock::time_point from, until;  // the `since` values whose baseline is the same sample
    View view;
  };
  static uint64_t next_id();

  const uint64_t id_ = next_id();
  const std::vector<std::string> counters_;
  const Clock::duration interval_;
  HostReaders readers_;
  std::atomic<Clock::rep> last_attempt_;  // when the files were last read, or tried
  std::mutex refresh_mu_;                 // one reader of the files at a time
  bool error_logged_ = false;             // (refresh_mu_)
  std::mutex mu_;                         // guards samples_ and path_manager_
  std::deque<Sample> samples_;
  std::optional<std::string> path_manager_;
  std::atomic<uint64_t> generation_{1};  // changes with every refresh (under mu_)
};

}  // namespace observer::procfs
