// find_cgroup2_mount reads /proc/mounts text; these fixtures are what
// unified, hybrid and legacy hosts show.
#include "sources/bpf/cgroup_mount.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>

using observer::bpf::find_cgroup2_mount;

namespace {
// Debian 12, Fedora, Ubuntu 22.04: only cgroup v2.
constexpr const char *kUnifiedHost =
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
    "udev /dev devtmpfs rw,nosuid,relatime,size=4010164k,nr_inodes=1002541,mode=755,inode64 0 0\n"
    "/dev/sda1 / ext4 rw,relatime,errors=remount-ro 0 0\n"
    "securityfs /sys/kernel/security securityfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate,memory_recursiveprot 0 0\n"
    "bpf /sys/fs/bpf bpf rw,nosuid,nodev,noexec,relatime,mode=700 0 0\n";

// Ubuntu 20.04, CentOS 8 with systemd's hybrid layout: v1 controllers and
// a v2 hierarchy at /sys/fs/cgroup/unified.
constexpr const char *kHybridHost =
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0\n"
    "cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime,nsdelegate 0 0\n"
    "cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0\n"
    "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0\n"
    "cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0\n";

// CentOS 7 and old containers: cgroup v1 only.
constexpr const char *kLegacyHost =
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "tmpfs /sys/fs/cgroup tmpfs ro,nosuid,nodev,noexec,mode=755 0 0\n"
    "cgroup /sys/fs/cgroup/systemd cgroup rw,nosuid,nodev,noexec,relatime,xattr,name=systemd 0 0\n"
    "cgroup /sys/fs/cgroup/net_cls,net_prio cgroup rw,nosuid,nodev,noexec,relatime,net_cls,net_prio 0 0\n";
}  // namespace

TEST_CASE("find_cgroup2_mount finds the cgroup v2 hierarchy", "[cgroup_mount]") {
  struct Case {
    const char *host;
    const char *mounts;
    std::optional<std::string> expected;
  };
  const auto c = GENERATE(values<Case>({
      {"unified", kUnifiedHost, "/sys/fs/cgroup"},
      {"hybrid", kHybridHost, "/sys/fs/cgroup/unified"},
      {"cgroup v1 only", kLegacyHost, std::nullopt},
      {"empty /proc/mounts", "", std::nullopt},
      {"only newlines", "\n\n\n", std::nullopt},
      {"no trailing newline", "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0", "/sys/fs/cgroup"},
      {"fields only up to the type", "none /cg cgroup2", "/cg"},
      // The type column decides, not the device name nor the path.
      {"device named cgroup2, type cgroup", "cgroup2 /sys/fs/cgroup/cpu cgroup rw 0 0\n", std::nullopt},
      {"path mentions cgroup2", "tmpfs /run/cgroup2 tmpfs rw 0 0\n", std::nullopt},
      {"type cgroup2fs is not cgroup2", "x /y cgroup2fs rw 0 0\n", std::nullopt},
      {"the first of two cgroup2 mounts",
       "none /a cgroup2 rw 0 0\nnone /b cgroup2 rw 0 0\n", "/a"},
      {"lines with too few fields are skipped", "garbage\nonly-two fields\ncgroup2 /ok cgroup2 rw 0 0\n", "/ok"},
  }));
  INFO(c.host);
  CHECK(find_cgroup2_mount(c.mounts) == c.expected);
}

TEST_CASE("find_cgroup2_mount decodes octal escapes in the mount point", "[cgroup_mount]") {
  // The kernel writes space, tab, newline and backslash in paths as \ooo.
  struct Case {
    const char *line;
    const char *expected;
  };
  const auto c = GENERATE(values<Case>({
      {"cgroup2 /mnt/my\\040cgroup cgroup2 rw 0 0\n", "/mnt/my cgroup"},
      {"cgroup2 /mnt/tab\\011here cgroup2 rw 0 0\n", "/mnt/tab\there"},
      {"cgroup2 /mnt/back\\134slash cgroup2 rw 0 0\n", "/mnt/back\\slash"},
      {"cgroup2 /mnt/a\\040b\\040c cgroup2 rw 0 0\n", "/mnt/a b c"},
      {"cgroup2 /mnt/ends\\040 cgroup2 rw 0 0\n", "/mnt/ends "},  // an escape at the very end
      {"cgroup2 /mnt/not\\04x cgroup2 rw 0 0\n", "/mnt/not\\04x"},  // not three octal digits: kept
      {"cgroup2 /mnt/not\\089 cgroup2 rw 0 0\n", "/mnt/not\\089"},  // 8 and 9 are not octal
  }));
  INFO(c.line);
  const auto mount = find_cgroup2_mount(c.line);
  REQUIRE(mount.has_value());
  CHECK(*mount == c.expected);
}
