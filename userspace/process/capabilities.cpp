#include "process/capabilities.h"

#include <array>
#include <charconv>

namespace observer::process {
namespace {
// Index = capability number (include/uapi/linux/capability.h, up to 5.9's
// CAP_CHECKPOINT_RESTORE).
constexpr std::array<std::string_view, 41> kNames = {
    "CAP_CHOWN",          "CAP_DAC_OVERRIDE",  "CAP_DAC_READ_SEARCH", "CAP_FOWNER",        "CAP_FSETID",
    "CAP_KILL",           "CAP_SETGID",        "CAP_SETUID",          "CAP_SETPCAP",       "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",     "CAP_NET_RAW",       "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",      "CAP_SYS_MODULE",    "CAP_SYS_RAWIO",       "CAP_SYS_CHROOT",    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",      "CAP_SYS_ADMIN",     "CAP_SYS_BOOT",        "CAP_SYS_NICE",      "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",          "CAP_LEASE",         "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",  "CAP_SETFCAP",       "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",     "CAP_SYSLOG",
    "CAP_WAKE_ALARM",     "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",      "CAP_PERFMON",       "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE"};

std::optional<uint64_t> parse_hex(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

// The value of "Name:\tvalue" in a status file, without surrounding blanks.
std::optional<std::string_view> field(std::string_view status, std::string_view name) {
  size_t at = 0;
  while (at < status.size()) {
    const size_t eol = std::min(status.find('\n', at), status.size());
    std::string_view line = status.substr(at, eol - at);
    at = eol + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name || line[name.size()] != ':') continue;
    line.remove_prefix(name.size() + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) line.remove_suffix(1);
    return line;
  }
  return std::nullopt;
}
}  // namespace

std::string capability_name(int cap) {
  if (cap >= 0 && static_cast<size_t>(cap) < kNames.size()) return std::string(kNames[cap]);
  return "CAP_" + std::to_string(cap);
}

std::string capability_names(CapabilityMask mask) {
  std::string out;
  for (int cap = 0; cap < 64; ++cap) {
    if (!(mask & capability_bit(cap))) continue;
    if (!out.empty()) out += ", ";
    out += capability_name(cap);
  }
  return out.empty() ? "none" : out;
}

std::optional<ThreadCapabilities> parse_status_capabilities(std::string_view status) {
  ThreadCapabilities t;
  const std::pair<std::string_view, CapabilityMask *> masks[] = {
      {"CapInh", &t.inheritable}, {"CapPrm", &t.permitted}, {"CapEff", &t.effective},
      {"CapBnd", &t.bounding},    {"CapAmb", &t.ambient}};
  for (const auto &[name, out] : masks) {
    const auto text = field(status, name);
    const auto value = text ? parse_hex(*text) : std::nullopt;
    if (!value) return std::nullopt;
    *out = *value;
  }
  const auto nnp = field(status, "NoNewPrivs");
  if (!nnp || (*nnp != "0" && *nnp != "1")) return std::nullopt;
  t.no_new_privs = *nnp == "1";
  return t;
}

bool holds_only(const ThreadCapabilities &t, CapabilityMask kept) {
  const CapabilityMask held = t.inheritable | t.permitted | t.effective | t.bounding | t.ambient;
  return (held & ~kept) == 0 && t.no_new_privs;
}

std::optional<KernelVersion> parse_kernel_release(std::string_view release) {
  KernelVersion v;
  const char *p = release.data(), *end = release.data() + release.size();
  auto r = std::from_chars(p, end, v.major);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != '.') return std::nullopt;
  r = std::from_chars(r.ptr + 1, end, v.minor);
  if (r.ec != std::errc()) return std::nullopt;
  return v;
}

std::vector<KeptCapability> capabilities_to_keep(const PrivilegedWork &work, CapabilityMask permitted) {
  std::vector<KeptCapability> kept;
  const auto keep = [&](int cap, std::string_view reason) {
    if (permitted & capability_bit(cap)) kept.push_back({cap, reason});
  };
  // The reconciler and the path-manager source enter every network
  // namespace they find, at each interval: setns(CLONE_NEWNET) needs it.
  keep(kCapSysAdmin, "setns into network namespaces");
  // Finding a process's namespace opens /proc/PID/ns/net, which the kernel
  // allows only under ptrace read access: without it, the namespaces of
  // other users' processes and of root processes holding capabilities we
  // dropped vanish from the walk, and with them the daemon's certainty
  // that a namespace it does not list is gone.
  keep(kCapSysPtrace, "opening other processes' /proc/PID/ns/net");
  // sock_diag tells an MPTCP subflow from plain TCP, and which connection
  // it belongs to, by its INET_DIAG_ULP_INFO: tcp_diag_get_aux() adds it
  // (or, in later kernels, its token) only for a caller with CAP_NET_ADMIN,
  // checked at every dump. The path-manager source joins mptcp_pm_events
  // (GENL_UNS_ADMIN_PERM) when an event stream opens, and in every
  // namespace that appears later.
  keep(kCapNetAdmin, "subflow tokens from sock_diag, path-manager events");
  // Before 5.19 (c8644cd0efe7, "bpf: refine kernel.unprivileged_bpf_disabled
  // behaviour"), that sysctl made every bpf() command need CAP_BPF or
  // CAP_SYS_ADMIN, map lookups and updates on fds we hold included.
  // CAP_SYS_ADMIN, when kept, already passes that test.
  const bool old_kernel = !work.kernel || work.kernel->older_than(5, 19);
  const bool unprivileged_bpf_off = work.unprivileged_bpf_disabled.value_or(1) != 0;
  if (work.bpf_active && old_kernel && unprivileged_bpf_off && !(permitted & capability_bit(kCapSysAdmin))) {
    keep(kCapBpf, "BPF map access before Linux 5.19");
  }
  return kept;
}

CapabilityMask mask_of(const std::vector<KeptCapability> &kept) {
  CapabilityMask mask = 0;
  for (const auto &k : kept) mask |= capability_bit(k.cap);
  return mask;
}

std::string describe(const DropReport &report) {
  std::string out = "kept ";
  if (report.kept.empty()) out += "none";
  for (size_t i = 0; i < report.kept.size(); ++i) {
    if (i) out += ", ";
    out += capability_name(report.kept[i].cap) + " (" + std::string(report.kept[i].reason) + ")";
  }
  out += "; dropped the rest in every thread (" + std::to_string(report.threads) + ")";
  if (!report.bounding_dropped) out += "; bounding set unchanged (no CAP_SETPCAP)";
  out += "; no_new_privs set";
  return out;
}

}  // namespace observer::process
