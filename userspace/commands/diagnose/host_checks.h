#pragma once
// `mptcp-observer diagnose`: is this host (or network namespace) set up for
// MPTCP? Facts gathered by host_facts.h go in; checks come out, each with a
// stable code, what it found, the evidence, and the command that fixes it.
// Pure, so every rule is a row of a table-driven test.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sources/pm_netlink/pm_config_messages.h"

namespace observer::diagnose {

struct EndpointFacts {
  pm::Endpoint endpoint;
  std::string dev;                       // the endpoint's `dev`, by name; empty when none was given
  std::optional<std::string> leaves_by;  // the interface traffic from its address is routed by
  int route_errno = 0;                   // why there is no route, when there is none
  bool address_present = true;           // the address is configured on this host
  bool tentative = false;                // IPv6 duplicate address detection not done yet
};

struct HostFacts {
  bool has_mptcp = true;                 // /proc/sys/net/mptcp exists
  std::optional<bool> enabled;           // net.mptcp.enabled
  std::optional<std::string> path_manager;  // "kernel" or "userspace"
  bool path_manager_daemon = false;      // an mptcpd process runs
  std::map<std::string, std::string> sysctls;  // net.mptcp.*, by short name
  std::optional<pm::PmLimits> limits;
  std::optional<std::vector<EndpointFacts>> endpoints;
  std::string config_error;              // why limits or endpoints could not be read
  std::map<std::string, int> strict_rp_filter;  // interfaces whose effective rp_filter is 1
  std::optional<std::vector<std::string>> firewall_rules;  // rules that touch TCP option 30; nullopt: unread
  std::string firewall_note;             // which rule sets were read, or why none
  std::map<std::string, uint64_t> mib;   // MPTcpExt counters since boot, or moved during --watch
  std::optional<std::chrono::milliseconds> watched;
  // The joins a running daemon has seen fail since it started, from its
  // metrics (mptcp_join_failures_total): nullopt when no daemon answered.
  struct DaemonView {
    std::string api;  // where it answered
    std::map<std::string, uint64_t> join_failures;  // "outbound rejected_by_peer" -> count
  };
  std::optional<DaemonView> daemon;
};

struct Check {
  enum class Status { ok, info, warning, problem };
  Status status = Status::info;
  std::string code;  // stable
  std::string title;
  std::string evidence;
  std::string fix;
};

std::vector<Check> check_host(const HostFacts &facts);

}  // namespace observer::diagnose
