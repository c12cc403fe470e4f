#pragma once
// Takes a sock_diag snapshot of the MPTCP connections of the network
// namespace the calling thread is in (what `ss -M` and `ss -ti` show).
#include <optional>
#include <string>
#include <vector>

#include "sources/sock_diag/diag_connection.h"

namespace observer::diag {

std::optional<std::vector<DiagConnection>> snapshot(std::string &error);

}  // namespace observer::diag
