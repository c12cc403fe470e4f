#pragma once
// `mptcp-observer probe`: the client side of the checker (see probe_help()).
#include <string>
#include <vector>

namespace observer::probe {

std::string probe_help();
// Runs the probe with the arguments after "probe"; returns the exit status
// (0 all good, 1 a finding, 2 could not check).
int run_probe(const std::vector<std::string> &args);

}  // namespace observer::probe
