#pragma once
// Gathers what host_checks.h judges, in the calling thread's network
// namespace: the net.mptcp sysctls, the path manager's limits and
// endpoints, where traffic from each endpoint's address is routed, the
// reverse-path filters, firewall rules that touch TCP option 30, and the
// MPTcpExt counters (since boot, or moved over a watch).
#include <chrono>
#include <optional>

#include "commands/diagnose/host_checks.h"
#include "common/defaults.h"
#include "common/socket_address.h"

namespace observer::diagnose {

struct FactOptions {
  std::optional<SocketAddress> target;  // route endpoints toward it; else toward "anywhere"
  std::chrono::milliseconds watch{0};   // counters moved over this long; 0: since boot
  std::string admin{defaults::kAdminListen};  // a daemon's admin API to ask; empty: none
};

HostFacts gather_host_facts(const FactOptions &options);

}  // namespace observer::diagnose
