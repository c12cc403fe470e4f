#include "table/reconciler.h"

#include <pthread.h>

#include <cstring>
#include <optional>
#include <set>

#include "common/clocks.h"
#include "common/log.h"
#include "common/network_namespaces.h"
#include "sources/sock_diag/diag_reader.h"

namespace observer {

Reconciler::Reconciler(LockedConnectionTable &table, Publish publish, ReconcilerOptions options)
    : table_(table),
      publish_(std::move(publish)),
      options_(std::move(options)),
      namespaces_("reconciler", "reconciling this one only") {}

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
  const auto listed = list_network_namespaces(options_.netns_dir, /*processes=*/true);
  RunTotals totals;
  for (const auto &ns : listed.namespaces) {
    if (!reconcile_namespace(ns, totals)) return;
  }
  if (listed.complete) totals.removed += forget_vanished_namespaces(listed.namespaces, listed_at);
  if (options_.after_run) options_.after_run();
  record_run(totals, listed.namespaces.size());
}

// False when this thread could not come back from the namespace: it stops,
// since staying in a foreign namespace would make every later snapshot wrong.
bool Reconciler::reconcile_namespace(const NetworkNamespace &ns, RunTotals &totals) {
  std::string error;
  std::optional<diag::Snapshot> snapshot;
  const auto visit = namespaces_.visit(ns, [&] { snapshot = begin_and_snapshot(ns.inode, error); });
  if (visit.outcome == NamespaceVisit::Outcome::cannot_return) {
    std::lock_guard lock(mu_);
    stopping_ = true;
    return false;
  }
  if (visit.denied()) {
    // Only our own namespace can be read; BPF still sees the others.
    namespaces_.say_denied();
    return true;
  }
  if (visit.outcome == NamespaceVisit::Outcome::cannot_enter) {
    ++totals.errors;
    totals.last_error = "cannot enter network namespace " + ns.name + ": " + std::strerror(visit.error);
    return true;
  }
  if (!snapshot) {
    table_.with([](ConnectionTable &t) { t.reconcile_end(); });
    ++totals.errors;
    totals.last_error = ns.name + ": " + error;
    return true;
  }
  merge_snapshot(ns, *snapshot, totals);
  return true;
}

// Runs inside the namespace: the table starts remembering what events close
// there before the snapshot is taken (ConnectionTable::reconcile_begin).
std::optional<diag::Snapshot> Reconciler::begin_and_snapshot(uint32_t netns, std::string &error) {
  const uint64_t started = monotonic_ns();
  table_.with([&](ConnectionTable &t) { t.reconcile_begin(netns, started); });
  return diag::snapshot(error);
}

void Reconciler::merge_snapshot(const NetworkNamespace &ns, const diag::Snapshot &snapshot, RunTotals &totals) {
  if (options_.on_listeners) options_.on_listeners(ns.inode, snapshot.mptcp_listener_ports);
  // A step at a time: the BPF event consumer waits for this lock, and
  // merging a snapshot of 100,000 connections in one go holds it long
  // enough for the kernel's ring buffer to overflow.
  auto result = reconcile_in_steps([&](const auto &f) { table_.with(f); }, snapshot.connections);
  for (const auto &e : result.events) publish_(e);
  totals.added += result.connections_added;
  totals.removed += result.connections_removed;
  if (result.connections_added || result.connections_removed) {
    log::debug("reconciler", "netns " + ns.name + ": added " + std::to_string(result.connections_added) +
                                 ", removed " + std::to_string(result.connections_removed) + " connections");
  }
}

// A namespace with no process and no file left is gone, and so are its
// connections, whose close events went with it. Returns how many left.
uint64_t Reconciler::forget_vanished_namespaces(const std::vector<NetworkNamespace> &alive_namespaces,
                                                uint64_t listed_at) {
  std::set<uint32_t> alive;
  for (const auto &ns : alive_namespaces) alive.insert(ns.inode);
  auto gone = table_.with([&](ConnectionTable &t) { return t.forget_namespaces_except(alive, listed_at); });
  for (const auto &e : gone) publish_(e);
  return gone.size();
}

void Reconciler::record_run(const RunTotals &totals, size_t namespaces) {
  std::lock_guard lock(mu_);
  const bool was_ok = stats_.ok || stats_.runs == 0;
  ++stats_.runs;
  stats_.connections_added += totals.added;
  stats_.connections_removed += totals.removed;
  stats_.namespaces = namespaces;
  stats_.ok = totals.errors == 0;
  if (totals.errors) stats_.last_error = totals.last_error;
  // Say it once when it starts failing, not at every interval.
  if (totals.errors && was_ok) log::warn("reconciler", "sock_diag snapshot failed: " + totals.last_error);
}

ReconcilerStats Reconciler::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace observer
