#include "sources/procfs/mptcp_sysctl.h"

#include "common/read_file.h"

namespace observer::procfs {
namespace {
std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}
}  // namespace

std::optional<bool> parse_enabled(std::string_view enabled) {
  enabled = trimmed(enabled);
  if (enabled == "0") return false;
  if (enabled == "1") return true;
  return std::nullopt;
}

std::optional<std::string> parse_path_manager(std::string_view path_manager, std::string_view pm_type) {
  // path_manager names it; a kernel that has both keeps them in step.
  if (const auto name = trimmed(path_manager); !name.empty()) return std::string(name);
  const auto type = trimmed(pm_type);
  if (type == "0") return "kernel";
  if (type == "1") return "userspace";
  return std::nullopt;
}

std::optional<std::string> read_path_manager() {
  return parse_path_manager(read_small_file("/proc/sys/net/mptcp/path_manager"),
                            read_small_file("/proc/sys/net/mptcp/pm_type"));
}

MptcpSysctls read_mptcp_sysctls() {
  MptcpSysctls s;
  s.enabled = parse_enabled(read_small_file("/proc/sys/net/mptcp/enabled"));
  s.path_manager = read_path_manager();
  return s;
}

}  // namespace observer::procfs
