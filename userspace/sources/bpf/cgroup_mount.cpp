#include "sources/bpf/cgroup_mount.h"

#include "common/read_file.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>


namespace observer::bpf {
namespace {
std::string unescape_mount_path(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() &&
        s.substr(i + 1, 3).find_first_not_of("01234567") == std::string_view::npos) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}
}  // namespace

std::optional<std::string> find_cgroup2_mount(std::string_view proc_mounts) {
  while (!proc_mounts.empty()) {
    const auto nl = proc_mounts.find('\n');
    std::string_view line = proc_mounts.substr(0, nl);
    proc_mounts = nl == std::string_view::npos ? std::string_view{} : proc_mounts.substr(nl + 1);
    // device mountpoint fstype options dump pass
    const auto a = line.find(' ');
    if (a == std::string_view::npos) continue;
    const auto b = line.find(' ', a + 1);
    if (b == std::string_view::npos) continue;
    const auto c = line.find(' ', b + 1);
    const std::string_view fstype = line.substr(b + 1, c == std::string_view::npos ? std::string_view::npos : c - b - 1);
    if (fstype == "cgroup2") return unescape_mount_path(line.substr(a + 1, b - a - 1));
  }
  return std::nullopt;
}

std::optional<std::string> cgroup2_mount_point() { return find_cgroup2_mount(read_small_file("/proc/mounts")); }

UniqueFd open_cgroup2_root(std::string &name, std::string &why) {
  if (const auto mount = cgroup2_mount_point()) {
    name = *mount;
    UniqueFd fd(open(mount->c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!fd) why = "cannot open cgroup " + *mount + ": " + std::strerror(errno);
    return fd;
  }
  UniqueFd context(static_cast<int>(syscall(SYS_fsopen, "cgroup2", FSOPEN_CLOEXEC)));
  if (!context || syscall(SYS_fsconfig, context.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) != 0) {
    why = std::string("no cgroup v2 mount in /proc/mounts, and none could be made (") + std::strerror(errno) +
          "); sock_ops programs attach to a cgroup v2: mount one or use --cgroup PATH";
    return UniqueFd();
  }
  UniqueFd mount(static_cast<int>(syscall(SYS_fsmount, context.get(), FSMOUNT_CLOEXEC, 0)));
  if (!mount) {
    why = std::string("cannot make a cgroup2 mount: ") + std::strerror(errno);
    return UniqueFd();
  }
  name = "the cgroup2 root (mounted privately: none is mounted in this mount namespace)";
  return mount;
}

}  // namespace observer::bpf
