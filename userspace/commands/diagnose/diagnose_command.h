#pragma once
// `mptcp-observer diagnose`: this host's MPTCP prerequisites, checked
// (see `mptcp-observer diagnose --help`).
#include <string>
#include <vector>

namespace observer::diagnose {

// Runs with the arguments after "diagnose"; returns the exit status
// (0 nothing to fix, 1 something to fix, 2 could not check).
int run_diagnose(const std::vector<std::string> &args);

}  // namespace observer::diagnose
