#include "events/mptcp_event.h"

namespace observer {

const char *event_type_name(EventType t) {
  switch (t) {
    case EventType::subflow_created: return "subflow_created";
    case EventType::subflow_established: return "subflow_established";
    case EventType::subflow_closed: return "subflow_closed";
    case EventType::join_failed: return "join_failed";
    case EventType::fallback: return "fallback";
    case EventType::listener: return "listener";
    case EventType::connection_established: return "connection_established";
    case EventType::connection_closed: return "connection_closed";
    case EventType::address_announced: return "address_announced";
    case EventType::address_removed: return "address_removed";
    case EventType::subflow_priority: return "subflow_priority";
  }
  return "unknown";
}

const char *reason_name(Reason r) {
  switch (r) {
    case Reason::none: return "none";
    case Reason::closed: return "closed";
    case Reason::reset: return "reset";
    case Reason::refused: return "refused";
    case Reason::timeout: return "timeout";
    case Reason::rejected: return "rejected";
    case Reason::no_mptcp: return "no_mptcp";
    case Reason::plain_client: return "plain_client";
    case Reason::unreachable: return "unreachable";
    case Reason::late: return "late";
    case Reason::rejected_by_peer: return "rejected_by_peer";
  }
  return "none";
}

}  // namespace observer
