#include "table/reconciler.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>

#include "common/log.h"
#include "common/unique_fd.h"
#include "sources/sock_diag/diag_reader.h"

namespace observer {

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

namespace {
struct Namespace {
  std::string name;
  UniqueFd fd;
  uint32_t inode = 0;
};

std::vector<Namespace> list_namespaces(const std::string &dir) {
  std::vector<Namespace> out;
  std::set<uint32_t> seen;
  auto add = [&](const std::string &name, const std::string &path) {
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    struct stat st{};
    if (!fd || fstat(fd.get(), &st) != 0) return;
    const auto inode = static_cast<uint32_t>(st.st_ino);
    if (!seen.insert(inode).second) return;
    out.push_back({name, std::move(fd), inode});
  };
  add("self", "/proc/thread-self/ns/net");
  if (dir.empty()) return out;
  if (DIR *d = opendir(dir.c_str())) {
    while (const dirent *e = readdir(d)) {
      if (e->d_name[0] == '.') continue;
      add(e->d_name, dir + "/" + e->d_name);
    }
    closedir(d);
  }
  return out;
}
}  // namespace

Reconciler::Reconciler(LockedConnectionTable &table, Publish publish, ReconcilerOptions options)
    : table_(table), publish_(std::move(publish)), options_(std::move(options)) {}

Reconciler::~Reconciler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void Reconciler::start() {
  thread_ = std::thread([this] { loop(); });
}

void Reconciler::loop() {
  pthread_setname_np(pthread_self(), "reconciler");
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, options_.interval, [&] { return stopping_; })) return;
    }
    run_once();
  }
}

void Reconciler::run_once() {
  auto namespaces = list_namespaces(options_.netns_dir);
  UniqueFd home(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  uint64_t added = 0, removed = 0, errors = 0;
  std::string last_error;
  for (auto &ns : namespaces) {
    const bool foreign = ns.name != "self";
    if (foreign && setns(ns.fd.get(), CLONE_NEWNET) != 0) {
      if (errno == EPERM) {
        // Without CAP_SYS_ADMIN only our own namespace can be read; BPF
        // still sees the others. Say so once; it is not a failure.
        if (!foreign_denied_.exchange(true)) {
          log::info("reconciler", "no permission to enter other network namespaces (CAP_SYS_ADMIN); reconciling this one only");
        }
        continue;
      }
      ++errors;
      last_error = "cannot enter network namespace " + ns.name + ": " + std::strerror(errno);
      continue;
    }
    std::string error;
    const uint64_t started = monotonic_ns();
    const auto snapshot = diag::snapshot(error);
    if (foreign && setns(home.get(), CLONE_NEWNET) != 0) {
      // Staying in a foreign namespace would make every later snapshot wrong.
      log::error("reconciler", std::string("cannot return to the daemon's network namespace: ") + std::strerror(errno));
      std::lock_guard lock(mu_);
      stopping_ = true;
      return;
    }
    if (!snapshot) {
      ++errors;
      last_error = ns.name + ": " + error;
      continue;
    }
    if (options_.on_listeners) options_.on_listeners(ns.inode, snapshot->mptcp_listener_ports);
    auto result = table_.with([&](ConnectionTable &t) { return t.reconcile(ns.inode, snapshot->connections, started); });
    for (const auto &e : result.events) publish_(e);
    added += result.connections_added;
    removed += result.connections_removed;
    if (result.connections_added || result.connections_removed) {
      log::debug("reconciler", "netns " + ns.name + ": added " + std::to_string(result.connections_added) +
                                   ", removed " + std::to_string(result.connections_removed) + " connections");
    }
  }
  std::lock_guard lock(mu_);
  const bool was_ok = stats_.ok || stats_.runs == 0;
  ++stats_.runs;
  stats_.errors += errors;
  stats_.connections_added += added;
  stats_.connections_removed += removed;
  stats_.namespaces = namespaces.size();
  stats_.ok = errors == 0;
  if (errors) stats_.last_error = last_error;
  // Say it once when it starts failing, not at every interval.
  if (errors && was_ok) log::warn("reconciler", "sock_diag snapshot failed: " + last_error);
}

ReconcilerStats Reconciler::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace observer
