#pragma once
// MPTCP vocabulary shared by every source and view.
#include <cstdint>
#include <string>

namespace observer {

// A connection's token as every view shows it: eight lower-case hex
// digits, the form `ip mptcp monitor` prints. Written at `p`; returns the end.
inline char *write_token(char *p, uint32_t token) {
  for (int i = 7; i >= 0; --i, token >>= 4) p[i] = "0123456789abcdef"[token & 0xf];
  return p + 8;
}
inline std::string format_token(uint32_t token) {
  char text[8];
  return std::string(text, write_token(text, token));
}

// The initial subflow carried MP_CAPABLE; every other one joined (MP_JOIN).
enum class SubflowKind { initial, join };
inline const char *subflow_kind_name(SubflowKind k) { return k == SubflowKind::initial ? "initial" : "join"; }

// outbound: this host connected; inbound: this host accepted.
enum class Direction { outbound, inbound };
inline const char *direction_name(Direction d) { return d == Direction::outbound ? "outbound" : "inbound"; }

}  // namespace observer
