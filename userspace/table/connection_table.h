#pragma once
// The live table of MPTCP connections on this host, keyed by (network
// namespace, token): BPF events keep it current, sock_diag snapshots repair
// what events missed. Closed connections leave; the table has a hard cap,
// and what does not fit is counted.
//
// Not thread-safe by itself: LockedConnectionTable (below) is the shared form.
#include <algorithm>
#include <array>
#include <compare>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/defaults.h"
#include "common/endpoint.h"
#include "events/mptcp_event.h"
#include "sources/sock_diag/diag_connection.h"

namespace observer {

struct ConnectionKey {
  uint32_t netns = 0;
  uint32_t token = 0;
  auto operator<=>(const ConnectionKey &) const = default;
};

struct ConnectionKeyHash {
  size_t operator()(const ConnectionKey &k) const noexcept {
    return std::hash<uint64_t>{}(static_cast<uint64_t>(k.netns) << 32 | k.token);
  }
};

enum SourceBit : uint8_t { kFromBpf = 1, kFromSockDiag = 2, kFromGetsockopt = 4 };

struct SubflowRecord {
  uint64_t cookie = 0;
  Endpoint local, remote;
  uint64_t established_ns = 0;  // CLOCK_MONOTONIC; 0 when first seen by a snapshot
  uint64_t handshake_ns = 0;    // 0 when unknown
  uint32_t ifindex = 0;
  SubflowKind kind = SubflowKind::initial;
  Direction direction = Direction::outbound;
  uint8_t local_id = 0, remote_id = 0;
  bool backup = false;
  uint64_t backup_seen_ns = 0;  // when a source last told the backup flag: the newest wins
  uint8_t sources = 0;
};

struct ConnectionRecord {
  ConnectionKey key;
  Direction direction = Direction::outbound;
  uint8_t family = 0;
  uint8_t sources = 0;
  Endpoint local, remote;  // of the initial subflow, when known
  bool fallback = false;  // fell back to TCP (seen by a snapshot)
  bool fallback_in_handshake = false;  // before the MP_CAPABLE handshake completed
  uint64_t established_ns = 0;  // 0 when first seen by a snapshot
  uint64_t first_join_ns = 0;
  uint64_t updated_ns = 0;
  uint32_t subflows_ever = 0;
  uint32_t join_failures = 0;
  Reason last_join_failure = Reason::none;
  // The same failures by reason (index: Reason), each count stopping at
  // its maximum: what the admin API's diagnosis explains.
  std::array<uint16_t, std::size(kAllReasons) + 1> join_failures_by_reason{};
  std::vector<SubflowRecord> subflows;  // open subflows only
};

// A subflow as getsockopt on the connection's own socket shows it: no
// cookie, but the addresses and which one is the initial.
struct ObservedSubflow {
  Endpoint local, remote;
  SubflowKind kind = SubflowKind::initial;
};

struct TableGauges {
  uint64_t connections[2] = {0, 0};     // by Direction
  uint64_t subflows[2][2] = {{0, 0}, {0, 0}};  // by Direction, SubflowKind
};

struct ReconcileResult {
  size_t connections_added = 0, connections_removed = 0;
  size_t subflows_added = 0, subflows_removed = 0;
  std::vector<MptcpEvent> events;  // connection_closed for what was removed
};

// What one subflow event implies for its connection: at most one event
// (connection_established or connection_closed), held without allocating,
// for apply() runs for every BPF event.
class DerivedEvents {
 public:
  void set(MptcpEvent e) { event_ = std::move(e); }
  bool empty() const { return !event_; }
  size_t size() const { return event_ ? 1 : 0; }
  const MptcpEvent &operator[](size_t) const { return *event_; }
  const MptcpEvent *begin() const { return event_ ? &*event_ : nullptr; }
  const MptcpEvent *end() const { return event_ ? &*event_ + 1 : nullptr; }

 private:
  std::optional<MptcpEvent> event_;
};

class ConnectionTable {
 public:
  explicit ConnectionTable(size_t max_connections = defaults::kMaxTrackedConnections) : max_connections_(max_connections) {}
  // The index points into the tree's nodes: a copy would point into the
  // original, while a move takes the nodes along.
  ConnectionTable(const ConnectionTable &) = delete;
  ConnectionTable &operator=(const ConnectionTable &) = delete;
  ConnectionTable(ConnectionTable &&) = default;
  ConnectionTable &operator=(ConnectionTable &&) = default;

  // Applies one BPF event; returns the connection-level events it implies
  // (connection_established, connection_closed), and completes `event`
  // (first_join_delay_ns) in place.
  DerivedEvents apply(MptcpEvent &event);

  // Makes the connections of one network namespace match a sock_diag
  // snapshot taken at snapshot_ns: adds what is missing, and removes what
  // the kernel no longer has unless an event touched it since. All steps
  // below in a row (see reconcile_in_steps for the reconciler's way).
  ReconcileResult reconcile(uint32_t netns, const std::vector<DiagConnection> &snapshot, uint64_t snapshot_ns);

  // Reconciliation in steps, so that a caller can let go of the table's
  // lock between them. Begin before the snapshot is taken: from then on,
  // the table remembers what events close in that namespace, so that a
  // snapshot that still lists it cannot bring it back. Then merge the
  // snapshot a slice at a time and sweep until the sweep says it is done,
  // which ends the reconciliation; end() drops one whose snapshot failed.
  void reconcile_begin(uint32_t netns, uint64_t snapshot_ns);
  void reconcile_slice(std::span<const DiagConnection> slice, ReconcileResult &r);
  // Removes up to `limit` connections' worth of what the snapshot (its
  // tokens: `present`) no longer lists; true when the namespace is done.
  bool reconcile_sweep(const std::unordered_set<uint32_t> &present, size_t limit, ReconcileResult &r);
  void reconcile_end();

  // Removes the connections of namespaces not in `alive` that no event has
  // touched since `listed_ns`; returns a connection_closed for each.
  std::vector<MptcpEvent> forget_namespaces_except(const std::set<uint32_t> &alive, uint64_t listed_ns);

  // Merges what getsockopt on one of the checker's own sockets showed:
  // adds the connection and subflows the other sources have not reported
  // (yet), and marks those they have as seen by getsockopt too. Returns
  // the record (null when the table is full), valid while the caller holds
  // the table, and whether this merge created it: the checker merges on
  // every request, so it learns both without looking the key up again.
  struct Merged {
    const ConnectionRecord *record = nullptr;
    bool created = false;
  };
  Merged merge_getsockopt(const ConnectionKey &key, Direction direction, const std::vector<ObservedSubflow> &subflows,
                          uint64_t now_ns);

  // Up to `limit` connections after `after`, in key order (for pagination).
  std::vector<ConnectionRecord> page(std::optional<ConnectionKey> after, size_t limit) const;
  // The record itself, valid while the caller holds the table.
  const ConnectionRecord *lookup(const ConnectionKey &key) const;
  size_t size() const { return connections_.size(); }
  const TableGauges &gauges() const { return gauges_; }
  uint64_t overflowed() const { return overflowed_; }

 private:
  // apply(), one event type each; `derived` gets the connection-level events.
  void apply_established(MptcpEvent &e, DerivedEvents &derived);
  MptcpEvent establish_connection(ConnectionRecord &c, const MptcpEvent &initial);
  void apply_closed(MptcpEvent &e, DerivedEvents &derived);
  std::map<ConnectionKey, ConnectionRecord>::iterator connection_of_subflow(const ConnectionKey &key, uint64_t cookie);
  void apply_priority(const MptcpEvent &e);
  void apply_join_failed(const MptcpEvent &e);

  ConnectionRecord *upsert(const ConnectionKey &key, Direction direction, uint8_t family, uint64_t now_ns,
                           bool *created = nullptr);
  void add_subflow(ConnectionRecord &c, SubflowRecord s);
  // The removed subflow, or nullopt when the connection has no such cookie.
  std::optional<SubflowRecord> remove_subflow(ConnectionRecord &c, uint64_t cookie);
  void set_direction(ConnectionRecord &c, Direction direction);
  MptcpEvent close_connection(std::map<ConnectionKey, ConnectionRecord>::iterator it, uint64_t now_ns);

  // The reconciliation in progress, if any (reconcile_begin to _end).
  struct Reconciling {
    uint32_t netns = 0;
    uint64_t snapshot_ns = 0;
    uint32_t sweep_from = 0;                       // token the sweep resumes at
    std::unordered_set<uint32_t> closed_tokens;    // closed by events since it began
    std::unordered_set<uint64_t> closed_cookies;
  };

  size_t max_connections_;
  std::optional<Reconciling> reconciling_;
  using Connections = std::map<ConnectionKey, ConnectionRecord>;
  // The record of a key, or end(): by the hash index, not the tree, whose
  // lookup is a chain of cache misses in a large table (the checker looks
  // up its connection on every request).
  Connections::iterator find_connection(const ConnectionKey &key);

  Connections connections_;  // in key order, for pagination
  std::unordered_map<ConnectionKey, Connections::iterator, ConnectionKeyHash> index_;  // every key of connections_
  std::unordered_map<uint64_t, ConnectionKey> by_cookie_;
  TableGauges gauges_;
  uint64_t overflowed_ = 0;
};

// Connections merged, or swept, per step of reconcile_in_steps.
inline constexpr size_t kReconcileStep = 1024;

// Runs a begun reconciliation to its end, one step per call of
// `step(f)`, which must call f(table): the reconciler takes the table's
// lock per step, so BPF events are applied in between; reconcile() runs
// the steps in a row.
template <typename Step>
ReconcileResult reconcile_in_steps(Step &&step, const std::vector<DiagConnection> &snapshot,
                                   size_t per_step = kReconcileStep) {
  ReconcileResult r;
  std::unordered_set<uint32_t> present;
  present.reserve(snapshot.size());
  for (const auto &dc : snapshot) present.insert(dc.token);
  for (size_t i = 0; i < snapshot.size(); i += per_step) {
    const std::span<const DiagConnection> slice(snapshot.data() + i, std::min(per_step, snapshot.size() - i));
    step([&](ConnectionTable &t) { t.reconcile_slice(slice, r); });
  }
  bool done = false;
  while (!done) step([&](ConnectionTable &t) { done = t.reconcile_sweep(present, per_step, r); });
  return r;
}

// The table shared between the threads that write it (bpf-events,
// reconciler) and those that read it (HTTP workers): one mutex, held only
// for a single event, one page of copying or one step of a reconciliation,
// so nothing holds up the event consumer for long.
class LockedConnectionTable {
 public:
  explicit LockedConnectionTable(size_t max_connections) : table_(max_connections) {}
  template <typename F>
  auto with(F &&f) {
    std::lock_guard lock(mu_);
    return f(table_);
  }
  template <typename F>
  auto with(F &&f) const {
    std::lock_guard lock(mu_);
    return f(static_cast<const ConnectionTable &>(table_));
  }

 private:
  mutable std::mutex mu_;
  ConnectionTable table_;
};

}  // namespace observer
