// What the daemon keeps of its capabilities, and the /proc status lines
// that show what a thread holds.
#include "process/capabilities.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace observer::process;

namespace {
// The capability part of a root thread's /proc/PID/task/TID/status (6.1,
// all 41 capabilities), between lines that come before and after it.
constexpr const char *kRootStatus =
    "Name:\tmptcp-observer\n"
    "Umask:\t0022\n"
    "State:\tS (sleeping)\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001ffffffffff\n"
    "CapEff:\t000001ffffffffff\n"
    "CapBnd:\t000001ffffffffff\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\n"
    "Seccomp:\t0\n"
    "Seccomp_filters:\t0\n";

constexpr CapabilityMask kAll = 0x000001ffffffffffull;
// What Docker grants by default, plus the four the README asks for.
constexpr CapabilityMask kContainer = 0x00000000a80425fbull | capability_bit(kCapBpf) | capability_bit(kCapPerfmon) |
                                      capability_bit(kCapNetAdmin) | capability_bit(kCapSysAdmin);

std::vector<int> caps(const std::vector<KeptCapability> &kept) {
  std::vector<int> out;
  for (const auto &k : kept) out.push_back(k.cap);
  return out;
}

PrivilegedWork work(bool bpf, KernelVersion kernel, int unprivileged_bpf_disabled) {
  PrivilegedWork w;
  w.bpf_active = bpf;
  w.kernel = kernel;
  w.unprivileged_bpf_disabled = unprivileged_bpf_disabled;
  return w;
}
}  // namespace

TEST_CASE("parse_status_capabilities reads every set and no_new_privs", "[capabilities]") {
  const auto t = parse_status_capabilities(kRootStatus);
  REQUIRE(t.has_value());
  CHECK(t->inheritable == 0);
  CHECK(t->permitted == kAll);
  CHECK(t->effective == kAll);
  CHECK(t->bounding == kAll);
  CHECK(t->ambient == 0);
  CHECK_FALSE(t->no_new_privs);

  const auto dropped = parse_status_capabilities(
      "CapInh:\t0000000000000000\nCapPrm:\t0000000000281000\nCapEff:\t0000000000281000\n"
      "CapBnd:\t0000000000281000\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n");
  REQUIRE(dropped.has_value());
  CHECK(dropped->permitted == (capability_bit(kCapNetAdmin) | capability_bit(kCapSysPtrace) | capability_bit(kCapSysAdmin)));
  CHECK(dropped->no_new_privs);
}

TEST_CASE("parse_status_capabilities refuses a status it cannot read whole", "[capabilities]") {
  std::string status = kRootStatus;
  SECTION("a set is missing") {
    status.erase(status.find("CapAmb"), std::string("CapAmb:\t0000000000000000\n").size());
    CHECK_FALSE(parse_status_capabilities(status).has_value());
  }
  SECTION("no NoNewPrivs line") {
    status.erase(status.find("NoNewPrivs"), std::string("NoNewPrivs:\t0\n").size());
    CHECK_FALSE(parse_status_capabilities(status).has_value());
  }
  SECTION("a value that is not hexadecimal") {
    status.replace(status.find("000001ffffffffff"), 16, "00000xffffffffff");
    CHECK_FALSE(parse_status_capabilities(status).has_value());
  }
  SECTION("a longer name that starts like one of ours does not count") {
    status.replace(status.find("CapEff"), 6, "CapEffX");
    CHECK_FALSE(parse_status_capabilities(status).has_value());
  }
  SECTION("empty: the thread ended") { CHECK_FALSE(parse_status_capabilities("").has_value()); }
}

TEST_CASE("holds_only: nothing outside the kept set in any set, and no_new_privs", "[capabilities]") {
  const CapabilityMask kept = capability_bit(kCapSysAdmin) | capability_bit(kCapNetAdmin);
  ThreadCapabilities t;
  t.permitted = t.effective = t.bounding = kept;
  t.no_new_privs = true;
  CHECK(holds_only(t, kept));
  CHECK(holds_only(ThreadCapabilities{0, 0, 0, 0, 0, true}, kept));  // less is fine
  auto with = [&](CapabilityMask ThreadCapabilities::*set) {
    auto u = t;
    u.*set |= capability_bit(kCapBpf);
    return holds_only(u, kept);
  };
  CHECK_FALSE(with(&ThreadCapabilities::inheritable));
  CHECK_FALSE(with(&ThreadCapabilities::permitted));
  CHECK_FALSE(with(&ThreadCapabilities::effective));
  CHECK_FALSE(with(&ThreadCapabilities::bounding));
  CHECK_FALSE(with(&ThreadCapabilities::ambient));
  t.no_new_privs = false;
  CHECK_FALSE(holds_only(t, kept));
}

TEST_CASE("capability names", "[capabilities]") {
  CHECK(capability_name(0) == "CAP_CHOWN");
  CHECK(capability_name(kCapSysAdmin) == "CAP_SYS_ADMIN");
  CHECK(capability_name(kCapBpf) == "CAP_BPF");
  CHECK(capability_name(40) == "CAP_CHECKPOINT_RESTORE");
  CHECK(capability_name(41) == "CAP_41");  // newer than this build
  CHECK(capability_names(0) == "none");
  CHECK(capability_names(capability_bit(kCapSysAdmin) | capability_bit(kCapNetAdmin)) == "CAP_NET_ADMIN, CAP_SYS_ADMIN");
}

TEST_CASE("parse_kernel_release takes major and minor", "[capabilities]") {
  const auto debian = parse_kernel_release("6.1.0-27-amd64");
  REQUIRE(debian.has_value());
  CHECK(debian->major == 6);
  CHECK(debian->minor == 1);
  const auto two_parts = parse_kernel_release("5.18");
  REQUIRE(two_parts.has_value());
  CHECK(two_parts->minor == 18);
  CHECK(two_parts->older_than(5, 19));
  CHECK_FALSE(debian->older_than(5, 19));
  CHECK_FALSE(parse_kernel_release("6").has_value());
  CHECK_FALSE(parse_kernel_release("linux-6.1").has_value());
  CHECK_FALSE(parse_kernel_release("").has_value());
}

TEST_CASE("capabilities_to_keep: what the running daemon uses, of what it holds", "[capabilities]") {
  const KernelVersion debian12{6, 1}, older{5, 15};
  SECTION("root, with or without BPF") {
    CHECK(caps(capabilities_to_keep(work(true, debian12, 2), kAll)) ==
          std::vector<int>{kCapSysAdmin, kCapSysPtrace, kCapNetAdmin});
    CHECK(caps(capabilities_to_keep(work(false, debian12, 2), kAll)) ==
          std::vector<int>{kCapSysAdmin, kCapSysPtrace, kCapNetAdmin});
  }
  SECTION("a container with the README's capabilities (no CAP_SYS_PTRACE to keep)") {
    CHECK(caps(capabilities_to_keep(work(true, debian12, 2), kContainer)) ==
          std::vector<int>{kCapSysAdmin, kCapNetAdmin});
  }
  SECTION("not root, no capabilities: nothing to keep") {
    CHECK(capabilities_to_keep(work(false, debian12, 2), 0).empty());
  }
  SECTION("before 5.19 with unprivileged BPF off, map access needs CAP_BPF unless CAP_SYS_ADMIN stays") {
    const CapabilityMask bpf_only = capability_bit(kCapBpf) | capability_bit(kCapPerfmon) | capability_bit(kCapNetAdmin);
    CHECK(caps(capabilities_to_keep(work(true, older, 2), bpf_only)) == std::vector<int>{kCapNetAdmin, kCapBpf});
    CHECK(caps(capabilities_to_keep(work(true, older, 2), kAll)) ==
          std::vector<int>{kCapSysAdmin, kCapSysPtrace, kCapNetAdmin});
    CHECK(caps(capabilities_to_keep(work(true, older, 0), bpf_only)) == std::vector<int>{kCapNetAdmin});
    CHECK(caps(capabilities_to_keep(work(false, older, 2), bpf_only)) == std::vector<int>{kCapNetAdmin});
    CHECK(caps(capabilities_to_keep(work(true, debian12, 2), bpf_only)) == std::vector<int>{kCapNetAdmin});
  }
  SECTION("a kernel or sysctl that cannot be read counts as the old, locked-down case") {
    const CapabilityMask bpf_only = capability_bit(kCapBpf) | capability_bit(kCapPerfmon);
    PrivilegedWork unknown;
    unknown.bpf_active = true;
    CHECK(caps(capabilities_to_keep(unknown, bpf_only)) == std::vector<int>{kCapBpf});
  }
  SECTION("never kept: what only loading, attaching and binding needed") {
    const CapabilityMask kept = mask_of(capabilities_to_keep(work(true, older, 2), kAll));
    for (int cap : {int{kCapBpf}, int{kCapPerfmon}, int{kCapSysResource}, int{kCapNetBindService}, int{kCapNetRaw},
                    int{kCapSysModule}, int{kCapDacOverride}, int{kCapSetpcap}}) {
      INFO(capability_name(cap));
      CHECK_FALSE(kept & capability_bit(cap));
    }
  }
}

TEST_CASE("describe: the log line names each capability kept and why", "[capabilities]") {
  DropReport report;
  report.kept = capabilities_to_keep(work(true, KernelVersion{6, 1}, 2), kAll);
  report.threads = 57;
  CHECK(describe(report) ==
        "kept CAP_SYS_ADMIN (setns into network namespaces), CAP_SYS_PTRACE (opening other processes' "
        "/proc/PID/ns/net), CAP_NET_ADMIN (subflow tokens from sock_diag, path-manager events); dropped the rest in "
        "every thread (57); no_new_privs set");
  DropReport none;
  none.bounding_dropped = false;
  none.threads = 3;
  CHECK(describe(none) ==
        "kept none; dropped the rest in every thread (3); bounding set unchanged (no CAP_SETPCAP); no_new_privs set");
}
