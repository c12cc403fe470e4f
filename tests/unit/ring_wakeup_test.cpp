// When the BPF side wakes the ring's consumer: at a quarter full, looked at
// often enough that what CPUs queue unseen cannot fill the ring.
#include "sources/bpf/ring_wakeup.h"

#include <catch2/catch.hpp>

#include "mptcp_events.h"

using observer::bpf::ring_wakeup_for;

TEST_CASE("the consumer is woken once the ring is a quarter full") {
  CHECK(ring_wakeup_for(MPO_DEFAULT_RINGBUF_BYTES, 2).above_bytes == MPO_DEFAULT_RINGBUF_BYTES / 4);
  CHECK(ring_wakeup_for(4096, 1).above_bytes == 1024);
}

TEST_CASE("the fill level is looked at often enough that unseen events fit in a sixteenth of the ring") {
  constexpr uint64_t record = sizeof(mpo_event) + 8;
  for (const uint64_t ring : {4096ull, 65536ull, 1ull << 20, 1ull << 30}) {
    for (const unsigned cpus : {1u, 2u, 8u, 64u, 1024u}) {
      const auto w = ring_wakeup_for(ring, cpus);
      const uint64_t interval = w.check_mask + 1;
      INFO("ring " << ring << " cpus " << cpus << " interval " << interval);
      CHECK((interval & w.check_mask) == 0);  // a power of two
      CHECK(interval <= 16);
      // Every CPU queues at most interval - 1 events past the mark unseen.
      CHECK((interval == 1 || cpus * (interval - 1) * record <= ring / 16));
    }
  }
}

TEST_CASE("a large ring on a small machine looks every sixteenth event, the smallest ring every event") {
  CHECK(ring_wakeup_for(MPO_DEFAULT_RINGBUF_BYTES, 2).check_mask == 15);
  CHECK(ring_wakeup_for(4096, 2).check_mask == 0);
  CHECK(ring_wakeup_for(MPO_DEFAULT_RINGBUF_BYTES, 1024).check_mask == 0);
}
