#include "sources/procfs/process_stats.h"

#include "common/read_file.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <vector>

namespace observer::procfs {
namespace {
bool to_u64(std::string_view s, uint64_t &out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}
}  // namespace

std::optional<StatFields> parse_proc_stat(std::string_view stat) {
  const auto paren = stat.rfind(')');
  if (paren == std::string_view::npos) return std::nullopt;
  std::vector<std::string_view> f;  // f[0] is field 3 (state)
  std::string_view rest = stat.substr(paren + 1);
  while (!rest.empty()) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
    const auto sp = rest.find_first_of(" \n");
    if (!rest.empty()) f.push_back(rest.substr(0, sp));
    rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp);
  }
  // proc(5) numbering: utime 14, stime 15, starttime 22, vsize 23, rss 24.
  if (f.size() < 22) return std::nullopt;
  StatFields s;
  if (!to_u64(f[14 - 3], s.utime_ticks) || !to_u64(f[15 - 3], s.stime_ticks) ||
      !to_u64(f[22 - 3], s.starttime_ticks) || !to_u64(f[23 - 3], s.vsize) || !to_u64(f[24 - 3], s.rss_pages)) {
    return std::nullopt;
  }
  return s;
}

std::optional<uint64_t> parse_boot_time(std::string_view proc_stat) {
  const auto at = proc_stat.find("\nbtime ");
  if (at == std::string_view::npos) return std::nullopt;
  auto value = proc_stat.substr(at + 7);
  value = value.substr(0, value.find('\n'));
  uint64_t v = 0;
  if (!to_u64(value, v)) return std::nullopt;
  return v;
}

std::optional<ProcessStats> read_process_stats() {
  const auto stat = parse_proc_stat(read_small_file("/proc/self/stat"));
  if (!stat) return std::nullopt;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  ProcessStats p;
  p.cpu_seconds = static_cast<double>(stat->utime_ticks + stat->stime_ticks) / ticks;
  p.resident_bytes = stat->rss_pages * page;
  p.virtual_bytes = stat->vsize;
  if (const auto boot = parse_boot_time(read_small_file("/proc/stat"))) {
    p.start_time_seconds = static_cast<double>(*boot) + static_cast<double>(stat->starttime_ticks) / ticks;
  }
  if (DIR *d = opendir("/proc/self/fd")) {
    while (const dirent *e = readdir(d)) {
      if (e->d_name[0] != '.') ++p.open_fds;
    }
    closedir(d);
    if (p.open_fds) --p.open_fds;  // the directory stream's own fd
  }
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) p.max_fds = lim.rlim_cur;
  return p;
}

}  // namespace observer::procfs
