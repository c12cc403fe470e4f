#pragma once
// The network namespaces the daemon covers: its own, every namespace file in
// a directory (/run/netns, where `ip netns` keeps them), and the namespace of
// every process on the host (containers keep theirs this way). Sources
// that read per-namespace kernel state (sock_diag, path-manager netlink)
// enter each one in turn; sockets stay bound to the namespace they were
// opened in, so a socket opened inside keeps working after we leave.
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "common/unique_fd.h"

namespace observer {

struct NetworkNamespace {
  std::string name;    // "self" for the caller's own namespace, else the file name in the directory
  UniqueFd fd;         // open on the namespace: what setns() takes
  uint32_t inode = 0;  // identifies the namespace in events and the API (`stat -L -c %i`)
  bool self = false;   // the caller's own (a file in the directory may be called "self" too)
};

// The caller's own namespace first, named "self", then each entry of `dir`
// (none when `dir` is empty or unreadable), then, with `processes`, those of
// the processes in /proc not seen yet (named "pid:N"). A namespace reachable
// by two names is listed once, under the first (self wins). Entries that
// cannot be opened are left out.
struct NamespaceList {
  std::vector<NetworkNamespace> namespaces;
  // Every process's namespace could be looked at: a namespace of ours that
  // is not listed has no process and no file left, so it is gone.
  bool complete = true;
};
NamespaceList list_network_namespaces(const std::string &dir, bool processes);

struct NamespaceVisit {
  enum class Outcome {
    ran,             // `work` ran inside the namespace and the thread is back home
    cannot_enter,    // `work` did not run; error is the errno (EPERM: no CAP_SYS_ADMIN)
    cannot_return,   // `work` ran, but the thread is stuck in the namespace: see below
  };
  Outcome outcome = Outcome::ran;
  int error = 0;

  // Not allowed in (no CAP_SYS_ADMIN): not a failure of the namespace.
  bool denied() const { return outcome == Outcome::cannot_enter && error == EPERM; }
};

// Runs `work` on the calling thread inside `ns`, then moves the thread back
// to the namespace it was in. For "self" it simply runs `work`.
//
// setns() moves only the calling thread, and everything that thread opens
// afterwards (sockets above all) belongs to the namespace it is in. A thread
// that could not come back would silently read the wrong namespace from
// then on, so on cannot_return the caller must stop using this thread: end
// it, never hand it more work.
NamespaceVisit run_in_network_namespace(const NetworkNamespace &ns, const std::function<void()> &work);

// How a source that reads every namespace (the reconciler, the path-manager
// source) visits them and says what kept it out, in its own log lines:
// being denied other namespaces once for its lifetime, since it happens at
// every walk and the source still reads its own namespace; a thread that
// could not come back every time, as an error.
class NamespaceWalker {
 public:
  // `component` names the log lines; `without_others` says what the source
  // does when it may not enter other namespaces ("reconciling this one only").
  NamespaceWalker(std::string component, std::string without_others)
      : component_(std::move(component)), without_others_(std::move(without_others)) {}

  // run_in_network_namespace(ns, work), logging cannot_return.
  NamespaceVisit visit(const NetworkNamespace &ns, const std::function<void()> &work) const;
  // After a visit that was denied(): says so the first time.
  void say_denied();

 private:
  std::string component_;
  std::string without_others_;
  std::atomic<bool> denied_said_{false};
};

}  // namespace observer
