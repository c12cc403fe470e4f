#include "sources/bpf/bpf_subflow_source.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <vector>

#include "common/log.h"
#include "common/unique_fd.h"
#include "sources/bpf/cgroup_mount.h"
#include "sources/bpf/event_record_decode.h"
#include "sources/bpf/ring_wakeup.h"
#include "mptcp_events.h"

namespace observer::bpf {
namespace {
// libbpf explains itself at length on stderr; keep that for --log-level debug.
int libbpf_to_log(enum libbpf_print_level level, const char *format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  const int n = std::vsnprintf(line, sizeof line, format, args);
  std::string_view text(line, n > 0 ? std::min<size_t>(n, sizeof line - 1) : 0);
  while (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  if (!text.empty()) log::debug("libbpf", text);
  return 0;
}

std::string explain_load_error(int err) {
  switch (err) {
    case EPERM:
    case EACCES: return "no permission to load BPF programs (run as root, or grant CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN)";
    case ENOENT:
    case ESRCH: return "the kernel has no BTF (/sys/kernel/btf/vmlinux); CO-RE programs need CONFIG_DEBUG_INFO_BTF=y";
    case EINVAL:
    case ENOTSUP: return "the kernel rejected the BPF program (it needs Linux 5.10 or later: bpf_skc_to_tcp_sock in sock_ops, socket storage, BPF ring buffer)";
    default: return std::string("loading BPF failed: ") + std::strerror(err);
  }
}

// Loading needs CAP_BPF with CAP_PERFMON (5.8+), or CAP_SYS_ADMIN. Asking
// first gives the real reason, instead of whichever later step fails first.
bool has_bpf_privileges() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  if (syscall(SYS_capget, &header, data) != 0) return true;  // cannot tell: let loading decide
  const auto has = [&](int cap) { return (data[cap / 32].effective >> (cap % 32)) & 1; };
  constexpr int kCapSysAdmin = 21, kCapPerfmon = 38, kCapBpf = 39;
  return has(kCapSysAdmin) || (has(kCapBpf) && has(kCapPerfmon));
}
}  // namespace

void BpfSubflowSource::RingDeleter::operator()(ring_buffer *r) const { ring_buffer__free(r); }

std::unique_ptr<BpfSubflowSource> BpfSubflowSource::start(const BpfOptions &options, Sink sink, std::string &why) {
  libbpf_set_print(libbpf_to_log);
  if (!has_bpf_privileges()) {
    why = explain_load_error(EPERM);
    return nullptr;
  }
  std::unique_ptr<BpfSubflowSource> self(new BpfSubflowSource());
  self->sink_ = std::move(sink);

  UniqueFd cgroup;
  if (options.cgroup_path.empty()) {
    cgroup = open_cgroup2_root(self->cgroup_path_, why);
    if (!cgroup) return nullptr;
  } else {
    self->cgroup_path_ = options.cgroup_path;
    cgroup.reset(open(self->cgroup_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!cgroup) {
      why = "cannot open cgroup " + self->cgroup_path_ + ": " + std::strerror(errno);
      return nullptr;
    }
  }

  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
    why = explain_load_error(ENOENT);
    return nullptr;
  }
  const int cpus = libbpf_num_possible_cpus();
  const RingWakeup wakeup = ring_wakeup_for(options.ringbuf_bytes, cpus > 0 ? static_cast<unsigned>(cpus) : 1024);
  int err = 0;
  if (!options.probe_reads) {
    // Kernels before 6.2 have no bpf_rdonly_cast: libbpf refuses the object
    // there, and the build that reads with probe reads loads instead.
    self->tracer_ = TracerObject::load(SubflowReads::typed, options.ringbuf_bytes, wakeup, err);
    if (!self->tracer_) log::debug("bpf", std::string("typed reads did not load: ") + std::strerror(-err));
  }
  if (!self->tracer_) self->tracer_ = TracerObject::load(SubflowReads::probed, options.ringbuf_bytes, wakeup, err);
  if (!self->tracer_) {
    why = explain_load_error(-err);
    return nullptr;
  }
  if (!self->tracer_->attach(cgroup.get())) {
    why = "cannot attach sock_ops to " + self->cgroup_path_ + ": " + std::strerror(errno);
    return nullptr;
  }
  self->ring_.reset(ring_buffer__new(self->tracer_->events_fd(), on_record, self.get(), nullptr));
  if (!self->ring_) {
    why = std::string("cannot open the BPF ring buffer: ") + std::strerror(errno);
    return nullptr;
  }
  self->consumer_ = std::thread([raw = self.get()] { raw->consume(); });
  return self;
}

BpfSubflowSource::~BpfSubflowSource() {
  stopping_ = true;
  if (consumer_.joinable()) consumer_.join();
}

void BpfSubflowSource::consume() {
  pthread_setname_np(pthread_self(), "bpf-events");
  // The BPF side wakes us only when the ring is a quarter full; otherwise
  // the poll timeout drains it, so events are at most that late: 20 ms
  // while events come, doubling up to 100 ms while none do. Each wake-up
  // is a context switch taken from whatever the host runs, so the timeout
  // is as long as the event stream can wait, and longer while idle.
  constexpr int kBusyPollMs = 20, kIdlePollMs = 100;
  int timeout_ms = kBusyPollMs;
  while (!stopping_) {
    int n = ring_buffer__poll(ring_.get(), timeout_ms);
    if (n >= 0) {
      const int more = ring_buffer__consume(ring_.get());
      n = more < 0 ? more : n + more;
    }
    if (n >= 0) timeout_ms = n > 0 ? kBusyPollMs : std::min(timeout_ms * 2, kIdlePollMs);
    if (n < 0 && n != -EINTR) {
      log::error("bpf", std::string("ring buffer poll failed: ") + std::strerror(-n) + "; tracing stopped");
      running_ = false;
      return;
    }
  }
}

int BpfSubflowSource::on_record(void *ctx, void *data, size_t size) {
  auto *self = static_cast<BpfSubflowSource *>(ctx);
  // Only this thread counts: a plain add, not a locked one, per event.
  const auto bump = [](std::atomic<uint64_t> &n) { n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); };
  MptcpEvent event;
  if (!decode_event({static_cast<const std::byte *>(data), size}, event)) {
    bump(self->malformed_);
    return 0;
  }
  bump(self->received_);
  self->handshakes_.on_event(event);
  self->sink_(event);
  return 0;
}

void BpfSubflowSource::set_stream_watched(bool watched) {
  tracer_->set_stream_watched(watched);
}

void BpfSubflowSource::sync_listeners(uint32_t netns, const std::vector<uint16_t> &ports) {
  const int fd = tracer_->listeners_fd();
  std::vector<mpo_listener_key> stale;
  mpo_listener_key key{}, next{};
  const mpo_listener_key *cursor = nullptr;
  while (bpf_map_get_next_key(fd, cursor, &next) == 0) {
    if (next.netns == netns && std::find(ports.begin(), ports.end(), next.port) == ports.end()) stale.push_back(next);
    key = next;
    cursor = &key;
  }
  for (const auto &k : stale) bpf_map_delete_elem(fd, &k);
  const uint8_t one = 1;
  for (const uint16_t port : ports) {
    const mpo_listener_key k{netns, port, 0};
    bpf_map_update_elem(fd, &k, &one, BPF_ANY);
  }
}

BpfCounters BpfSubflowSource::counters() const {
  BpfCounters c;
  c.received = received_;
  c.malformed = malformed_;
  // Per-CPU slots: one value per possible CPU, summed.
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return c;
  std::vector<uint64_t> values(static_cast<size_t>(cpus));
  const uint32_t key = MPO_CNT_DROPPED;
  if (bpf_map_lookup_elem(tracer_->counters_fd(), &key, values.data()) != 0) return c;
  for (const uint64_t v : values) c.lost += v;
  return c;
}

}  // namespace observer::bpf
