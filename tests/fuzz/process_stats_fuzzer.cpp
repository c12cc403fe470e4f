// /proc/self/stat and /proc/stat text, as each /metrics scrape parses them
// for the process_* series. Every input goes to both parsers; what parses
// must parse the same from the canonical line it stands for.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "sources/procfs/process_stats.h"

using namespace observer::procfs;

namespace {
// proc(5): pid (comm) state, then fields 4 to 24 (utime 14, stime 15,
// starttime 22, vsize 23, rss 24), all other fields 0.
std::string canonical_stat(const StatFields &s) {
  std::string line = "1 (mptcp-observer) S";
  for (int field = 4; field <= 24; ++field) {
    uint64_t v = 0;
    if (field == 14) v = s.utime_ticks;
    if (field == 15) v = s.stime_ticks;
    if (field == 22) v = s.starttime_ticks;
    if (field == 23) v = s.vsize;
    if (field == 24) v = s.rss_pages;
    line += " " + std::to_string(v);
  }
  return line + "\n";
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);

  if (const auto stat = parse_proc_stat(text)) {
    // The command name ends at the last ')': a name may hold one.
    FUZZ_CHECK(text.find(')') != std::string_view::npos);
    const auto again = parse_proc_stat(canonical_stat(*stat));
    FUZZ_CHECK(again && again->utime_ticks == stat->utime_ticks && again->stime_ticks == stat->stime_ticks &&
               again->starttime_ticks == stat->starttime_ticks && again->vsize == stat->vsize &&
               again->rss_pages == stat->rss_pages);
  }

  if (const auto boot = parse_boot_time(text)) {
    FUZZ_CHECK(text.find("\nbtime ") != std::string_view::npos);
    const auto again = parse_boot_time("cpu 1 2 3\nbtime " + std::to_string(*boot) + "\nprocesses 1\n");
    FUZZ_CHECK(again == boot);
  }
  return 0;
}
