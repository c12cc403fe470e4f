#pragma once
// Where cgroup v2 is mounted: /sys/fs/cgroup on unified hosts,
// /sys/fs/cgroup/unified on hybrid ones. Read from /proc/mounts, never
// guessed.
#include <optional>
#include <string>
#include <string_view>

#include "common/unique_fd.h"

namespace observer::bpf {

// The first cgroup2 mount point in /proc/mounts text (octal escapes such as
// \040 decoded), or nullopt.
std::optional<std::string> find_cgroup2_mount(std::string_view proc_mounts);

std::optional<std::string> cgroup2_mount_point();

// An fd on the root of the cgroup v2 hierarchy, and a name for it in logs.
// Without a cgroup2 mount in our mount namespace (`ip netns exec` gives a
// fresh /sys without one) a detached cgroup2 mount is made with the new
// mount API: it is attached nowhere, so nobody else sees it.
UniqueFd open_cgroup2_root(std::string &name, std::string &why);

}  // namespace observer::bpf
