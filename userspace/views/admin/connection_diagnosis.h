#pragma once
// Why a tracked connection is what it is, for /api/v1/connections: the
// checker's diagnosis (views/checker/diagnosis.h), same codes, worded for
// this host's operator, from what the connection table knows rather than
// from the checker's own socket. The table knows connections in both
// directions. For those this host opened (outbound) it has each join that
// failed and why, as BPF saw it; for all, the subflows open now and ever,
// their backup flags, and a fallback as sock_diag reports it. For
// connections in the daemon's own network namespace, the path manager's
// setup and the host's MPTcpExt counters (the checker's shared sampler)
// add what the checker would say. Pure: every rule is a row of a
// table-driven test.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "table/connection_table.h"
#include "views/checker/diagnosis.h"

namespace observer::admin {

// What the daemon knows of its own network namespace, read once per page.
struct LocalSetup {
  uint32_t netns = 0;  // its inode: only connections there get the rest
  checker::PathManagerKind path_manager = checker::PathManagerKind::unknown;
  // The in-kernel path manager's setup; nullopt where it could not be read.
  std::optional<uint32_t> subflows_limit, add_addr_accepted_limit;  // `ip mptcp limits`
  std::optional<uint32_t> subflow_endpoints, signal_endpoints;       // `ip mptcp endpoint`, by flag
  // How much the host's counters rose since a moment (CLOCK_MONOTONIC ns),
  // from the sampler the checker shares: nullopt when there is none, or
  // when it keeps nothing from that far back. Never a /proc read per call.
  std::function<std::optional<checker::MibWindow>(uint64_t since_ns)> counters_since;
};

// The findings for one connection, strongest first. `now_ns` is
// CLOCK_MONOTONIC, for its age; `setup` may be null.
std::vector<checker::Finding> diagnose_connection(const ConnectionRecord &c, uint64_t now_ns,
                                                  const LocalSetup *setup);

}  // namespace observer::admin
