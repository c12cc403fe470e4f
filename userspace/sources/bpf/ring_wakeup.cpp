#include "sources/bpf/ring_wakeup.h"

#include <algorithm>

#include "mptcp_events.h"

namespace observer::bpf {
namespace {
// Each record carries the ring's 8-byte header.
constexpr uint64_t kRecordBytes = sizeof(mpo_event) + 8;
// Beyond this the looks are rare enough that their cost is noise.
constexpr uint64_t kMaxInterval = 16;
}  // namespace

RingWakeup ring_wakeup_for(uint64_t ring_bytes, unsigned cpus) {
  RingWakeup w;
  w.above_bytes = ring_bytes / 4;
  const uint64_t unseen_records = ring_bytes / 16 / kRecordBytes / std::max(cpus, 1u);
  uint64_t interval = 1;
  while (interval * 2 <= std::min(unseen_records, kMaxInterval)) interval *= 2;
  w.check_mask = interval - 1;
  return w;
}

}  // namespace observer::bpf
