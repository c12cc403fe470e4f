#pragma once
// Loads bpf/subflow_tracer.bpf.c, attaches it to a cgroup v2 subtree, and
// consumes its ring buffer on a thread of its own ("bpf-events"). Anything
// that keeps it from running (no privileges, no BTF, no cgroup2, an old
// kernel) is one line in `why`, and the daemon carries on without it.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sources/bpf/outbound_handshakes.h"
#include "sources/bpf/tracer_object.h"
#include "events/mptcp_event.h"
#include "mptcp_events.h"

struct ring_buffer;

namespace observer::bpf {

struct BpfOptions {
  std::string cgroup_path;  // empty: the root of the cgroup2 mount
  uint32_t ringbuf_bytes = MPO_DEFAULT_RINGBUF_BYTES;
  bool probe_reads = false;  // load the probe-read build even where the typed one loads
};

struct BpfCounters {
  uint64_t lost = 0;       // events the kernel side could not queue (ring buffer full)
  uint64_t received = 0;   // events decoded here
  uint64_t malformed = 0;  // records that did not decode
};

class BpfSubflowSource {
 public:
  // Given the decoded event to complete and keep as it likes: no copy per event.
  using Sink = std::function<void(MptcpEvent &)>;

  // nullptr with `why` set when the source cannot run here.
  static std::unique_ptr<BpfSubflowSource> start(const BpfOptions &options, Sink sink, std::string &why);
  ~BpfSubflowSource();

  BpfCounters counters() const;
  // Still delivering events: false after the ring buffer failed.
  bool running() const { return running_; }
  // Whether an event stream is open: the BPF side sends what only the
  // stream shows (an outbound initial subflow's created event) only then.
  void set_stream_watched(bool watched);
  // Makes the kernel's MPTCP-listener set for one namespace equal `ports`.
  void sync_listeners(uint32_t netns, const std::vector<uint16_t> &ports);
  const std::string &cgroup_path() const { return cgroup_path_; }
  // Which build of the program runs (see tracer_object.h).
  SubflowReads reads() const { return tracer_->reads(); }

 private:
  BpfSubflowSource() = default;
  void consume();
  static int on_record(void *self, void *data, size_t size);

  struct RingDeleter { void operator()(ring_buffer *r) const; };
  std::unique_ptr<TracerObject> tracer_;
  std::unique_ptr<ring_buffer, RingDeleter> ring_;
  Sink sink_;
  OutboundHandshakes handshakes_;  // consumer thread only
  std::string cgroup_path_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{true};  // false once the consumer gave up on the ring
  std::atomic<uint64_t> received_{0}, malformed_{0};
  std::thread consumer_;
};

}  // namespace observer::bpf
