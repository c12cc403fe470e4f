#pragma once
// The standard process_* metrics, read from /proc/self: prometheus-cpp has
// no collector for them.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace observer::procfs {

struct ProcessStats {
  double cpu_seconds = 0;
  uint64_t resident_bytes = 0;
  uint64_t virtual_bytes = 0;
  double start_time_seconds = 0;  // since the epoch
  uint64_t open_fds = 0;
  uint64_t max_fds = 0;
};

// Fields of /proc/self/stat after the command name (which may hold spaces
// and parentheses, so parsing starts after its last ')').
struct StatFields {
  uint64_t utime_ticks = 0, stime_ticks = 0, starttime_ticks = 0, vsize = 0, rss_pages = 0;
};
std::optional<StatFields> parse_proc_stat(std::string_view stat);
// "btime N" from /proc/stat: boot time in seconds since the epoch.
std::optional<uint64_t> parse_boot_time(std::string_view proc_stat);

std::optional<ProcessStats> read_process_stats();

}  // namespace observer::procfs
