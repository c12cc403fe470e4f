#pragma once
// The net.mptcp sysctls that explain missing subflows, as this process's
// network namespace has them (/proc/sys/net/mptcp is per namespace).
#include <optional>
#include <string>
#include <string_view>

namespace observer::procfs {

struct MptcpSysctls {
  std::optional<bool> enabled;  // net.mptcp.enabled; nullopt without MPTCP
  // "kernel" or "userspace": net.mptcp.path_manager (6.15+), else pm_type
  // (5.19+: 0 in-kernel, 1 userspace); nullopt when neither exists.
  std::optional<std::string> path_manager;
};

// From the files' contents; empty text means the file does not exist.
std::optional<bool> parse_enabled(std::string_view enabled);
std::optional<std::string> parse_path_manager(std::string_view path_manager, std::string_view pm_type);

MptcpSysctls read_mptcp_sysctls();
std::optional<std::string> read_path_manager();

}  // namespace observer::procfs
