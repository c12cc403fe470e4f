#include "table/reconciler.h"

#include <pthread.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include "common/clocks.h"

#include "common/log.h"
#include "common/network_namespaces.h"
#include "sources/sock_diag/diag_reader.h"

namespace observer {

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
  const uint64_t listed_at = monotonic_ns();
  auto listed = list_network_namespaces(options_.netns_dir, /*processes=*/true);
  auto &namespaces = listed.namespaces;
  uint64_t added = 0, removed = 0, errors = 0;
  std::string last_error;
  for (auto &ns : namespaces) {
    std::string error;
    uint64_t started = 0;
    std::optional<diag::Snapshot> snapshot;
    const auto visit = run_in_network_namespace(ns, [&] {
      started = monotonic_ns();
      table_.with([&](ConnectionTable &t) { t.reconcile_begin(ns.inode, started); });
      snapshot = diag::snapshot(error);
    });
    if (visit.outcome == NamespaceVisit::Outcome::cannot_enter) {
      if (visit.error == EPERM) {
        // Without CAP_SYS_ADMIN only our own namespace can be read; BPF
        // still sees the others. Say so once; it is not a failure.
        if (!foreign_denied_.exchange(true)) {
          log::info("reconciler", "no permission to enter other network namespaces (CAP_SYS_ADMIN); reconciling this one only");
        }
        continue;
      }
      ++errors;
      last_error = "cannot enter network namespace " + ns.name + ": " + std::strerror(visit.error);
      continue;
    }
    if (visit.outcome == NamespaceVisit::Outcome::cannot_return) {
      // Staying in a foreign namespace would make every later snapshot wrong.
      log::error("reconciler", std::string("cannot return to the daemon's network namespace: ") + std::strerror(visit.error));
      std::lock_guard lock(mu_);
      stopping_ = true;
      return;
    }
    if (!snapshot) {
      table_.with([](ConnectionTable &t) { t.reconcile_end(); });
      ++errors;
      last_error = ns.name + ": " + error;
      continue;
    }
    if (options_.on_listeners) options_.on_listeners(ns.inode, snapshot->mptcp_listener_ports);
    // A step at a time: the BPF event consumer waits for this lock, and a
    // snapshot of 100,000 connections merged in one go held it long enough
    // for the kernel's ring buffer to overflow (bench/run, scale).
    auto result = reconcile_in_steps([&](const auto &f) { table_.with(f); }, snapshot->connections);
    for (const auto &e : result.events) publish_(e);
    added += result.connections_added;
    removed += result.connections_removed;
    if (result.connections_added || result.connections_removed) {
      log::debug("reconciler", "netns " + ns.name + ": added " + std::to_string(result.connections_added) +
                                   ", removed " + std::to_string(result.connections_removed) + " connections");
    }
  }
  if (listed.complete) {
    // A namespace with no process and no file left is gone, and so are its
    // connections, whose close events went with it.
    std::set<uint32_t> alive;
    for (const auto &ns : namespaces) alive.insert(ns.inode);
    auto gone = table_.with([&](ConnectionTable &t) { return t.forget_namespaces_except(alive, listed_at); });
    for (const auto &e : gone) publish_(e);
    removed += gone.size();
  }
  if (options_.after_run) options_.after_run();
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
