#include "sources/bpf/cgroup_mount.h"

#include <fstream>
#include <sstream>

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

std::optional<std::string> cgroup2_mount_point() {
  std::ifstream in("/proc/mounts");
  std::stringstream text;
  text << in.rdbuf();
  return find_cgroup2_mount(text.str());
}

}  // namespace observer::bpf
