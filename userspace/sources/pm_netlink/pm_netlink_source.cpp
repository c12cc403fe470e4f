#include "sources/pm_netlink/pm_netlink_source.h"

#include <linux/filter.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "common/clocks.h"
#include "common/log.h"
#include "common/network_namespaces.h"
#include "sources/pm_netlink/pm_event_decode.h"
#include "sources/pm_netlink/pm_socket.h"

namespace observer::pm {
namespace {
constexpr const char *kLog = "pm-events";
// Namespace inodes are 32-bit, so this key can only be the stop eventfd.
constexpr uint64_t kWakeKey = UINT64_MAX;
// Events come in bursts (a connection with two subflows is five or more
// messages at once), and a multicast that does not fit is dropped (ENOBUFS).
constexpr int kReceiveBufferBytes = 1 << 20;
// Far above any event (the kernel allocates NLMSG_DEFAULT_SIZE for one).
constexpr size_t kDatagramBytes = 64 * 1024;
// Datagrams read from one socket before looking at the others again.
constexpr int kBurst = 64;

struct Opened {
  UniqueFd socket;
  uint16_t family_id = 0;
  uint32_t group = 0;
  std::string why;  // one line, when socket is empty
};

// A classic BPF socket filter that keeps the events whose generic-netlink
// command (the byte after the netlink header) is one of `types`.
bool attach_type_filter(int fd, const std::vector<PathManagerEventType> &types) {
  std::vector<sock_filter> code;
  code.push_back(BPF_STMT(BPF_LD | BPF_B | BPF_ABS, NLMSG_HDRLEN + offsetof(genlmsghdr, cmd)));
  for (size_t i = 0; i < types.size(); ++i) {
    // Equal: jump to the "keep" return after the remaining tests.
    const auto to_keep = static_cast<uint8_t>(types.size() - i);
    code.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(types[i]), to_keep, 0));
  }
  code.push_back(BPF_STMT(BPF_RET | BPF_K, 0));           // drop
  code.push_back(BPF_STMT(BPF_RET | BPF_K, 0xffffffffu));  // keep all of it
  const sock_fprog program{static_cast<unsigned short>(code.size()), code.data()};
  return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) == 0;
}

// Must run inside the target namespace: the socket belongs to the namespace
// it is created in and hears only that namespace's events.
Opened open_subscription(const std::vector<PathManagerEventType> &only) {
  Opened out;
  PmSocket pm = open_pm_socket();
  if (!pm.socket) {
    out.why = pm.why;
    return out;
  }
  UniqueFd fd = std::move(pm.socket);
  const PmFamily &family = pm.family;
  if (!family.events_group) {
    out.why = "the kernel's mptcp_pm family has no mptcp_pm_events group (path-manager events need 5.12+)";
    return out;
  }
  // Filter before joining, so that no unwanted event slips in between.
  if (!only.empty() && !attach_type_filter(fd.get(), only)) {
    out.why = errno_text("filtering path-manager events", errno);
    return out;
  }
  // Joined here to learn whether we may (the caller leaves again unless
  // someone is listening): what fails, fails at start-up, not later.
  const uint32_t group = *family.events_group;
  if (setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0) {
    const int error = errno;
    out.why = (error == EPERM || error == EACCES)
                  ? "joining the mptcp_pm_events group needs CAP_NET_ADMIN"
                  : errno_text("joining the mptcp_pm_events group", error);
    return out;
  }
  // FORCE passes the net.core.rmem_max cap (with CAP_NET_ADMIN, which
  // joining usually needed); without it the kernel caps what we ask.
  if (setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &kReceiveBufferBytes, sizeof kReceiveBufferBytes) != 0) {
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &kReceiveBufferBytes, sizeof kReceiveBufferBytes);
  }
  out.socket = std::move(fd);
  out.family_id = family.id;
  out.group = group;
  return out;
}
}  // namespace

PmNetlinkSource::PmNetlinkSource(PmNetlinkOptions options, Sink sink)
    : options_(std::move(options)),
      sink_(std::move(sink)),
      namespaces_(kLog, "path-manager events from this one only") {
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  wake_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.u64 = kWakeKey;
  if (!epoll_ || !wake_ || epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wake_.get(), &wake) != 0) {
    reason_ = errno_text("epoll", errno);
    log::warn(kLog, "path-manager events are off: " + reason_);
    return;
  }
  scan(true);
  if (active_) consumer_ = std::thread([this] { consume(); });
}

PmNetlinkSource::~PmNetlinkSource() {
  stopping_ = true;
  if (consumer_.joinable()) {
    const uint64_t one = 1;
    if (write(wake_.get(), &one, sizeof one) < 0) {
      // An eventfd write fails only when its counter would overflow, which
      // means a wake-up is pending already.
    }
    consumer_.join();
  }
}

void PmNetlinkSource::rescan() {
  if (active_) scan(false);
}

// A namespace the scan looked at, and the subscription opened there (or
// why there is none).
struct PmNetlinkSource::Visited {
  uint32_t inode = 0;
  std::string name;
  bool self = false;
  Opened opened;
};

struct PmNetlinkSource::Walk {
  std::set<uint32_t> listed;     // every namespace there is now
  std::vector<Visited> visited;  // those not subscribed yet
  bool denied = false;           // other namespaces are closed to us (EPERM)
  bool stuck = false;            // the visitor ended early: `listed` is incomplete
};

struct PmNetlinkSource::Changes {
  std::vector<std::string> added, dropped;  // namespace names
};

void PmNetlinkSource::scan(bool first) {
  std::lock_guard scan_lock(scan_mu_);
  Walk walk = walk_namespaces(subscribed_namespaces());
  if (first && !activate(walk)) return;
  const Changes changes = update_subscriptions(walk);
  report(walk, changes, first);
}

std::set<uint32_t> PmNetlinkSource::subscribed_namespaces() const {
  std::lock_guard lock(mu_);
  std::set<uint32_t> subscribed;
  for (const auto &entry : subscriptions_) subscribed.insert(entry.first);
  return subscribed;
}

// Visits namespaces on a short-lived thread of its own ("pm-rescan"), not
// the caller's: if it cannot come back from a namespace it simply ends,
// and no thread of the daemon is left in the wrong namespace.
PmNetlinkSource::Walk PmNetlinkSource::walk_namespaces(const std::set<uint32_t> &subscribed) {
  Walk walk;
  std::thread visitor([&] {
    pthread_setname_np(pthread_self(), "pm-rescan");
    for (auto &ns : list_network_namespaces(options_.netns_dir, /*processes=*/true).namespaces) {
      walk.listed.insert(ns.inode);
      if (subscribed.count(ns.inode)) continue;
      Opened opened;
      const auto visit = namespaces_.visit(ns, [&] { opened = open_subscription(options_.only); });
      if (visit.denied()) {
        walk.denied = true;
        continue;
      }
      if (visit.outcome == NamespaceVisit::Outcome::cannot_enter) {
        opened.why = errno_text("cannot enter the network namespace", visit.error);
      }
      // A socket opened inside stays good even if we cannot come back.
      walk.visited.push_back({ns.inode, ns.name, ns.self, std::move(opened)});
      if (visit.outcome == NamespaceVisit::Outcome::cannot_return) {
        walk.stuck = true;
        return;  // this thread ends here, in the foreign namespace
      }
    }
  });
  visitor.join();
  return walk;
}

// Our own namespace decides: what fails there (no family, no
// CAP_NET_ADMIN) fails in every namespace, and the source stays off.
bool PmNetlinkSource::activate(const Walk &walk) {
  const Visited *self = nullptr;
  for (const auto &v : walk.visited) {
    if (v.self) self = &v;
  }
  if (!self || !self->opened.socket) {
    reason_ = self ? self->opened.why : "cannot open this thread's network namespace (/proc/thread-self/ns/net)";
    log::warn(kLog, "path-manager events are off: " + reason_);
    return false;
  }
  active_ = true;
  return true;
}

// Subscribes in the namespaces just opened and leaves those that are gone,
// under one hold of mu_.
PmNetlinkSource::Changes PmNetlinkSource::update_subscriptions(Walk &walk) {
  Changes changes;
  std::lock_guard lock(mu_);
  for (auto &v : walk.visited) {
    if (subscribe(v)) changes.added.push_back(v.name);
  }
  // When the visitor stopped early the list is incomplete: drop nothing.
  if (!walk.stuck) changes.dropped = drop_vanished(walk.listed);
  return changes;
}

// Under mu_. False, with the reason in v.opened.why, when there is nothing
// to subscribe or epoll refuses the socket.
bool PmNetlinkSource::subscribe(Visited &v) {
  if (!v.opened.socket) return false;
  epoll_event ready{};
  ready.events = EPOLLIN;
  ready.data.u64 = v.inode;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, v.opened.socket.get(), &ready) != 0) {
    v.opened.why = errno_text("epoll", errno);
    v.opened.socket.reset();
    return false;
  }
  auto &added = subscriptions_[v.inode] =
      Subscription{v.name, std::move(v.opened.socket), v.opened.family_id, v.opened.group};
  if (!listening_) join_group(added, false);
  return true;
}

// Under mu_: closes the subscriptions of namespaces not in `listed`, and
// returns their names.
std::vector<std::string> PmNetlinkSource::drop_vanished(const std::set<uint32_t> &listed) {
  std::vector<std::string> dropped;
  for (auto it = subscriptions_.begin(); it != subscriptions_.end();) {
    if (listed.count(it->first)) {
      ++it;
      continue;
    }
    // Closing a socket removes it from the epoll set; DEL first anyway,
    // in case a duplicated fd keeps it open.
    epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.socket.get(), nullptr);
    dropped.push_back(it->second.name);
    it = subscriptions_.erase(it);
  }
  return dropped;
}

// Log lines outside mu_: each namespace's trouble said once.
void PmNetlinkSource::report(const Walk &walk, const Changes &changes, bool first) {
  // A namespace that works now may fail again later: say so then.
  for (const auto &name : changes.added) reported_.erase(name);
  for (const auto &v : walk.visited) {
    if (!v.opened.why.empty() && reported_.insert(v.name).second) {
      log::warn(kLog, "network namespace " + v.name + ": " + v.opened.why);
    }
  }
  if (!first) {
    for (const auto &name : changes.added) log::debug(kLog, "listening in network namespace " + name);
  }
  for (const auto &name : changes.dropped) {
    log::debug(kLog, "network namespace " + name + " is gone; stopped listening there");
  }
  if (walk.denied) namespaces_.say_denied();
  if (first) {
    log::info(kLog, "listening to MPTCP path-manager events in " + std::to_string(changes.added.size()) +
                        " network namespace(s)");
  }
}

void PmNetlinkSource::consume() {
  pthread_setname_np(pthread_self(), "pm-events");
  std::vector<uint8_t> buffer(kDatagramBytes);
  epoll_event ready[16];
  while (!stopping_) {
    const int n = epoll_wait(epoll_.get(), ready, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error(kLog, errno_text("epoll_wait; path-manager events stop", errno));
      return;
    }
    for (int i = 0; i < n && !stopping_; ++i) {
      if (ready[i].data.u64 == kWakeKey) continue;
      const auto netns = static_cast<uint32_t>(ready[i].data.u64);
      for (int k = 0; k < kBurst && !stopping_ && read_one(netns, buffer); ++k) {
      }
    }
  }
}

// Reads and delivers one datagram; false when there is nothing more to read
// from this socket for now.
bool PmNetlinkSource::read_one(uint32_t netns, std::vector<uint8_t> &buffer) {
  ssize_t n;
  int error = 0;
  uint16_t family_id = 0;
  sockaddr_nl from{};
  std::string name;
  {
    // Under the lock so that rescan() cannot close the socket mid-read.
    std::lock_guard lock(mu_);
    const auto it = subscriptions_.find(netns);
    if (it == subscriptions_.end()) return false;  // dropped since epoll_wait returned
    socklen_t from_len = sizeof from;
    n = recvfrom(it->second.socket.get(), buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC,
                 reinterpret_cast<sockaddr *>(&from), &from_len);
    error = errno;
    family_id = it->second.family_id;
    if (n < 0 && error != EAGAIN && error != EWOULDBLOCK && error != EINTR && error != ENOBUFS) {
      // Not a condition that goes away by reading again: stop listening
      // there rather than spin on a socket that stays readable.
      name = it->second.name;
      epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, it->second.socket.get(), nullptr);
      subscriptions_.erase(it);
    }
  }
  if (n < 0) {
    if (error == ENOBUFS) {
      // The receive buffer overflowed and the kernel dropped events; the
      // socket itself is fine. Count it and keep reading.
      ++overruns_;
      if (!overrun_reported_.exchange(true)) {
        log::warn(kLog, "path-manager events were lost (socket receive buffer overrun); counting them as overruns");
      }
      return true;
    }
    if (!name.empty()) log::warn(kLog, "network namespace " + name + ": " + errno_text("recv", error) + "; stopped listening there");
    return false;
  }
  if (static_cast<size_t>(n) > buffer.size()) {
    ++malformed_;  // larger than any event: not from the path manager
    return true;
  }
  // Only the kernel speaks for the path manager (a root process could
  // multicast to the group too).
  if (from.nl_pid != 0) return true;
  auto decoded = decode_pm_events(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)), family_id);
  malformed_ += decoded.malformed;
  unknown_ += decoded.unknown;
  const uint64_t now = monotonic_ns();
  for (auto &event : decoded.events) {
    event.netns = netns;
    event.timestamp_ns = now;
    ++events_;
    sink_(event);
  }
  return true;
}

void PmNetlinkSource::set_listening(bool on) {
  std::lock_guard lock(mu_);
  if (listening_ == on) return;
  listening_ = on;
  for (auto &entry : subscriptions_) join_group(entry.second, on);
  log::debug(kLog, on ? "an event stream is open: listening to the path manager"
                      : "no event stream is open: stopped listening to the path manager");
}

bool PmNetlinkSource::listening() const {
  std::lock_guard lock(mu_);
  return listening_;
}

// Membership was proven when the socket was opened, so this fails only on
// a kernel in trouble: said, and that namespace stays as it was.
void PmNetlinkSource::join_group(Subscription &s, bool on) {
  const int option = on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP;
  if (setsockopt(s.socket.get(), SOL_NETLINK, option, &s.group, sizeof s.group) != 0) {
    log::warn(kLog, "network namespace " + s.name + ": " +
                        errno_text(on ? "joining the mptcp_pm_events group" : "leaving the mptcp_pm_events group", errno));
  }
}

PmNetlinkCounters PmNetlinkSource::counters() const {
  PmNetlinkCounters c;
  c.events = events_;
  c.malformed = malformed_;
  c.unknown = unknown_;
  c.overruns = overruns_;
  std::lock_guard lock(mu_);
  c.namespaces = subscriptions_.size();
  return c;
}

}  // namespace observer::pm
