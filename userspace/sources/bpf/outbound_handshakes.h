#pragma once
// Times outbound joins from their SYN. The BPF side keeps no state per
// subflow (creating and freeing socket storage for each would be most of
// its cost under connection churn), so the time from a join's created event
// to its establishment (the peer's acceptance of it, one round trip after
// its SYN-ACK) or its failure is measured here, from the events' kernel
// timestamps. An initial subflow's established or fallback event carries
// the kernel's first RTT sample instead, which is kept. Used by the one
// ring-buffer consumer thread: no lock.
#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "events/mptcp_event.h"

namespace observer::bpf {

class OutboundHandshakes {
 public:
  // A SYN still unanswered after this long is forgotten: initial subflows
  // whose connect fails close without an event, and the kernel gives up on
  // a SYN after about two minutes (tcp_syn_retries 6).
  static constexpr uint64_t kForgetAfterNs = 300ull * 1000 * 1000 * 1000;
  // Beyond this many unanswered SYNs (a flood of connects to nowhere), new
  // ones go untimed rather than growing the daemon without bound.
  static constexpr size_t kMaxPending = 1u << 18;

  // Fills e.duration_ns of an outbound established, fallback or join_failed
  // event when its created event was seen; remembers created events.
  void on_event(MptcpEvent &e);
  size_t pending() const { return sent_ns_.size(); }

 private:
  void forget_older_than(uint64_t cutoff_ns);

  std::unordered_map<uint64_t, uint64_t> sent_ns_;  // cookie -> created event's timestamp
  uint64_t last_sweep_ns_ = 0;
};

}  // namespace observer::bpf
