#pragma once
// What the daemon keeps of its capabilities once it serves, and why: the
// pure part of dropping privileges (privileges.h does the syscalls).
// Capability sets are 64-bit masks, bit N for capability N, as the kernel
// shows them in /proc/PID/status (CapEff: 000001ffffffffff).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace observer::process {

using CapabilityMask = uint64_t;

// The numbers of <linux/capability.h> that this code names; the kernel's
// headers lack CAP_PERFMON and CAP_BPF before 5.8.
enum Capability : int {
  kCapDacOverride = 1,
  kCapSetpcap = 8,
  kCapNetBindService = 10,
  kCapNetAdmin = 12,
  kCapNetRaw = 13,
  kCapSysModule = 16,
  kCapSysPtrace = 19,
  kCapSysAdmin = 21,
  kCapSysResource = 24,
  kCapPerfmon = 38,
  kCapBpf = 39,
};

constexpr CapabilityMask capability_bit(int cap) { return CapabilityMask{1} << cap; }

// "CAP_SYS_ADMIN"; "CAP_63" for a number this build does not know.
std::string capability_name(int cap);
// "CAP_NET_ADMIN, CAP_SYS_ADMIN" in ascending order; "none" for an empty mask.
std::string capability_names(CapabilityMask mask);

// One thread's credentials as /proc/PID/task/TID/status shows them.
struct ThreadCapabilities {
  CapabilityMask inheritable = 0, permitted = 0, effective = 0, bounding = 0, ambient = 0;
  bool no_new_privs = false;
};
// The CapInh, CapPrm, CapEff, CapBnd, CapAmb and NoNewPrivs lines of a
// status file; nullopt when one is missing or not a number (CapAmb and
// NoNewPrivs exist since 4.3 and 4.10, older than any kernel we load on).
std::optional<ThreadCapabilities> parse_status_capabilities(std::string_view status);

// True when `t` holds nothing outside `kept` in any set and has
// no_new_privs: what a thread looks like after the drop.
bool holds_only(const ThreadCapabilities &t, CapabilityMask kept);

// "6.1.0-27-amd64" -> {6, 1}; nullopt when it does not start with N.N.
struct KernelVersion {
  int major = 0, minor = 0;
  bool older_than(int ma, int mi) const { return major < ma || (major == ma && minor < mi); }
};
std::optional<KernelVersion> parse_kernel_release(std::string_view release);

// What the daemon does after start-up that needs a capability.
struct PrivilegedWork {
  bool bpf_active = false;  // the BPF source runs (map reads and updates on its fds)
  std::optional<KernelVersion> kernel;
  // kernel.unprivileged_bpf_disabled; nullopt when unreadable (taken as set).
  std::optional<int> unprivileged_bpf_disabled;
};

struct KeptCapability {
  int cap;
  std::string_view reason;  // a few words, for the log line
};

// Of the capabilities in `permitted`, those the running daemon still uses,
// each with why; every other one can go once BPF is attached and the
// listeners are open.
std::vector<KeptCapability> capabilities_to_keep(const PrivilegedWork &work, CapabilityMask permitted);
CapabilityMask mask_of(const std::vector<KeptCapability> &kept);

// The one line that says what the daemon kept:
//   kept CAP_SYS_ADMIN (setns into network namespaces), ...; dropped the rest; no_new_privs set
struct DropReport {
  std::vector<KeptCapability> kept;
  bool bounding_dropped = true;  // false without CAP_SETPCAP: the bounding set stays as it was
  size_t threads = 0;
};
std::string describe(const DropReport &report);

}  // namespace observer::process
