#include "commands/diagnose/host_checks.h"

#include "common/socket_address.h"

namespace observer::diagnose {
namespace {
using Status = Check::Status;
namespace flag = pm::config;

std::string ip_of(const pm::Endpoint &e) { return format_ip(e.address.get()); }

std::string sysctl_or(const HostFacts &f, const char *name, const char *fallback) {
  const auto it = f.sysctls.find(name);
  return it == f.sysctls.end() ? fallback : it->second;
}

uint64_t counter(const HostFacts &f, const char *name) {
  const auto it = f.mib.find(name);
  return it == f.mib.end() ? 0 : it->second;
}

void check_switch(const HostFacts &f, std::vector<Check> &out) {
  if (!f.has_mptcp) {
    out.push_back({Status::problem, "mptcp_unavailable", "This kernel has no MPTCP (no /proc/sys/net/mptcp).", "",
                   "a kernel built with CONFIG_MPTCP=y (Linux 5.6 or later; 5.15+ for joins from every side)"});
    return;
  }
  if (f.enabled == false) {
    out.push_back({Status::problem, "mptcp_disabled", "MPTCP is disabled in this network namespace.",
                   "net.mptcp.enabled = 0", "sysctl -w net.mptcp.enabled=1"});
  } else {
    out.push_back({Status::ok, "mptcp_enabled", "MPTCP is enabled.", "net.mptcp.enabled = 1", ""});
  }
  const std::string pm = f.path_manager.value_or("kernel");
  if (pm == "userspace" && !f.path_manager_daemon) {
    out.push_back({Status::problem, "userspace_pm_without_daemon",
                   "The userspace path manager is selected and no path-manager daemon runs: nothing opens joins or "
                   "announces addresses, and announcements received are dropped.",
                   "net.mptcp.path_manager = userspace; no mptcpd process",
                   "start mptcpd, or select the in-kernel path manager: sysctl -w net.mptcp.path_manager=kernel "
                   "(net.mptcp.pm_type=0 before 6.15)"});
  } else {
    out.push_back({Status::ok, "path_manager", pm == "userspace" ? "The userspace path manager, with mptcpd running." : "The in-kernel path manager.",
                   "net.mptcp.path_manager = " + pm, ""});
  }
  std::string settings = "checksum_enabled = " + sysctl_or(f, "checksum_enabled", "?") +
                         ", allow_join_initial_addr_port = " + sysctl_or(f, "allow_join_initial_addr_port", "?") +
                         ", syn_retrans_before_tcp_fallback = " + sysctl_or(f, "syn_retrans_before_tcp_fallback", "(not in this kernel)") +
                         ", blackhole_timeout = " + sysctl_or(f, "blackhole_timeout", "(not in this kernel)");
  out.push_back({Status::info, "mptcp_settings", "Other MPTCP settings of this namespace.", settings, ""});
  if (sysctl_or(f, "allow_join_initial_addr_port", "1") == "0") {
    out.push_back({Status::info, "no_join_to_initial_address",
                   "Peers may not join this host's initial address and port: as a server, it must announce other "
                   "addresses (signal endpoints) for joins to come.",
                   "net.mptcp.allow_join_initial_addr_port = 0", "sysctl -w net.mptcp.allow_join_initial_addr_port=1"});
  }
}

void check_endpoint(const EndpointFacts &e, std::vector<Check> &out) {
  const std::string ip = ip_of(e.endpoint);
  const std::string shown = ip + " (id " + std::to_string(e.endpoint.id) + (e.dev.empty() ? "" : ", dev " + e.dev) + ")";
  if (!e.address_present) {
    out.push_back({Status::problem, "endpoint_address_missing", "Endpoint " + shown + " is not an address of this host: joins from it fail to bind.",
                   "no interface has " + ip, "ip addr add " + ip + "/PREFIX dev INTERFACE, or ip mptcp endpoint delete id " + std::to_string(e.endpoint.id)});
    return;
  }
  if (e.tentative) {
    out.push_back({Status::problem, "endpoint_address_tentative", "Endpoint " + shown + " is still tentative (IPv6 duplicate address detection): joins from it fail to bind until it is done.",
                   "the address is flagged tentative", "wait for DAD, or add the address with nodad"});
  }
  if ((e.endpoint.flags & flag::kFlagSubflow) == 0) return;  // only joins leave from it
  if (e.dev.empty()) {
    out.push_back({Status::warning, "endpoint_without_dev",
                   "Subflow endpoint " + shown + " has no dev: the kernel picks the route, and joins from it may leave by another interface.",
                   "ip mptcp endpoint show: no dev", "ip mptcp endpoint delete id " + std::to_string(e.endpoint.id) + "; ip mptcp endpoint add " + ip + " dev INTERFACE subflow"});
  }
  if (e.route_errno != 0 || !e.leaves_by) {
    out.push_back({Status::problem, "endpoint_no_route", "Traffic from subflow endpoint " + shown + " has no route.",
                   "ip route get DESTINATION from " + ip + " fails", "ip route add default via GATEWAY dev INTERFACE table N; ip rule add from " + ip + " table N"});
    return;
  }
  if (!e.dev.empty() && *e.leaves_by != e.dev) {
    out.push_back({Status::problem, "endpoint_wrong_route",
                   "Traffic from subflow endpoint " + shown + " leaves by " + *e.leaves_by + ", not " + e.dev +
                       ": joins from it take the first path again, or are dropped by a reverse-path filter.",
                   "ip route get DESTINATION from " + ip + " -> dev " + *e.leaves_by,
                   "ip route add default via GATEWAY dev " + e.dev + " table N; ip rule add from " + ip + " table N"});
    return;
  }
  out.push_back({Status::ok, "endpoint_routed", "Subflow endpoint " + shown + " is routed by " + *e.leaves_by + ".",
                 "ip route get DESTINATION from " + ip + " -> dev " + *e.leaves_by, ""});
}

void check_path_manager(const HostFacts &f, std::vector<Check> &out) {
  if (!f.limits || !f.endpoints) {
    out.push_back({Status::warning, "pm_config_unreadable", "The path manager's limits and endpoints could not be read.",
                   f.config_error, "ip mptcp limits show; ip mptcp endpoint show"});
    return;
  }
  const auto counts = [&] {
    std::vector<pm::Endpoint> list;
    for (const auto &e : *f.endpoints) list.push_back(e.endpoint);
    return pm::count_by_flag(list);
  }();
  const std::string limits = "subflows " + std::to_string(f.limits->subflows) + ", add_addr_accepted " +
                             std::to_string(f.limits->add_addr_accepted);
  const std::string endpoints = std::to_string(counts.all) + " endpoint(s): " + std::to_string(counts.subflow) +
                                " subflow, " + std::to_string(counts.signal) + " signal, " +
                                std::to_string(counts.backup) + " backup, " + std::to_string(counts.fullmesh) + " fullmesh";
  if (counts.all == 0) {
    out.push_back({Status::warning, "no_endpoints",
                   "No endpoints: this host opens no additional subflow and announces no address, so a connection "
                   "gets a second subflow only if the peer joins from an address of its own.",
                   endpoints + "; limits: " + limits,
                   "a client: ip mptcp endpoint add ADDRESS dev INTERFACE subflow (one per extra interface); "
                   "a server: ip mptcp endpoint add ADDRESS dev INTERFACE signal"});
  } else {
    out.push_back({Status::ok, "endpoints", "Endpoints are configured.", endpoints + "; limits: " + limits, ""});
  }
  if (counts.subflow > 0 && f.limits->subflows == 0) {
    out.push_back({Status::problem, "subflow_limit_zero",
                   "This host has subflow endpoints, but its subflows limit is 0: no join is ever opened.",
                   endpoints + "; limits: " + limits, "ip mptcp limits set subflows " + std::to_string(counts.subflow)});
  } else if (counts.subflow > f.limits->subflows) {
    out.push_back({Status::warning, "subflow_limit_below_endpoints",
                   "Only " + std::to_string(f.limits->subflows) + " of the " + std::to_string(counts.subflow) +
                       " subflow endpoints can be used by one connection (the subflows limit).",
                   endpoints + "; limits: " + limits, "ip mptcp limits set subflows " + std::to_string(counts.subflow)});
  }
  if (counts.signal > 0 && f.limits->subflows == 0) {
    out.push_back({Status::problem, "signal_without_join_limit",
                   "This host announces addresses, but its subflows limit is 0: every peer that joins one is refused.",
                   endpoints + "; limits: " + limits, "ip mptcp limits set subflows " + std::to_string(counts.signal)});
  }
  if (f.limits->add_addr_accepted == 0 && counts.subflow == 0) {
    out.push_back({Status::info, "announcements_ignored",
                   "This host ignores the addresses servers announce (add_addr_accepted 0) and has no subflow "
                   "endpoint: as a client it opens no join.",
                   "limits: " + limits, "ip mptcp limits set add_addr_accepted 1 subflows 1"});
  }
  for (const auto &e : *f.endpoints) check_endpoint(e, out);
}

void check_rp_filter(const HostFacts &f, std::vector<Check> &out) {
  if (f.strict_rp_filter.empty()) return;
  std::string list;
  for (const auto &[iface, value] : f.strict_rp_filter) list += (list.empty() ? "" : ", ") + iface;
  out.push_back({Status::warning, "strict_rp_filter",
                 "Strict reverse-path filtering on " + list +
                     ": a join that arrives on an interface other than the one routing back to its source is "
                     "dropped (the kernel counts it in TcpExt IPReversePathFilter).",
                 "net.ipv4.conf.{all," + list + "}.rp_filter: effective value 1",
                 "sysctl -w net.ipv4.conf.all.rp_filter=2 (loose), and the same for each interface"});
}

void check_firewall(const HostFacts &f, std::vector<Check> &out) {
  if (!f.firewall_rules) {
    out.push_back({Status::info, "firewall_unread", "The firewall rules could not be read.", f.firewall_note, ""});
    return;
  }
  if (f.firewall_rules->empty()) {
    out.push_back({Status::ok, "firewall", "No firewall rule touches TCP option 30 (MPTCP).", f.firewall_note, ""});
    return;
  }
  std::string rules;
  for (const auto &r : *f.firewall_rules) rules += (rules.empty() ? "" : " | ") + r;
  out.push_back({Status::problem, "firewall_touches_mptcp",
                 "A firewall rule drops, strips or matches TCP option 30 (MPTCP): connections through it fall back "
                 "to TCP, or their SYNs are dropped.",
                 rules, "remove the rule, or exempt MPTCP traffic from it"});
}

struct CounterRule {
  const char *counter;
  Status status;
  const char *code;
  const char *meaning;
  const char *fix;
};

// The counters that signal trouble (../shared/DIAGNOSIS.md), strongest first.
constexpr CounterRule kCounterRules[] = {
    {"MPCapableSYNTXDrop", Status::problem, "syn_with_mptcp_dropped",
     "SYNs carrying MPTCP were dropped on the path; the kernel retried without it", "find the firewall that drops TCP option 30"},
    {"MPCapableSYNTXDisabled", Status::problem, "mptcp_blackholed",
     "the kernel stopped asking for MPTCP for a while after such drops (blackhole detection)",
     "fix the path; sysctl -w net.mptcp.blackhole_timeout=0 stops the kernel from turning MPTCP off"},
    {"MPCapableFallbackSYNACK", Status::warning, "fallback_at_synack",
     "connections this host opened fell back: the peer does not speak MPTCP, or the path strips the option",
     "mptcp-observer probe SERVER tells the two apart"},
    {"MPCapableFallbackACK", Status::warning, "fallback_at_ack",
     "connections this host accepted lost the option at the handshake's last ACK: a middlebox strips it", "find the middlebox"},
    {"DssFallback", Status::warning, "fallback_mid_connection",
     "connections fell back after the handshake: DSS options stripped or rewritten on the path", "find the proxy or IDS; enable checksums"},
    {"MPJoinSynTxConnectErr", Status::problem, "join_connect_error",
     "joins failed before leaving this host: no route from an endpoint's address", "ip route get DESTINATION from ENDPOINT_ADDRESS"},
    {"MPJoinSynTxBindErr", Status::problem, "join_bind_error",
     "joins failed to bind: an endpoint's address is missing or still tentative", "ip mptcp endpoint show; ip -br addr"},
    {"MPJoinRejected", Status::warning, "joins_rejected",
     "this host refused joins: its subflows limit was reached, or the connection was not fully established",
     "ip mptcp limits set subflows N"},
    {"MPJoinNoTokenFound", Status::warning, "join_unknown_token",
     "joins arrived for connections this host does not have: a load balancer sends joins to the wrong host",
     "steer joins by token, or announce per-host addresses"},
    {"MPJoinAckHMacFailure", Status::warning, "join_hmac_failure",
     "joins failed authentication: a box on the path rewrites payloads or ports", "find the box"},
    {"AddAddrDrop", Status::warning, "add_addr_dropped",
     "announced addresses were dropped: the userspace path manager without a daemon, or the add_addr_accepted limit",
     "ip mptcp limits set add_addr_accepted N, or run mptcpd"},
};

void check_daemon_view(const HostFacts &f, std::vector<Check> &out) {
  if (!f.daemon) {
    out.push_back({Status::info, "no_daemon", "No mptcp-observer daemon answered on this namespace's admin address: "
                   "no per-connection view of recent join failures.", "", ""});
    return;
  }
  const auto &d = *f.daemon;
  uint64_t total = 0;
  std::string reasons;
  bool refused = false;
  for (const auto &[reason, n] : d.join_failures) {
    if (n == 0) continue;
    total += n;
    reasons += (reasons.empty() ? "" : ", ") + std::to_string(n) + " " + reason;
    refused = refused || reason.ends_with("rejected_by_peer") || reason.ends_with(" rejected");
  }
  if (total == 0) {
    out.push_back({Status::ok, "daemon_no_join_failures", "The daemon has seen no join fail since it started.",
                   d.api + "/metrics", ""});
    return;
  }
  out.push_back({Status::warning, "daemon_join_failures",
                 "The daemon has seen " + std::to_string(total) + " join(s) fail since it started: " + reasons + ".",
                 d.api + "/metrics: mptcp_join_failures_total",
                 refused ? "rejected_by_peer: the peer's subflows limit (on the peer: ip mptcp limits set subflows N); "
                           "timeout: a route or firewall on the join's path"
                         : "timeout: a route or firewall on the join's path; refused: nothing listens on the address "
                           "joined; unreachable: no route"});
}

void check_counters(const HostFacts &f, std::vector<Check> &out) {
  const std::string when = f.watched ? "in the last " + std::to_string(f.watched->count()) + " ms" : "since boot";
  bool any = false;
  for (const auto &rule : kCounterRules) {
    const uint64_t n = counter(f, rule.counter);
    if (n == 0) continue;
    any = true;
    out.push_back({rule.status, rule.code, std::string("MPTcpExt ") + rule.counter + " " + when + ": " + rule.meaning + ".",
                   std::string(rule.counter) + " = " + std::to_string(n), rule.fix});
  }
  const uint64_t syn = counter(f, "MPJoinSynTx"), synack = counter(f, "MPJoinSynAckRx");
  if (syn > synack) {
    any = true;
    out.push_back({Status::warning, "joins_unanswered",
                   "Join SYNs " + when + " outnumber the SYN-ACKs that answered them: a wrong route, a firewall, or an unreachable announced address.",
                   "MPJoinSynTx = " + std::to_string(syn) + ", MPJoinSynAckRx = " + std::to_string(synack),
                   "ip route get SERVER from ENDPOINT_ADDRESS; a policy rule per endpoint"});
  }
  if (!any) {
    out.push_back({Status::ok, "counters", "No MPTcpExt counter signals trouble " + when + ".", "", ""});
  }
}
}  // namespace

std::vector<Check> check_host(const HostFacts &facts) {
  std::vector<Check> out;
  check_switch(facts, out);
  if (!facts.has_mptcp) return out;
  check_path_manager(facts, out);
  check_rp_filter(facts, out);
  check_firewall(facts, out);
  check_counters(facts, out);
  check_daemon_view(facts, out);
  return out;
}

}  // namespace observer::diagnose
