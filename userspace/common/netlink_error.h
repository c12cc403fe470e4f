#pragma once
// The errno an NLMSG_ERROR message carries, for every netlink decoder.
#include <optional>

namespace observer {

// The kernel writes a negative errno into nlmsgerr.error (0 acknowledges a
// request), never below -MAX_ERRNO (4095, include/linux/err.h). Anything
// else did not come from it: nullopt, rather than negating a value such as
// INT_MIN, which is undefined behaviour.
inline std::optional<int> netlink_errno(int error) {
  constexpr int kMaxErrno = 4095;
  if (error > 0 || error < -kMaxErrno) return std::nullopt;
  return -error;
}

}  // namespace observer
