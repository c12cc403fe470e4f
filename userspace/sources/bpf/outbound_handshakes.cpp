#include "sources/bpf/outbound_handshakes.h"

#include <iterator>

namespace observer::bpf {
namespace {
constexpr uint64_t kSweepEveryNs = 10ull * 1000 * 1000 * 1000;
}

void OutboundHandshakes::on_event(MptcpEvent &e) {
  if (e.direction != Direction::outbound) return;
  switch (e.type) {
    case EventType::subflow_created: {
      // Swept on a clock, never per event: when full of SYNs too young to
      // forget (a flood of connects to nowhere), a sweep per event would
      // scan the whole set each time and stall the consumer.
      if (e.timestamp_ns - last_sweep_ns_ > kSweepEveryNs) {
        last_sweep_ns_ = e.timestamp_ns;
        if (e.timestamp_ns > kForgetAfterNs) forget_older_than(e.timestamp_ns - kForgetAfterNs);
      }
      // A subflow that connects again (MPTCP reuses its first subflow after
      // a failed attempt) starts its clock again.
      if (sent_ns_.size() < kMaxPending || sent_ns_.count(e.cookie)) sent_ns_[e.cookie] = e.timestamp_ns;
      break;
    }
    case EventType::subflow_established:
    case EventType::fallback:
    case EventType::join_failed: {
      const auto it = sent_ns_.find(e.cookie);
      if (it == sent_ns_.end()) break;
      if (e.duration_ns == 0 && e.timestamp_ns >= it->second) e.duration_ns = e.timestamp_ns - it->second;
      sent_ns_.erase(it);
      break;
    }
    case EventType::subflow_closed: sent_ns_.erase(e.cookie); break;
    default: break;
  }
}

void OutboundHandshakes::forget_older_than(uint64_t cutoff_ns) {
  for (auto it = sent_ns_.begin(); it != sent_ns_.end();) {
    it = it->second < cutoff_ns ? sent_ns_.erase(it) : std::next(it);
  }
}

}  // namespace observer::bpf
