#include "table/connection_table.h"

#include <algorithm>
#include <unordered_set>

namespace observer {
namespace {
size_t dir_index(Direction d) { return d == Direction::outbound ? 0 : 1; }
size_t kind_index(SubflowKind k) { return k == SubflowKind::initial ? 0 : 1; }

SubflowRecord record_from(const MptcpEvent &e) {
  SubflowRecord s;
  s.cookie = e.cookie;
  s.local = Endpoint::from(e.local);
  s.remote = Endpoint::from(e.remote);
  s.established_ns = e.timestamp_ns;
  s.handshake_ns = e.duration_ns;
  s.ifindex = e.ifindex;
  s.kind = e.kind;
  s.direction = e.direction;
  s.local_id = e.local_id;
  s.remote_id = e.remote_id;
  s.backup = e.backup;
  s.backup_seen_ns = e.timestamp_ns;
  s.sources = kFromBpf;
  return s;
}

SubflowRecord record_from(const DiagSubflow &d, Direction direction, uint64_t snapshot_ns) {
  SubflowRecord s;
  s.cookie = d.cookie;
  s.local = d.local;
  s.remote = d.remote;
  s.kind = d.kind;
  s.direction = direction;
  s.local_id = d.local_id;
  s.remote_id = d.remote_id;
  s.backup = d.backup;
  s.backup_seen_ns = snapshot_ns;
  s.sources = kFromSockDiag;
  return s;
}
}  // namespace

ConnectionRecord *ConnectionTable::upsert(const ConnectionKey &key, Direction direction, uint8_t family,
                                          uint64_t now_ns, bool *created) {
  auto it = find_connection(key);
  if (it == connections_.end()) {
    if (connections_.size() >= max_connections_) {
      ++overflowed_;
      return nullptr;
    }
    ConnectionRecord c;
    c.key = key;
    c.direction = direction;
    c.family = family;
    c.updated_ns = now_ns;
    // The initial subflow and a join, in one allocation.
    c.subflows.reserve(2);
    it = connections_.emplace(key, std::move(c)).first;
    index_.emplace(key, it);
    ++gauges_.connections[dir_index(direction)];
    if (created) *created = true;
  }
  it->second.updated_ns = std::max(it->second.updated_ns, now_ns);
  return &it->second;
}

void ConnectionTable::add_subflow(ConnectionRecord &c, SubflowRecord s) {
  for (auto &existing : c.subflows) {
    // getsockopt knows no cookie: its subflow is the one with its addresses.
    const bool same = existing.cookie && s.cookie ? existing.cookie == s.cookie
                                                  : existing.local == s.local && existing.remote == s.remote;
    if (same) {
      if (!existing.cookie && s.cookie) {
        existing.cookie = s.cookie;
        by_cookie_[s.cookie] = c.key;
      }
      // Seen before by the other source: keep what each knows. The
      // backup flag can change (MP_PRIO): the newest word on it wins, so a
      // snapshot taken before an MP_PRIO event does not undo it.
      existing.sources |= s.sources;
      if (s.backup_seen_ns > existing.backup_seen_ns) {
        existing.backup = s.backup;
        existing.backup_seen_ns = s.backup_seen_ns;
      }
      if (!existing.established_ns) existing.established_ns = s.established_ns;
      if (!existing.handshake_ns) existing.handshake_ns = s.handshake_ns;
      if (!existing.ifindex) existing.ifindex = s.ifindex;
      return;
    }
  }
  ++gauges_.subflows[dir_index(s.direction)][kind_index(s.kind)];
  if (s.cookie) by_cookie_[s.cookie] = c.key;
  ++c.subflows_ever;
  c.sources |= s.sources;
  if (s.kind == SubflowKind::initial && c.local.family == 0) {
    c.local = s.local;
    c.remote = s.remote;
  }
  c.subflows.push_back(s);
}

// A snapshot guesses direction from listening ports; BPF knows it. Moving a
// connection between directions moves its gauges with it.
void ConnectionTable::set_direction(ConnectionRecord &c, Direction direction) {
  --gauges_.connections[dir_index(c.direction)];
  ++gauges_.connections[dir_index(direction)];
  for (auto &s : c.subflows) {
    --gauges_.subflows[dir_index(s.direction)][kind_index(s.kind)];
    s.direction = direction;
    ++gauges_.subflows[dir_index(s.direction)][kind_index(s.kind)];
  }
  c.direction = direction;
}

std::optional<SubflowRecord> ConnectionTable::remove_subflow(ConnectionRecord &c, uint64_t cookie) {
  const auto it = std::find_if(c.subflows.begin(), c.subflows.end(),
                               [&](const SubflowRecord &s) { return s.cookie == cookie; });
  if (it == c.subflows.end()) return std::nullopt;
  if (reconciling_ && reconciling_->netns == c.key.netns) reconciling_->closed_cookies.insert(cookie);
  --gauges_.subflows[dir_index(it->direction)][kind_index(it->kind)];
  by_cookie_.erase(cookie);
  SubflowRecord removed = std::move(*it);
  c.subflows.erase(it);
  return removed;
}

MptcpEvent ConnectionTable::close_connection(std::map<ConnectionKey, ConnectionRecord>::iterator it,
                                               uint64_t now_ns) {
  ConnectionRecord &c = it->second;
  if (reconciling_ && reconciling_->netns == c.key.netns) reconciling_->closed_tokens.insert(c.key.token);
  MptcpEvent e;
  e.type = EventType::connection_closed;
  e.timestamp_ns = now_ns;
  e.netns = c.key.netns;
  e.token = c.key.token;
  e.direction = c.direction;
  e.duration_ns = c.established_ns && now_ns > c.established_ns ? now_ns - c.established_ns : 0;
  e.subflow_count = c.subflows_ever;
  for (const auto &s : c.subflows) {
    --gauges_.subflows[dir_index(s.direction)][kind_index(s.kind)];
    by_cookie_.erase(s.cookie);
  }
  --gauges_.connections[dir_index(c.direction)];
  index_.erase(it->first);
  connections_.erase(it);
  return e;
}

DerivedEvents ConnectionTable::apply(MptcpEvent &e) {
  DerivedEvents derived;
  switch (e.type) {
    case EventType::subflow_established: apply_established(e, derived); break;
    case EventType::subflow_closed: apply_closed(e, derived); break;
    case EventType::subflow_priority: apply_priority(e); break;
    case EventType::join_failed: apply_join_failed(e); break;
    default: break;
  }
  return derived;
}

void ConnectionTable::apply_established(MptcpEvent &e, DerivedEvents &derived) {
  if (e.token == 0) return;
  const uint8_t family = Endpoint::from(e.local).family;
  ConnectionRecord *c = upsert({e.netns, e.token}, e.direction, family, e.timestamp_ns);
  if (!c) return;
  if (e.kind == SubflowKind::initial) {
    if (!c->established_ns) derived.set(establish_connection(*c, e));
  } else if (!c->first_join_ns) {
    c->first_join_ns = e.timestamp_ns;
    if (c->established_ns && e.timestamp_ns > c->established_ns) {
      e.first_join_delay_ns = e.timestamp_ns - c->established_ns;
    }
  }
  c->sources |= kFromBpf;
  add_subflow(*c, record_from(e));
}

// The initial subflow's event makes the connection established, with the
// direction BPF saw (a snapshot may have guessed it first).
MptcpEvent ConnectionTable::establish_connection(ConnectionRecord &c, const MptcpEvent &initial) {
  c.established_ns = initial.timestamp_ns;
  if (c.direction != initial.direction) set_direction(c, initial.direction);
  MptcpEvent up = initial;
  up.type = EventType::connection_established;
  up.duration_ns = 0;
  return up;
}

void ConnectionTable::apply_closed(MptcpEvent &e, DerivedEvents &derived) {
  const auto it = connection_of_subflow({e.netns, e.token}, e.cookie);
  if (it == connections_.end()) return;
  const auto s = remove_subflow(it->second, e.cookie);
  if (!s) return;
  // Subflows close without a lifetime (the BPF side keeps no state per
  // subflow): it runs from the established event kept here.
  if (e.duration_ns == 0 && s->established_ns && e.timestamp_ns > s->established_ns) {
    e.duration_ns = e.timestamp_ns - s->established_ns;
  }
  it->second.updated_ns = std::max(it->second.updated_ns, e.timestamp_ns);
  if (it->second.subflows.empty()) derived.set(close_connection(it, e.timestamp_ns));
}

// By the event's key or, failing that, by the subflow's cookie.
std::map<ConnectionKey, ConnectionRecord>::iterator ConnectionTable::connection_of_subflow(const ConnectionKey &key,
                                                                                          uint64_t cookie) {
  const auto it = find_connection(key);
  if (it != connections_.end()) return it;
  const auto k = by_cookie_.find(cookie);
  return k == by_cookie_.end() ? connections_.end() : find_connection(k->second);
}

// MP_PRIO: the path manager names the subflow by its addresses.
void ConnectionTable::apply_priority(const MptcpEvent &e) {
  const auto it = find_connection({e.netns, e.token});
  if (it == connections_.end()) return;
  const Endpoint local = Endpoint::from(e.local), remote = Endpoint::from(e.remote);
  for (auto &s : it->second.subflows) {
    if (s.local == local && s.remote == remote) {
      s.backup = e.backup;
      s.backup_seen_ns = std::max(s.backup_seen_ns, e.timestamp_ns);
    }
  }
}

void ConnectionTable::apply_join_failed(const MptcpEvent &e) {
  const auto it = find_connection({e.netns, e.token});
  if (it == connections_.end()) return;
  ConnectionRecord &c = it->second;
  ++c.join_failures;
  c.last_join_failure = e.reason;
  if (const auto r = static_cast<size_t>(e.reason); r < c.join_failures_by_reason.size()) {
    auto &n = c.join_failures_by_reason[r];
    if (n < UINT16_MAX) ++n;
  }
  c.updated_ns = std::max(c.updated_ns, e.timestamp_ns);
}

ReconcileResult ConnectionTable::reconcile(uint32_t netns, const std::vector<DiagConnection> &snapshot,
                                           uint64_t snapshot_ns) {
  reconcile_begin(netns, snapshot_ns);
  return reconcile_in_steps([this](const auto &f) { f(*this); }, snapshot);
}

void ConnectionTable::reconcile_begin(uint32_t netns, uint64_t snapshot_ns) {
  // Not emplace(): clang 14 judges the struct not default-constructible
  // inside its own class (its member initializers are parsed last).
  reconciling_ = Reconciling{};
  reconciling_->netns = netns;
  reconciling_->snapshot_ns = snapshot_ns;
}

void ConnectionTable::reconcile_end() { reconciling_.reset(); }

void ConnectionTable::reconcile_slice(std::span<const DiagConnection> slice, ReconcileResult &r) {
  if (!reconciling_) return;
  const uint32_t netns = reconciling_->netns;
  const uint64_t snapshot_ns = reconciling_->snapshot_ns;
  std::vector<uint64_t> gone;
  for (const auto &dc : slice) {
    // Closed by an event since the snapshot began: the snapshot is stale.
    if (reconciling_->closed_tokens.count(dc.token)) continue;
    const ConnectionKey key{netns, dc.token};
    const bool existed = connections_.count(key) != 0;
    ConnectionRecord *c = upsert(key, dc.direction, dc.local.family, existed ? 0 : snapshot_ns);
    if (!c) continue;
    if (!existed) {
      ++r.connections_added;
      c->local = dc.local;
      c->remote = dc.remote;
    }
    c->sources |= kFromSockDiag;
    if (dc.fallback && !c->fallback) {
      // MPTCP lost after the handshake (MP_FAIL, an infinite mapping): no
      // hook sees it happen, the snapshot's flag does. Counted once.
      MptcpEvent e;
      e.type = EventType::fallback;
      e.reason = Reason::late;
      e.timestamp_ns = snapshot_ns;
      e.netns = netns;
      e.token = dc.token;
      e.direction = c->direction;
      e.local = c->local.to_socket_address();
      e.remote = c->remote.to_socket_address();
      r.events.push_back(e);
    }
    c->fallback = dc.fallback;
    c->fallback_in_handshake = dc.fallback_in_handshake;
    for (const auto &sf : dc.subflows) {
      if (reconciling_->closed_cookies.count(sf.cookie)) continue;
      const bool known = std::any_of(c->subflows.begin(), c->subflows.end(),
                                     [&](const SubflowRecord &s) { return s.cookie == sf.cookie; });
      add_subflow(*c, record_from(sf, c->direction, snapshot_ns));
      if (!known) ++r.subflows_added;
    }
    // Subflows the kernel no longer has, unless established after the
    // snapshot began. A connection has a handful: scans, not sets.
    gone.clear();
    for (const auto &s : c->subflows) {
      const bool in_kernel = std::any_of(dc.subflows.begin(), dc.subflows.end(),
                                         [&](const DiagSubflow &sf) { return sf.cookie == s.cookie; });
      if (!in_kernel && s.established_ns < snapshot_ns) gone.push_back(s.cookie);
    }
    for (const auto cookie : gone) {
      remove_subflow(*c, cookie);
      ++r.subflows_removed;
    }
  }
}

bool ConnectionTable::reconcile_sweep(const std::unordered_set<uint32_t> &present, size_t limit,
                                      ReconcileResult &r) {
  if (!reconciling_) return true;
  const uint32_t netns = reconciling_->netns;
  const uint64_t snapshot_ns = reconciling_->snapshot_ns;
  auto it = connections_.lower_bound({netns, reconciling_->sweep_from});
  for (size_t seen = 0; it != connections_.end() && it->first.netns == netns; ++seen) {
    if (seen == limit) {
      reconciling_->sweep_from = it->first.token;
      return false;
    }
    if (!present.count(it->first.token) && it->second.updated_ns < snapshot_ns) {
      r.events.push_back(close_connection(it++, snapshot_ns));
      ++r.connections_removed;
    } else {
      ++it;
    }
  }
  reconcile_end();
  return true;
}

ConnectionTable::Merged ConnectionTable::merge_getsockopt(const ConnectionKey &key, Direction direction,
                                                         const std::vector<ObservedSubflow> &subflows,
                                                         uint64_t now_ns) {
  const uint8_t family = subflows.empty() ? 0 : subflows.front().remote.family;
  bool created = false;
  ConnectionRecord *c = upsert(key, direction, family, now_ns, &created);
  if (!c) return {};
  c->sources |= kFromGetsockopt;
  for (const auto &o : subflows) {
    SubflowRecord s;
    s.local = o.local;
    s.remote = o.remote;
    s.kind = o.kind;
    s.direction = c->direction;
    s.sources = kFromGetsockopt;
    add_subflow(*c, s);
  }
  return {c, created};
}

std::vector<MptcpEvent> ConnectionTable::forget_namespaces_except(const std::set<uint32_t> &alive,
                                                                   uint64_t listed_ns) {
  std::vector<MptcpEvent> closed;
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (!alive.count(it->first.netns) && it->second.updated_ns < listed_ns) {
      closed.push_back(close_connection(it++, listed_ns));
    } else {
      ++it;
    }
  }
  return closed;
}

std::vector<ConnectionRecord> ConnectionTable::page(std::optional<ConnectionKey> after, size_t limit) const {
  std::vector<ConnectionRecord> out;
  auto it = after ? connections_.upper_bound(*after) : connections_.begin();
  for (; it != connections_.end() && out.size() < limit; ++it) out.push_back(it->second);
  return out;
}

ConnectionTable::Connections::iterator ConnectionTable::find_connection(const ConnectionKey &key) {
  const auto it = index_.find(key);
  return it == index_.end() ? connections_.end() : it->second;
}

const ConnectionRecord *ConnectionTable::lookup(const ConnectionKey &key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &it->second->second;
}

}  // namespace observer
