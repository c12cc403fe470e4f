#pragma once
// `mptcp-observer probe`: the client side of the checker (see
// `mptcp-observer probe --help`).
#include <string>
#include <vector>

namespace observer::probe {

// Runs the probe with the arguments after "probe"; returns the exit status
// (0 all good, 1 a finding, 2 could not check).
int run_probe(const std::vector<std::string> &args);

}  // namespace observer::probe
