#pragma once
// bpf/subflow_tracer.bpf.c is built twice (bpf/CMakeLists.txt): one object
// reads the subflow context through a typed pointer (bpf_rdonly_cast, Linux
// 6.2+), the other with a probe read a callback (5.10+), which costs about
// 0.4 us more a churned connection. TracerObject is either one, opened,
// sized and loaded, behind one face, so that the source needs to know which
// only to say so.
#include <cstdint>
#include <functional>
#include <memory>

#include "sources/bpf/ring_wakeup.h"

struct bpf_link;
struct bpf_map;
struct bpf_program;

namespace observer::bpf {

enum class SubflowReads { typed, probed };
const char *subflow_reads_name(SubflowReads reads);

class TracerObject {
 public:
  // nullptr, with a negative errno in `err`, when it does not load.
  static std::unique_ptr<TracerObject> load(SubflowReads reads, uint32_t ringbuf_bytes, const RingWakeup &wakeup,
                                            int &err);
  ~TracerObject();
  TracerObject(const TracerObject &) = delete;
  TracerObject &operator=(const TracerObject &) = delete;

  SubflowReads reads() const { return reads_; }
  // Attaches the sock_ops program to a cgroup v2 directory, for as long as
  // this object lives; false with errno set.
  bool attach(int cgroup_fd);
  int events_fd() const;
  int listeners_fd() const;
  int counters_fd() const;
  // The program's mpo_stream_watched global (its memory-mapped .bss).
  void set_stream_watched(bool watched);

 private:
  TracerObject() = default;
  template <typename Skeleton>
  static std::unique_ptr<TracerObject> load_build(SubflowReads reads, Skeleton *(*open)(), int (*load)(Skeleton *),
                                                  void (*destroy)(Skeleton *), uint32_t ringbuf_bytes,
                                                  const RingWakeup &wakeup, int &err);

  SubflowReads reads_ = SubflowReads::probed;
  std::function<void()> destroy_;  // the skeleton, whichever it is
  bpf_program *sockops_ = nullptr;
  bpf_map *events_ = nullptr, *listeners_ = nullptr, *counters_ = nullptr;
  uint32_t *stream_watched_ = nullptr;
  bpf_link *link_ = nullptr;
};

}  // namespace observer::bpf
