#pragma once
// MPTCP vocabulary shared by every source and view.

namespace observer {

// The initial subflow carried MP_CAPABLE; every other one joined (MP_JOIN).
enum class SubflowKind { initial, join };
inline const char *subflow_kind_name(SubflowKind k) { return k == SubflowKind::initial ? "initial" : "join"; }

// outbound: this host connected; inbound: this host accepted.
enum class Direction { outbound, inbound };
inline const char *direction_name(Direction d) { return d == Direction::outbound ? "outbound" : "inbound"; }

}  // namespace observer
