#include "sources/bpf/tracer_object.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <cerrno>

#include "subflow_tracer.skel.h"
#include "subflow_tracer_typed.skel.h"

namespace observer::bpf {

const char *subflow_reads_name(SubflowReads reads) { return reads == SubflowReads::typed ? "typed" : "probed"; }

template <typename Skeleton>
std::unique_ptr<TracerObject> TracerObject::load_build(SubflowReads reads, Skeleton *(*open)(),
                                                       int (*load)(Skeleton *), void (*destroy)(Skeleton *),
                                                       uint32_t ringbuf_bytes, const RingWakeup &wakeup, int &err) {
  Skeleton *skel = open();
  if (!skel) {
    err = errno ? -errno : -ENOMEM;
    return nullptr;
  }
  std::unique_ptr<TracerObject> self(new TracerObject());
  self->destroy_ = [skel, destroy] { destroy(skel); };
  self->reads_ = reads;
  // parse_options is the one check of the size (--bpf-ringbuf-size: a
  // power of two of at least 4K). The kernel also wants a multiple of its
  // page size; where pages are larger, libbpf rounds the size up to one
  // (libbpf 1.0, 597fbc468296).
  bpf_map__set_max_entries(skel->maps.mpo_events, ringbuf_bytes);
  skel->rodata->mpo_wake_above_bytes = wakeup.above_bytes;
  skel->rodata->mpo_wake_check_mask = wakeup.check_mask;
  if (const int e = load(skel); e != 0) {
    err = e;
    return nullptr;
  }
  self->sockops_ = skel->progs.mpo_sockops;
  self->events_ = skel->maps.mpo_events;
  self->listeners_ = skel->maps.mpo_listeners;
  self->counters_ = skel->maps.mpo_counters;
  self->stream_watched_ = &skel->bss->mpo_stream_watched;
  return self;
}

std::unique_ptr<TracerObject> TracerObject::load(SubflowReads reads, uint32_t ringbuf_bytes, const RingWakeup &wakeup,
                                                 int &err) {
  if (reads == SubflowReads::typed) {
    return load_build(reads, subflow_tracer_typed__open, subflow_tracer_typed__load, subflow_tracer_typed__destroy,
                      ringbuf_bytes, wakeup, err);
  }
  return load_build(reads, subflow_tracer__open, subflow_tracer__load, subflow_tracer__destroy, ringbuf_bytes, wakeup,
                    err);
}

TracerObject::~TracerObject() {
  if (link_) bpf_link__destroy(link_);
  if (destroy_) destroy_();
}

bool TracerObject::attach(int cgroup_fd) {
  link_ = bpf_program__attach_cgroup(sockops_, cgroup_fd);
  return link_ != nullptr;
}

int TracerObject::events_fd() const { return bpf_map__fd(events_); }
int TracerObject::listeners_fd() const { return bpf_map__fd(listeners_); }
int TracerObject::counters_fd() const { return bpf_map__fd(counters_); }

void TracerObject::set_stream_watched(bool watched) {
  // The next run of the program sees it.
  __atomic_store_n(stream_watched_, watched ? 1u : 0u, __ATOMIC_RELAXED);
}

}  // namespace observer::bpf
