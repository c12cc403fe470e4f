#pragma once
// Each data source's state at one moment: taken once by the daemon, from
// the sources' own counters, and rendered twice, as metrics
// (mptcp_observer_source_up, mptcp_observer_events_total...) and as the
// admin /healthz's "sources".
#include <cstdint>
#include <string>

namespace observer {

struct SourceHealth {
  struct Bpf {
    bool loaded = false;  // the programs are attached
    bool up = false;      // loaded, and the ring buffer still delivers
    std::string cgroup;   // what it traces, when loaded
    std::string reads;    // how it reads subflow fields: typed (6.2+) or probed
    std::string reason;   // why it is not loaded
    uint64_t events = 0, lost = 0, malformed = 0;
  } bpf;
  struct SockDiag {
    bool up = false;  // the last reconciliation read every namespace
    uint64_t runs = 0, namespaces = 0;
    uint64_t repairs = 0;  // connections added to or removed from the table
    std::string reason;    // why the last run failed
  } sock_diag;
  struct Getsockopt {
    bool up = false;  // a checker listener is MPTCP: its sockets can be described
  } getsockopt;
  struct PmNetlink {
    bool up = false;
    bool listening = false;  // to per-connection events, while an event stream is open
    uint64_t namespaces = 0, events = 0, overruns = 0;
    std::string reason;  // why it is off
  } pm_netlink;
  uint64_t tracked_connections = 0;
  uint64_t table_overflow = 0;  // connections not tracked: the table was full
  uint64_t stream_dropped = 0;  // events a slow /api/v1/events reader missed
};

}  // namespace observer
