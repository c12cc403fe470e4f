#pragma once
// The clocks as nanosecond counts. CLOCK_MONOTONIC is what the kernel
// stamps BPF events with (bpf_ktime_get_ns), so every timestamp of the
// connection table is on it; CLOCK_REALTIME only turns one into wall time.
#include <ctime>

#include <cstdint>

namespace observer {

inline uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

inline int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace observer
