#pragma once
// Listens to the MPTCP path manager's netlink events ("mptcp_pm" family,
// "mptcp_pm_events" group) in the daemon's own network namespace and in
// every namespace of --netns-dir, one NETLINK_GENERIC socket per namespace
// (a netlink socket hears the namespace it was opened in). One thread,
// "pm-events", waits on all sockets and hands each event to the sink.
//
// The sockets are members of the events group only while set_listening
// says so: in a namespace where anyone listens, the kernel builds a message
// for every connection and subflow that comes or goes (our socket filter
// drops most of them only after that), a cost paid per connection under
// churn even when nobody reads the events.
//
// What keeps it from running here (no CAP_NET_ADMIN to join the group, a
// kernel without the family) makes it inactive with one log line saying
// why; the daemon carries on without it.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/defaults.h"
#include "common/network_namespaces.h"
#include "common/unique_fd.h"
#include "sources/pm_netlink/pm_event.h"

namespace observer::pm {

struct PmNetlinkOptions {
  std::string netns_dir{defaults::kNamedNetnsDir};  // as the reconciler's: '' for our own namespace only
  // The event types wanted; empty for all. The kernel drops the others
  // before they reach the socket (a socket filter), so the many events of
  // connections and subflows coming and going cost no wake-up.
  std::vector<PathManagerEventType> only;
};

struct PmNetlinkCounters {
  uint64_t events = 0;      // decoded and handed to the sink
  uint64_t malformed = 0;   // messages that did not decode (skipped)
  uint64_t unknown = 0;     // events of a type this build does not know (a newer kernel)
  uint64_t overruns = 0;    // ENOBUFS: a socket's receive buffer overflowed and the kernel dropped
                            // one or more events (it says so once per overflow, not per event)
  uint64_t namespaces = 0;  // namespaces subscribed now
};

class PmNetlinkSource {
 public:
  // Called on the "pm-events" thread, with netns and timestamp_ns set. A
  // slow sink delays the events behind it and, past the socket's buffer,
  // loses them (counted as overruns); stopping waits for the current call.
  using Sink = std::function<void(const PathManagerEvent &)>;

  // Subscribes in every namespace it can and, if our own namespace works,
  // starts "pm-events". Otherwise the source is inactive (see reason()).
  PmNetlinkSource(PmNetlinkOptions options, Sink sink);
  ~PmNetlinkSource();  // stops the thread, closes every socket
  PmNetlinkSource(const PmNetlinkSource &) = delete;
  PmNetlinkSource &operator=(const PmNetlinkSource &) = delete;

  bool active() const { return active_; }
  // Why the source is inactive, in one line; empty when active.
  const std::string &reason() const { return reason_; }

  // Subscribes in namespaces that appeared in netns_dir since the last scan
  // and drops the sockets of those that vanished (each socket holds its
  // namespace alive). Call it after each reconcile. Does nothing when inactive.
  void rescan();

  PmNetlinkCounters counters() const;

  // Joins (true) or leaves (false) the events group in every namespace, and
  // in those subscribed later. Starts off.
  void set_listening(bool on);
  bool listening() const;

 private:
  struct Subscription {
    std::string name;  // the namespace's name, for log lines
    UniqueFd socket;
    uint16_t family_id = 0;
    uint32_t group = 0;  // mptcp_pm_events
  };
  // One scan's steps, defined in the .cpp: what it found and what it changed.
  struct Visited;
  struct Walk;
  struct Changes;
  void join_group(Subscription &s, bool on);
  // Subscribes in namespaces not subscribed yet and leaves those that are
  // gone; `first` decides whether the source works at all.
  void scan(bool first);
  std::set<uint32_t> subscribed_namespaces() const;
  Walk walk_namespaces(const std::set<uint32_t> &subscribed);
  bool activate(const Walk &walk);
  Changes update_subscriptions(Walk &walk);
  bool subscribe(Visited &v);
  std::vector<std::string> drop_vanished(const std::set<uint32_t> &listed);
  void report(const Walk &walk, const Changes &changes, bool first);
  void consume();
  bool read_one(uint32_t netns, std::vector<uint8_t> &buffer);

  PmNetlinkOptions options_;
  Sink sink_;
  bool active_ = false;
  std::string reason_;

  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: tells "pm-events" to stop
  std::mutex scan_mu_;  // one scan at a time
  mutable std::mutex mu_;  // guards subscriptions_; "pm-events" holds it only to read one datagram
  std::map<uint32_t, Subscription> subscriptions_;  // by namespace inode
  bool listening_ = false;                          // (mu_)
  std::set<std::string> reported_;  // namespaces whose failure was logged already (scan_mu_)
  NamespaceWalker namespaces_;      // enters the namespaces (on "pm-rescan") and says what kept it out
  std::atomic<bool> overrun_reported_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> events_{0}, malformed_{0}, unknown_{0}, overruns_{0};
  std::thread consumer_;
};

}  // namespace observer::pm
