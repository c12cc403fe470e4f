#pragma once
// An MPTCP connection and its subflows as sock_diag shows them (`ss -M`,
// and the subflows' MPTCP ULP info).
#include <cstdint>
#include <vector>

#include "common/endpoint.h"
#include "common/mptcp_terms.h"

namespace observer {

struct DiagSubflow {
  uint64_t cookie = 0;  // the socket cookie: the same value BPF reports
  Endpoint local, remote;
  SubflowKind kind = SubflowKind::initial;
  uint8_t local_id = 0, remote_id = 0;
  bool backup = false;
  uint32_t token = 0;  // MPTCP_SUBFLOW_ATTR_TOKEN_LOC: the connection it belongs to
};

struct DiagConnection {
  uint32_t token = 0;
  Endpoint local, remote;
  Direction direction = Direction::outbound;
  bool fallback = false;  // mptcp_info.flags bit 0
  // Fell back before the MP_CAPABLE handshake completed (no remote key,
  // bit 1 clear): a SYN-ACK without MP_CAPABLE, as a client sees it.
  bool fallback_in_handshake = false;
  std::vector<DiagSubflow> subflows;
};

}  // namespace observer
