#pragma once
// When the BPF side wakes the ring buffer's consumer. It wakes it only once
// the ring is a quarter full (otherwise the consumer's poll timeout drains
// it), and looks at the fill level only on every few events of a CPU,
// because that look costs each event a cache miss on the consumer's
// position. The interval is chosen so that what all CPUs queue between two
// looks fits in a sixteenth of the ring.
#include <cstdint>

namespace observer::bpf {

struct RingWakeup {
  uint64_t above_bytes = 0;  // wake once more than this is queued
  uint64_t check_mask = 0;   // look on every (check_mask + 1)-th event of a CPU
};

RingWakeup ring_wakeup_for(uint64_t ring_bytes, unsigned cpus);

}  // namespace observer::bpf
