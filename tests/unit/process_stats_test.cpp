// The process_* metrics' parsers: /proc/self/stat (whose command name may
// hold spaces and parentheses) and the btime line of /proc/stat.
#include "sources/procfs/process_stats.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>
#include <string>

using observer::procfs::parse_boot_time;
using observer::procfs::parse_proc_stat;

namespace {
// A /proc/self/stat line with all 52 fields, numbered as in proc(5):
// 1 pid, 2 (comm), 3 state, ..., 14 utime=150, 15 stime=42,
// 22 starttime=98765, 23 vsize=123456789, 24 rss=4321, 25 rsslim=u64 max.
// The command name has spaces, parentheses and digits in it, as a process
// can set with prctl(PR_SET_NAME).
constexpr const char *kStatHead = "1234 (my (odd) 7 name) S 1 1234 1234 0 -1 4194560 1000 0 0 0 150 42 0 0 20 0 1 0 ";
constexpr const char *kStatFrom22 =
    "98765 123456789 4321 18446744073709551615 94000000000000 94000000100000 140720000000000 0 0 0 0 4096 "
    "16386 0 0 0 17 3 0 0 0 0 0 94000000200000 94000000210000 94000001000000 140720000001000 140720000001100 "
    "140720000001100 140720000002000 0\n";

std::string stat_line() { return std::string(kStatHead) + kStatFrom22; }
}  // namespace

TEST_CASE("parse_proc_stat reads the CPU, start and memory fields", "[process_stats]") {
  const auto s = parse_proc_stat(stat_line());
  REQUIRE(s.has_value());
  CHECK(s->utime_ticks == 150);
  CHECK(s->stime_ticks == 42);
  CHECK(s->starttime_ticks == 98765);
  CHECK(s->vsize == 123456789);
  CHECK(s->rss_pages == 4321);
}

TEST_CASE("parse_proc_stat finds fields after a command name with ')' and spaces", "[process_stats]") {
  // Parsing must start after the last ')': any split on spaces or on the
  // first ')' shifts every field.
  const std::string comm = GENERATE(as<std::string>{}, "(a)", "(with space)", "(x) S 1 2)", "())", "((()))",
                                    "( )", "(9 9 9 9 9 9)");
  INFO("comm: " << comm);
  const std::string line = "77 " + comm + " R 1 77 77 0 -1 0 0 0 0 0 11 22 0 0 20 0 1 0 33 44 55 0 0\n";
  const auto s = parse_proc_stat(line);
  REQUIRE(s.has_value());
  CHECK(s->utime_ticks == 11);
  CHECK(s->stime_ticks == 22);
  CHECK(s->starttime_ticks == 33);
  CHECK(s->vsize == 44);
  CHECK(s->rss_pages == 55);
}

TEST_CASE("parse_proc_stat reads a line that ends at rss", "[process_stats]") {
  const auto s = parse_proc_stat("1 (init) S 0 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 7 8 9");
  REQUIRE(s.has_value());
  CHECK(s->utime_ticks == 5);
  CHECK(s->stime_ticks == 6);
  CHECK(s->starttime_ticks == 7);
  CHECK(s->vsize == 8);
  CHECK(s->rss_pages == 9);
}

TEST_CASE("parse_proc_stat rejects a truncated or malformed line", "[process_stats]") {
  struct Case {
    const char *what;
    std::string line;
  };
  const auto c = GENERATE(values<Case>({
      {"empty", ""},
      {"no command name", "1234 S 1 1234 1234 0 -1 4194560 1000 0 0 0 150 42 0 0 20 0 1 0 98765 123456789 4321\n"},
      {"cut after the command name", "1234 (my (odd) 7 name)"},
      {"cut after starttime (field 22)", std::string(kStatHead) + "98765\n"},
      {"cut after vsize (field 23)", std::string(kStatHead) + "98765 123456789\n"},
      {"a word for utime", "1 (x) S 0 1 1 0 -1 0 0 0 0 0 abc 6 0 0 20 0 1 0 7 8 9"},
      {"a negative rss", "1 (x) S 0 1 1 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 7 8 -9"},
  }));
  INFO(c.what << ": '" << c.line << "'");
  CHECK_FALSE(parse_proc_stat(c.line).has_value());
}

TEST_CASE("parse_boot_time reads the btime line of /proc/stat", "[process_stats]") {
  const std::string proc_stat =
      "cpu  10132153 290696 3084719 46828483 16683 0 25195 0 0 0\n"
      "cpu0 1393280 32966 572056 13343292 6130 0 17875 0 0 0\n"
      "intr 1462898 0 0 0 0 0 0 0 0 1 0 0 0\n"
      "ctxt 115315133\n"
      "btime 1769900000\n"
      "processes 4321\n"
      "procs_running 2\n"
      "procs_blocked 0\n"
      "softirq 12345 0 1 2 3 4 5 6 7 8 9\n";
  CHECK(parse_boot_time(proc_stat) == std::optional<uint64_t>{1769900000});
  // The last line, without its newline.
  CHECK(parse_boot_time("cpu  1 2 3\nbtime 42") == std::optional<uint64_t>{42});
}

TEST_CASE("parse_boot_time without a usable btime line is nullopt", "[process_stats]") {
  const std::string proc_stat = GENERATE(as<std::string>{},
                                         "",
                                         "cpu  1 2 3\nctxt 5\nprocesses 7\n",
                                         // only at the start of a line
                                         "cpu  1 2 3\nxbtime 5\n",
                                         "cpu  1 2 3\nbtime \n",
                                         "cpu  1 2 3\nbtime soon\n",
                                         "cpu  1 2 3\nbtime -5\n");
  INFO("text: '" << proc_stat << "'");
  CHECK_FALSE(parse_boot_time(proc_stat).has_value());
}

TEST_CASE("read_process_stats reads this test process", "[process_stats]") {
  // The one I/O check: /proc/self is always there, with or without MPTCP.
  const auto p = observer::procfs::read_process_stats();
  REQUIRE(p.has_value());
  CHECK(p->resident_bytes > 0);
  CHECK(p->virtual_bytes >= p->resident_bytes);
  CHECK(p->start_time_seconds > 1e9);  // after 2001: btime was found
  CHECK(p->open_fds > 0);
  CHECK(p->max_fds >= p->open_fds);
}
