#pragma once
// Takes a sock_diag snapshot of the MPTCP connections of the network
// namespace the calling thread is in (what `ss -M` and `ss -ti` show).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sources/sock_diag/diag_connection.h"

namespace observer::diag {

struct Snapshot {
  std::vector<DiagConnection> connections;
  std::vector<uint16_t> mptcp_listener_ports;
};

std::optional<Snapshot> snapshot(std::string &error);

}  // namespace observer::diag
