#pragma once
// Where cgroup v2 is mounted: /sys/fs/cgroup on unified hosts,
// /sys/fs/cgroup/unified on hybrid ones. Read from /proc/mounts, never
// guessed.
#include <optional>
#include <string>
#include <string_view>

namespace observer::bpf {

// The first cgroup2 mount point in /proc/mounts text (octal escapes such as
// \040 decoded), or nullopt.
std::optional<std::string> find_cgroup2_mount(std::string_view proc_mounts);

std::optional<std::string> cgroup2_mount_point();

}  // namespace observer::bpf
