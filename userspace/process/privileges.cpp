#include "process/privileges.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <string>

#include "common/log.h"
#include "common/read_file.h"
#include "process/capabilities.h"
#include "process/every_thread.h"

namespace observer::process {
namespace {
constexpr const char *kLog = "privileges";
// A thread answers the signal within microseconds unless it is stopped;
// start-up can afford to wait for a slow one.
constexpr std::chrono::milliseconds kPatience{5000};

struct DropPlan {
  CapabilityMask keep = 0;
  bool drop_bounding = false;  // CAP_SETPCAP is held: the bounding set can shrink
};
// Static: a thread that runs the step late still finds it (every_thread.h).
DropPlan g_plan;

struct CapabilitySets {
  CapabilityMask effective = 0, permitted = 0;
};

std::optional<CapabilitySets> own_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return std::nullopt;
  CapabilitySets sets;
  sets.effective = data[0].effective | (CapabilityMask{data[1].effective} << 32);
  sets.permitted = data[0].permitted | (CapabilityMask{data[1].permitted} << 32);
  return sets;
}

// The step each thread runs on itself, in a signal handler on all but the
// first: system calls only. Idempotent, since a thread started during the
// drop may be asked twice: it drops from the bounding set only what is
// still there (PR_CAPBSET_DROP needs CAP_SETPCAP even for a capability
// already gone), and keeps only what it still holds.
int drop_on_this_thread(const void *context) {
  const auto &plan = *static_cast<const DropPlan *>(context);
  // First, while CAP_SETPCAP is still effective.
  if (plan.drop_bounding) {
    for (int cap = 0; cap < 64; ++cap) {
      if (plan.keep & capability_bit(cap)) continue;
      const int present = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
      if (present < 0) break;  // EINVAL: past the kernel's last capability
      if (present == 1 && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) return errno;
    }
  }
  // capset() below clears ambient capabilities that leave the permitted or
  // inheritable set; clear them all anyway, whatever the kernel's rules.
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) return errno;
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return errno;
  const CapabilityMask permitted = data[0].permitted | (CapabilityMask{data[1].permitted} << 32);
  const CapabilityMask keep = plan.keep & permitted;
  for (int half = 0; half < 2; ++half) {
    const auto bits = static_cast<uint32_t>(keep >> (32 * half));
    data[half].effective = bits;
    data[half].permitted = bits;
    data[half].inheritable = 0;
  }
  if (syscall(SYS_capset, &header, data) != 0) return errno;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return errno;
  return 0;
}

PrivilegedWork describe_work(RunningSources sources) {
  PrivilegedWork work;
  work.bpf_active = sources.bpf;
  utsname names{};
  if (uname(&names) == 0) work.kernel = parse_kernel_release(names.release);
  const std::string sysctl = read_small_file("/proc/sys/kernel/unprivileged_bpf_disabled");
  int value = 0;
  const auto [end, ec] = std::from_chars(sysctl.data(), sysctl.data() + sysctl.size(), value);
  if (ec == std::errc() && end != sysctl.data()) work.unprivileged_bpf_disabled = value;
  return work;
}

// Every thread's status, as the kernel reports it: the proof that no
// thread was missed. Threads that appear meanwhile inherit from one that
// dropped, and are checked too.
std::vector<pid_t> threads_holding_more(CapabilityMask keep, bool bounding_dropped) {
  std::vector<pid_t> over;
  for (const pid_t tid : list_threads()) {
    const std::string status = read_small_file(("/proc/self/task/" + std::to_string(tid) + "/status").c_str());
    if (status.empty()) continue;  // it ended
    auto caps = parse_status_capabilities(status);
    if (caps && !bounding_dropped) caps->bounding = 0;
    if (!caps || !holds_only(*caps, keep)) over.push_back(tid);
  }
  return over;
}

std::string tid_list(const std::vector<pid_t> &tids) {
  std::string out;
  for (const pid_t tid : tids) out += (out.empty() ? "" : " ") + std::to_string(tid);
  return out;
}
}  // namespace

bool drop_privileges_after_start(RunningSources sources) {
  const auto held = own_capabilities();
  if (!held) {
    log::warn(kLog, std::string("cannot read this process's capabilities (capget: ") + std::strerror(errno) +
                        "); keeping them");
    return false;
  }
  DropReport report;
  report.kept = capabilities_to_keep(describe_work(sources), held->permitted);
  g_plan.keep = mask_of(report.kept);
  g_plan.drop_bounding = held->effective & capability_bit(kCapSetpcap);
  report.bounding_dropped = g_plan.drop_bounding;

  const auto started = std::chrono::steady_clock::now();
  const auto result = run_on_every_thread(drop_on_this_thread, &g_plan, kPatience);
  const auto took_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
  if (result.threads == 0) {
    log::warn(kLog, std::string("cannot drop capabilities: ") + std::strerror(result.error) + "; keeping " +
                        capability_names(held->permitted));
    return false;
  }
  report.threads = result.threads;
  const auto over = threads_holding_more(g_plan.keep, g_plan.drop_bounding);
  if (!over.empty() || result.error) {
    std::string line = "capabilities beyond " + capability_names(g_plan.keep) + " or no no_new_privs remain in " +
                       std::to_string(over.size()) + " thread(s)";
    if (!over.empty()) line += " (" + tid_list(over) + ")";
    if (result.error) line += std::string("; a thread's drop failed: ") + std::strerror(result.error);
    if (!result.missed.empty()) line += "; did not answer: " + tid_list(result.missed);
    log::error(kLog, line);
    return false;
  }
  log::info(kLog, describe(report));
  log::debug(kLog, "dropped in " + std::to_string(result.threads) + " threads in " + std::to_string(took_us) + " us");
  return true;
}

}  // namespace observer::process
