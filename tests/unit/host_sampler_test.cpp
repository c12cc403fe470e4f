// HostSampler on fake readers and a fake clock: how often it reads, which
// sample a question about the past is answered from, and what it does when
// /proc/net/netstat cannot be read. Also the net.mptcp sysctl parsers.
#include "sources/procfs/host_sampler.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "sources/procfs/mptcp_sysctl.h"

using namespace observer::procfs;
using namespace std::chrono_literals;
using Clock = HostSampler::Clock;

namespace {
// A kernel whose MPTcpExt counters the test sets; counts how often it is read.
struct FakeKernel {
  MibCounters counters{{"MPJoinSynRx", 0}, {"MPJoinRejected", 0}, {"MPCurrEstab", 1}};
  bool readable = true;
  int reads = 0;
  std::string path_manager = "kernel";

  HostReaders readers() {
    HostReaders r;
    r.mib = [this](std::string &error) -> std::optional<MibCounters> {
      ++reads;
      if (!readable) {
        error = "cannot read /proc/net/netstat";
        return std::nullopt;
      }
      return counters;
    };
    r.path_manager = [this] { return std::optional<std::string>(path_manager); };
    return r;
  }
  void set(const std::string &name, uint64_t v) {
    for (auto &[n, value] : counters) {
      if (n == name) value = v;
    }
  }
};

uint64_t rise_of(const HostSampler::View &v, std::string_view name) {
  REQUIRE(v.counters);
  for (const auto &[n, rise] : v.counters->rises) {
    if (n == name) return rise;
  }
  FAIL("no counter " << std::string(name));
  return 0;
}

const Clock::time_point t0 = Clock::time_point(100s);
}  // namespace

TEST_CASE("HostSampler reads at most once per interval, however often it is asked", "[host_sampler]") {
  FakeKernel kernel;
  HostSampler sampler({"MPJoinSynRx", "MPJoinRejected", "MPJoinNotEstablished"}, 100ms, kernel.readers(), t0);
  CHECK(kernel.reads == 1);  // the first sample, at construction
  for (int i = 0; i < 1000; ++i) sampler.since(t0, t0 + 50ms);
  CHECK(kernel.reads == 1);
  sampler.since(t0, t0 + 100ms);
  CHECK(kernel.reads == 2);
  sampler.since(t0, t0 + 150ms);
  CHECK(kernel.reads == 2);
}

TEST_CASE("HostSampler answers from the newest sample taken at or before the moment asked about", "[host_sampler]") {
  FakeKernel kernel;
  HostSampler sampler({"MPJoinSynRx", "MPJoinRejected", "MPJoinNotEstablished"}, 100ms, kernel.readers(), t0);
  kernel.set("MPJoinSynRx", 1);
  sampler.since(t0, t0 + 200ms);  // sample 2: SynRx 1
  kernel.set("MPJoinSynRx", 3);
  kernel.set("MPJoinRejected", 2);
  const auto v = sampler.since(t0 + 250ms, t0 + 400ms);  // sample 3, measured from sample 2
  CHECK(v.path_manager == "kernel");
  REQUIRE(v.counters);
  CHECK(v.counters->span == 200ms);
  CHECK(rise_of(v, "MPJoinSynRx") == 2);
  CHECK(rise_of(v, "MPJoinRejected") == 2);
  // A counter this kernel does not have is left out, not reported as 0.
  for (const auto &[name, rise] : v.counters->rises) CHECK(name != "MPJoinNotEstablished");

  SECTION("a moment before every sample kept is answered from the oldest") {
    const auto all = sampler.since(t0 - 1h, t0 + 400ms);
    CHECK(all.counters->span == 400ms);
    CHECK(rise_of(all, "MPJoinSynRx") == 3);
  }
  SECTION("a moment after the newest sample gives an empty window") {
    const auto none = sampler.since(t0 + 450ms, t0 + 450ms);
    CHECK(none.counters->span == 0ms);
    CHECK(rise_of(none, "MPJoinSynRx") == 0);
  }
}

TEST_CASE("HostSampler's answers to the same question follow every new sample", "[host_sampler]") {
  // A thread's last answer is reused while no sample has come and the
  // moment asked about has the same baseline; never past either.
  FakeKernel kernel;
  HostSampler sampler({"MPJoinSynRx"}, 100ms, kernel.readers(), t0);
  kernel.set("MPJoinSynRx", 1);
  CHECK(rise_of(sampler.since(t0, t0 + 100ms), "MPJoinSynRx") == 1);
  CHECK(rise_of(sampler.since(t0 + 50ms, t0 + 150ms), "MPJoinSynRx") == 1);  // same baseline, no new sample
  kernel.set("MPJoinSynRx", 4);
  CHECK(rise_of(sampler.since(t0, t0 + 200ms), "MPJoinSynRx") == 4);  // a new sample
  CHECK(rise_of(sampler.since(t0 + 100ms, t0 + 250ms), "MPJoinSynRx") == 3);  // another baseline
  kernel.path_manager = "userspace";
  CHECK(sampler.since(t0 + 100ms, t0 + 300ms).path_manager == "userspace");

  SECTION("another sampler on the same thread gets its own answer") {
    FakeKernel other;
    other.counters = {{"MPJoinSynRx", 100}};
    HostSampler second({"MPJoinSynRx"}, 100ms, other.readers(), t0);
    other.set("MPJoinSynRx", 107);
    CHECK(rise_of(second.since(t0 + 100ms, t0 + 300ms), "MPJoinSynRx") == 7);
  }
}

TEST_CASE("HostSampler keeps a bounded history", "[host_sampler]") {
  FakeKernel kernel;
  HostSampler sampler({"MPJoinSynRx"}, 100ms, kernel.readers(), t0);
  Clock::time_point now = t0;
  for (size_t i = 0; i < HostSampler::kKeptSamples + 50; ++i) {
    now += 100ms;
    kernel.set("MPJoinSynRx", i + 1);
    sampler.since(now, now);
  }
  // The first samples are gone: the oldest kept is kKeptSamples - 1 steps back.
  const auto v = sampler.since(t0, now);
  CHECK(v.counters->span == (HostSampler::kKeptSamples - 1) * 100ms);
  CHECK(rise_of(v, "MPJoinSynRx") == HostSampler::kKeptSamples - 1);
}

TEST_CASE("HostSampler without readable counters still says which path manager runs", "[host_sampler]") {
  FakeKernel kernel;
  kernel.readable = false;
  kernel.path_manager = "userspace";
  HostSampler sampler({"MPJoinSynRx"}, 100ms, kernel.readers(), t0);
  auto v = sampler.since(t0, t0 + 10ms);
  CHECK_FALSE(v.counters);
  CHECK(v.path_manager == "userspace");
  // It tries again, no more than once per interval, and recovers.
  sampler.since(t0, t0 + 20ms);
  CHECK(kernel.reads == 1);
  kernel.readable = true;
  v = sampler.since(t0, t0 + 100ms);
  CHECK(kernel.reads == 2);
  REQUIRE(v.counters);
  CHECK(v.counters->span == 0ms);  // one sample: nothing to compare it with yet
}

TEST_CASE("net.mptcp sysctls as the files give them", "[mptcp_sysctl]") {
  CHECK(parse_enabled("1\n") == true);
  CHECK(parse_enabled("0\n") == false);
  CHECK_FALSE(parse_enabled("").has_value());  // no MPTCP in this kernel
  CHECK_FALSE(parse_enabled("2\n").has_value());

  // 6.15+: path_manager names it (and pm_type stays in step).
  CHECK(parse_path_manager("userspace\n", "1\n") == "userspace");
  CHECK(parse_path_manager("kernel\n", "0\n") == "kernel");
  // 5.19-6.14: pm_type only.
  CHECK(parse_path_manager("", "0\n") == "kernel");
  CHECK(parse_path_manager("", "1\n") == "userspace");
  // Older: neither.
  CHECK_FALSE(parse_path_manager("", "").has_value());
  CHECK_FALSE(parse_path_manager("", "7\n").has_value());
}
