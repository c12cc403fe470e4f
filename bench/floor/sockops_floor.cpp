// Attaches one of sockops_floor.bpf.c's programs to a cgroup v2 directory,
// as the daemon attaches its own (a BPF link: it goes when this process
// does), and holds it until SIGTERM or SIGINT, its parent's exit, or
// --max-seconds.
//
//   sockops_floor --cgroup DIR [--census] [--max-seconds N] [empty|flags|ring]
//
// Prints "attached NAME ID" for each program once it runs, so that bench/run
// can find its kernel run-time statistics by id. With --census the op
// counter is attached too, and at exit prints "census OP COUNT" for every
// callback it saw (state changes as "census state:STATE COUNT"). With ring,
// a thread drains the program's ring buffer as the daemon's consumer does
// (woken at a quarter full, else every 20 ms) and does nothing with the
// records: it prints "records N" at exit.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "census.h"
#include "mptcp_events.h"
#include "sockops_floor.skel.h"
#include "sources/bpf/ring_wakeup.h"

namespace {
struct SkeletonDeleter {
  void operator()(sockops_floor *s) const { sockops_floor__destroy(s); }
};
struct LinkDeleter {
  void operator()(bpf_link *l) const { bpf_link__destroy(l); }
};
struct CgroupFd {
  explicit CgroupFd(const char *path) : fd(open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
  ~CgroupFd() {
    if (fd >= 0) close(fd);
  }
  CgroupFd(const CgroupFd &) = delete;
  CgroupFd &operator=(const CgroupFd &) = delete;
  const int fd;
};
using Link = std::unique_ptr<bpf_link, LinkDeleter>;

// Names of the sock_ops callbacks (enum in <linux/bpf.h>), by number.
constexpr const char *kOpNames[] = {
    "void",           "timeout_init",         "rwnd_init",         "tcp_connect",        "active_established",
    "passive_established", "needs_ecn",       "base_rtt",          "rto",                "retrans",
    "state",          "tcp_listen",           "rtt",               "parse_hdr_opt",      "hdr_opt_len",
    "write_hdr_opt",
};
constexpr const char *kStateNames[] = {
    "0",         "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
    "CLOSE_WAIT", "LAST_ACK",   "LISTEN",   "CLOSING",  "NEW_SYN_RECV", "BOUND_INACTIVE", "14", "15",
};
constexpr uint32_t kCensusOps = CENSUS_OPS, kCensusStates = CENSUS_STATES;

int usage(const char *why) {
  std::fprintf(stderr,
               "sockops_floor: %s\nusage: sockops_floor --cgroup DIR [--census] [--max-seconds N] [empty|flags|ring]\n", why);
  return 2;
}

Link attach(bpf_program *prog, int cgroup_fd) {
  Link link(bpf_program__attach_cgroup(prog, cgroup_fd));
  if (!link) {
    std::fprintf(stderr, "sockops_floor: cannot attach %s: %s\n", bpf_program__name(prog), std::strerror(errno));
    return nullptr;
  }
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);
  std::printf("attached %s %u\n", bpf_program__name(prog), info.id);
  return link;
}

// Drains a ring buffer the way the daemon's consumer does, and counts.
class RingReader {
 public:
  ~RingReader() { stop(); }
  bool start(int map_fd) {
    ring_.reset(ring_buffer__new(map_fd, on_record, this, nullptr));
    if (!ring_) {
      std::fprintf(stderr, "sockops_floor: cannot open the ring buffer: %s\n", std::strerror(errno));
      return false;
    }
    thread_ = std::thread([this] {
      while (!stopping_) {
        if (ring_buffer__poll(ring_.get(), 20) > 0) ring_buffer__consume(ring_.get());
      }
    });
    return true;
  }
  // Counts what the last poll left too.
  uint64_t stop() {
    stopping_ = true;
    if (thread_.joinable()) {
      thread_.join();
      ring_buffer__consume(ring_.get());
    }
    return records_;
  }

 private:
  static int on_record(void *self, void *, size_t) {
    ++static_cast<RingReader *>(self)->records_;
    return 0;
  }
  struct RingDeleter {
    void operator()(ring_buffer *r) const { ring_buffer__free(r); }
  };
  std::unique_ptr<ring_buffer, RingDeleter> ring_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  uint64_t records_ = 0;
};

void print_census(sockops_floor *skel) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return;
  std::vector<uint64_t> values(static_cast<size_t>(cpus));
  const int fd = bpf_map__fd(skel->maps.mpo_census_counts);
  for (uint32_t slot = 0; slot < kCensusOps + kCensusStates; ++slot) {
    if (bpf_map_lookup_elem(fd, &slot, values.data()) != 0) continue;
    uint64_t sum = 0;
    for (auto v : values) sum += v;
    if (sum == 0) continue;
    if (slot < kCensusOps)
      std::printf("census %s %llu\n", slot < std::size(kOpNames) ? kOpNames[slot] : std::to_string(slot).c_str(),
                  static_cast<unsigned long long>(sum));
    else
      std::printf("census state:%s %llu\n", kStateNames[slot - kCensusOps], static_cast<unsigned long long>(sum));
  }
}
}  // namespace

int main(int argc, char **argv) {
  std::string cgroup, which;
  bool census = false;
  long max_seconds = 3600;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--cgroup" && i + 1 < argc) {
      cgroup = argv[++i];
    } else if (arg == "--census") {
      census = true;
    } else if (arg == "--max-seconds" && i + 1 < argc) {
      max_seconds = std::strtol(argv[++i], nullptr, 10);
      if (max_seconds <= 0) return usage("--max-seconds needs a positive number");
    } else if ((arg == "empty" || arg == "flags" || arg == "ring") && which.empty()) {
      which = arg;
    } else {
      return usage(("unexpected argument " + std::string(arg)).c_str());
    }
  }
  if (cgroup.empty()) return usage("--cgroup DIR is required (the cgroup v2 directory the daemon traces)");
  if (which.empty() && !census) return usage("nothing to attach: name a program, or --census");

  // Signals are taken with sigtimedwait below; block them before anything
  // can arrive, and ask for SIGTERM when bench/run goes, however it goes.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGTERM);
  sigaddset(&stop, SIGINT);
  sigprocmask(SIG_BLOCK, &stop, nullptr);
  const pid_t parent = getppid();
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != parent) return 0;

  const CgroupFd cgroup_dir(cgroup.c_str());
  const int cgroup_fd = cgroup_dir.fd;
  if (cgroup_fd < 0) {
    std::fprintf(stderr, "sockops_floor: cannot open cgroup %s: %s\n", cgroup.c_str(), std::strerror(errno));
    return 1;
  }
  std::unique_ptr<sockops_floor, SkeletonDeleter> skel(sockops_floor__open());
  if (!skel) {
    std::fprintf(stderr, "sockops_floor: cannot open the BPF object: %s\n", std::strerror(errno));
    return 1;
  }
  // Load only what is attached: an idle program still shows in bpftool.
  bpf_program__set_autoload(skel->progs.mpo_floor_empty, which == "empty");
  bpf_program__set_autoload(skel->progs.mpo_floor_flags, which == "flags");
  bpf_program__set_autoload(skel->progs.mpo_floor_ring, which == "ring");
  bpf_program__set_autoload(skel->progs.mpo_census, census);
  const int cpus = libbpf_num_possible_cpus();
  const auto wakeup = observer::bpf::ring_wakeup_for(MPO_DEFAULT_RINGBUF_BYTES, cpus > 0 ? static_cast<unsigned>(cpus) : 1024);
  skel->rodata->mpo_floor_wake_above_bytes = wakeup.above_bytes;
  skel->rodata->mpo_floor_wake_check_mask = wakeup.check_mask;
  if (const int err = sockops_floor__load(skel.get()); err != 0) {
    std::fprintf(stderr, "sockops_floor: cannot load: %s (root, or CAP_BPF and CAP_NET_ADMIN, are needed)\n",
                 std::strerror(-err));
    return 1;
  }
  std::vector<Link> links;
  // The census first: the program under test then runs last in the
  // cgroup's array, where the daemon's would.
  if (census) links.push_back(attach(skel->progs.mpo_census, cgroup_fd));
  if (which == "empty") links.push_back(attach(skel->progs.mpo_floor_empty, cgroup_fd));
  if (which == "flags") links.push_back(attach(skel->progs.mpo_floor_flags, cgroup_fd));
  if (which == "ring") links.push_back(attach(skel->progs.mpo_floor_ring, cgroup_fd));
  for (const auto &l : links)
    if (!l) return 1;
  RingReader reader;
  if (which == "ring" && !reader.start(bpf_map__fd(skel->maps.mpo_floor_events))) return 1;
  std::fflush(stdout);

  const timespec limit{max_seconds, 0};
  if (sigtimedwait(&stop, nullptr, &limit) < 0 && errno == EAGAIN)
    std::fprintf(stderr, "sockops_floor: detaching after --max-seconds %ld\n", max_seconds);
  if (census) print_census(skel.get());
  if (which == "ring") std::printf("records %llu\n", static_cast<unsigned long long>(reader.stop()));
  std::fflush(stdout);
  return 0;  // the links, the skeleton and the cgroup fd close here
}
