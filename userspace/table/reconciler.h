#pragma once
// Repairs the connection table from sock_diag snapshots: once at start-up
// (connections opened before the daemon) and then at a fixed interval
// (anything the event stream lost). Covers this daemon's own network
// namespace, every namespace named in --netns-dir (/run/netns, where
// `ip netns` keeps them) and every process's namespace (containers); the
// connections of a namespace that no longer exists leave the table. Runs on
// its own thread, "reconciler".
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/defaults.h"
#include "common/network_namespaces.h"
#include "sources/sock_diag/diag_reader.h"
#include "table/connection_table.h"

namespace observer {

struct ReconcilerOptions {
  std::chrono::milliseconds interval = defaults::kReconcileInterval;
  std::string netns_dir{defaults::kNamedNetnsDir};
  // Told the MPTCP listening ports of each namespace after every snapshot,
  // so BPF recognises plain clients of listeners it did not see start.
  std::function<void(uint32_t netns, const std::vector<uint16_t> &ports)> on_listeners;
  // After each run (the path-manager source rescans its namespaces then).
  std::function<void()> after_run;
};

struct ReconcilerStats {
  uint64_t runs = 0;
  uint64_t connections_added = 0;
  uint64_t connections_removed = 0;
  uint64_t namespaces = 0;  // in the last run
  bool ok = false;          // the last run read every namespace
  std::string last_error;
};

class Reconciler {
 public:
  using Publish = std::function<void(const MptcpEvent &)>;
  Reconciler(LockedConnectionTable &table, Publish publish, ReconcilerOptions options);
  ~Reconciler();
  void start();
  void run_once();
  ReconcilerStats stats() const;

 private:
  // What one run did across its namespaces.
  struct RunTotals {
    uint64_t added = 0, removed = 0, errors = 0;
    std::string last_error;
  };
  void loop();
  bool reconcile_namespace(const NetworkNamespace &ns, RunTotals &totals);
  std::optional<diag::Snapshot> begin_and_snapshot(uint32_t netns, std::string &error);
  void merge_snapshot(const NetworkNamespace &ns, const diag::Snapshot &snapshot, RunTotals &totals);
  uint64_t forget_vanished_namespaces(const std::vector<NetworkNamespace> &alive_namespaces, uint64_t listed_at);
  void record_run(const RunTotals &totals, size_t namespaces);

  LockedConnectionTable &table_;
  Publish publish_;
  ReconcilerOptions options_;
  NamespaceWalker namespaces_;
  mutable std::mutex mu_;  // guards stats_ and the stop flag
  std::condition_variable cv_;
  bool stopping_ = false;
  ReconcilerStats stats_;
  std::thread thread_;
};

}  // namespace observer
