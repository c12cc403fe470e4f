#pragma once
// sock_diag requests and replies as bytes: building and parsing are pure,
// so they are tested on fixture messages without a kernel.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/endpoint.h"
#include "sources/sock_diag/diag_connection.h"

namespace observer::diag {

// A dump of MPTCP-level sockets of one family, with struct mptcp_info.
std::vector<uint8_t> mptcp_dump_request(int family, uint32_t seq);
// A dump of TCP sockets of one family; subflows carry their MPTCP ULP info.
std::vector<uint8_t> tcp_dump_request(int family, uint32_t seq);

struct MptcpSocket {
  uint32_t token = 0;
  Endpoint local, remote;
  uint8_t state = 0;  // TCP state numbers; 10 is LISTEN
  bool fallback = false;
  bool remote_key_received = false;  // the MP_CAPABLE handshake completed
};

// Each parser appends what one recv() buffer holds and returns false once
// the dump is complete (NLMSG_DONE) or failed (error set).
struct ParseState {
  bool done = false;
  std::string error;
};
void parse_mptcp_reply(std::span<const uint8_t> buffer, std::vector<MptcpSocket> &out, ParseState &state);
void parse_subflow_reply(std::span<const uint8_t> buffer, std::vector<DiagSubflow> &out, ParseState &state);

// Groups subflows under their connections (TOKEN_LOC == token) and decides
// each connection's direction: inbound when an MPTCP listener of this
// snapshot has its local port.
std::vector<DiagConnection> assemble(const std::vector<MptcpSocket> &sockets,
                                     const std::vector<DiagSubflow> &subflows);

}  // namespace observer::diag
