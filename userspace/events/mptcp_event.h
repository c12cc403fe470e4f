#pragma once
// The project's event model: what every source produces and the connection
// table consumes. One type for everything that happens to an MPTCP
// connection, whoever saw it: subflow transitions and listeners decoded from
// the BPF ring buffer (sources/bpf), what only the path manager knows
// (addresses announced and removed, priority changes: sources/pm_netlink),
// and what the connection table derives from subflows (connection
// established and closed). Plain data, no source's headers: a consumer
// links this and not the sources.
#include <cstdint>
#include <string>

#include "common/mptcp_terms.h"
#include "common/socket_address.h"

namespace observer {

enum class EventType {
  subflow_created,
  subflow_established,
  subflow_closed,
  join_failed,
  fallback,
  listener,
  connection_established,  // derived: the initial subflow of a connection established
  connection_closed,       // derived: the last subflow of a connection closed
  address_announced,       // path manager: the peer announced an address (ADD_ADDR)
  address_removed,         // path manager: the peer removed one (RM_ADDR)
  subflow_priority,        // path manager: a subflow's backup flag changed (MP_PRIO)
};
const char *event_type_name(EventType t);

// Numbered as enum mpo_reason (bpf/mptcp_events.h), so that the BPF decoder
// converts by value; its test pins each pair. The names are the metric
// label values.
enum class Reason {
  none,
  closed,
  reset,
  refused,
  timeout,
  rejected,
  no_mptcp,
  plain_client,
  unreachable,
  late,
  rejected_by_peer,
};
const char *reason_name(Reason r);
inline constexpr Reason kAllReasons[] = {Reason::closed,       Reason::reset,       Reason::refused,
                                         Reason::timeout,      Reason::rejected,    Reason::no_mptcp,
                                         Reason::plain_client, Reason::unreachable, Reason::late,
                                         Reason::rejected_by_peer};

struct MptcpEvent {
  EventType type = EventType::subflow_created;
  Direction direction = Direction::outbound;
  SubflowKind kind = SubflowKind::initial;
  Reason reason = Reason::none;
  uint64_t timestamp_ns = 0;  // CLOCK_MONOTONIC
  uint64_t cookie = 0;        // socket cookie of the subflow
  uint64_t duration_ns = 0;   // handshake time or lifetime, by type
  uint32_t netns = 0;
  uint32_t token = 0;
  uint32_t ifindex = 0;
  uint32_t tcp_error = 0;
  uint8_t reset_reason = 0;
  uint8_t local_id = 0;
  uint8_t remote_id = 0;
  bool backup = false;
  bool reset_seen = false;
  SocketAddress local, remote;
  // Set by the connection table on the events it derives or completes:
  uint64_t first_join_delay_ns = 0;  // join established: delay since the connection was, if first
  uint32_t subflow_count = 0;        // connection_closed: subflows it ever had
};

}  // namespace observer
