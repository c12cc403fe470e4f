#include "commands/diagnose/host_facts.h"

#include <dirent.h>
#include <net/if.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "commands/diagnose/route_lookup.h"
#include "commands/probe/http_client.h"
#include "common/interface_addresses.h"
#include "common/read_file.h"
#include "sources/pm_netlink/pm_config_reader.h"
#include "sources/procfs/mptcp_sysctl.h"
#include "sources/procfs/netstat_mib.h"

namespace observer::diagnose {
namespace {
std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

std::vector<std::string> directory(const std::string &path) {
  std::vector<std::string> names;
  if (DIR *d = opendir(path.c_str())) {
    while (const dirent *e = readdir(d)) {
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

bool process_runs(const std::string &comm) {
  for (const auto &pid : directory("/proc")) {
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (trimmed(read_small_file(("/proc/" + pid + "/comm").c_str())) == comm) return true;
  }
  return false;
}

// Every address of this host, as text, and the IPv6 ones still tentative
// (/proc/net/if_inet6 flags IFA_F_TENTATIVE, 0x40).
void read_addresses(std::vector<std::string> &present, std::vector<std::string> &tentative) {
  for (const auto &a : interface_addresses()) present.push_back(a.ip);
  std::istringstream lines(read_small_file("/proc/thread-self/net/if_inet6"));
  std::string hex, index, prefix, scope, flags, name;
  while (lines >> hex >> index >> prefix >> scope >> flags >> name) {
    if ((std::stoul(flags, nullptr, 16) & 0x40) == 0 || hex.size() != 32) continue;
    uint8_t bytes[16];
    for (int b = 0; b < 16; ++b) bytes[b] = static_cast<uint8_t>(std::stoul(hex.substr(2 * b, 2), nullptr, 16));
    tentative.push_back(format_ip(SocketAddress::from_bytes(AF_INET6, bytes, 0).get()));
  }
}

std::string interface_name(int index) {
  char name[IF_NAMESIZE] = {};
  return index > 0 && if_indextoname(static_cast<unsigned>(index), name) ? name : "";
}

std::vector<EndpointFacts> endpoint_facts(const std::vector<pm::Endpoint> &endpoints, const std::optional<SocketAddress> &target) {
  std::vector<std::string> present, tentative;
  read_addresses(present, tentative);
  // Where "any destination" goes: documentation addresses (RFC 5737, RFC
  // 3849) follow the default routes. A lookup only; nothing is sent.
  std::string unused;
  const auto v4 = parse_socket_address("192.0.2.1:0", unused);
  const auto v6 = parse_socket_address("[2001:db8::1]:0", unused);
  std::vector<EndpointFacts> out;
  for (const auto &e : endpoints) {
    EndpointFacts f;
    f.endpoint = e;
    f.dev = interface_name(e.ifindex);
    const std::string ip = format_ip(e.address.get());
    f.address_present = std::find(present.begin(), present.end(), ip) != present.end();
    f.tentative = std::find(tentative.begin(), tentative.end(), ip) != tentative.end();
    const SocketAddress &destination =
        target && target->family() == e.address.family() ? *target : (e.address.family() == AF_INET ? *v4 : *v6);
    const auto route = route_from(destination, e.address);
    f.route_errno = route.kernel_errno;
    if (route.oif) f.leaves_by = interface_name(*route.oif);
    out.push_back(std::move(f));
  }
  return out;
}

std::map<std::string, int> strict_rp_filters() {
  std::map<std::string, int> strict;
  const auto value = [](const std::string &iface) {
    const std::string text = trimmed(read_small_file(("/proc/sys/net/ipv4/conf/" + iface + "/rp_filter").c_str()));
    return text.empty() ? 0 : std::atoi(text.c_str());
  };
  const int all = value("all");
  for (const auto &iface : directory("/proc/sys/net/ipv4/conf")) {
    if (iface == "all" || iface == "default" || iface == "lo") continue;
    // The kernel applies the larger of the two.
    if (std::max(all, value(iface)) == 1) strict[iface] = 1;
  }
  return strict;
}

// What `command` prints, or nullopt when it cannot run.
std::optional<std::string> output_of(const char *command) {
  FILE *p = popen(command, "r");
  if (!p) return std::nullopt;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0 && out.size() < (1u << 20)) out.append(buf, n);
  const int status = pclose(p);
  if (status != 0) return std::nullopt;
  return out;
}

bool touches_option_30(const std::string &line) {
  // nft: "tcp option mptcp ..." or "tcp option @30,..."; iptables:
  // "-m tcp --tcp-option 30", "-j TCPOPTSTRIP --strip-options ...30...".
  if (line.find("option mptcp") != std::string::npos || line.find("option @30") != std::string::npos) return true;
  if (line.find("--tcp-option 30") != std::string::npos) return true;
  const size_t strip = line.find("--strip-options");
  if (strip == std::string::npos) return false;
  std::string list = line.substr(strip + 15);
  list = list.substr(list.find_first_not_of(' '));
  list = list.substr(0, list.find(' '));
  std::istringstream items(list);
  std::string item;
  while (std::getline(items, item, ',')) {
    if (item == "30" || item == "mptcp") return true;
  }
  return false;
}

void read_firewall(HostFacts &f) {
  std::vector<std::string> rules;
  std::string read;
  bool any = false;
  for (const auto &[name, command] : {std::pair{"nftables", "nft list ruleset 2>/dev/null"},
                                      std::pair{"iptables", "iptables-save 2>/dev/null"},
                                      std::pair{"ip6tables", "ip6tables-save 2>/dev/null"}}) {
    const auto text = output_of(command);
    if (!text) continue;
    any = true;
    read += (read.empty() ? "" : ", ") + std::string(name);
    std::istringstream lines(*text);
    std::string line;
    while (std::getline(lines, line)) {
      if (touches_option_30(line)) rules.push_back(trimmed(line.substr(line.find_first_not_of(" \t"))));
    }
  }
  if (!any) {
    f.firewall_note = "neither nft nor iptables-save could list the rules (not installed, or no CAP_NET_ADMIN)";
    return;
  }
  f.firewall_note = "read: " + read;
  f.firewall_rules = std::move(rules);
}

// Asks a running daemon's admin listener for the joins it has seen fail
// (its /metrics); nullopt when none answers within a moment (a daemon is
// optional). Counters, not the connection list: a connection whose joins
// failed may be closed already.
std::optional<HostFacts::DaemonView> ask_daemon(const std::string &admin) {
  std::string error;
  const auto target = probe::parse_probe_target(admin, error);
  if (!target) return std::nullopt;
  probe::ConnectOptions connect;
  connect.mptcp = false;
  connect.timeout = std::chrono::milliseconds(500);
  int socket_errno = 0;
  auto c = probe::connect_to(*target, connect, error, socket_errno);
  if (!c) return std::nullopt;
  const auto answer = probe::http_get(c->fd.get(), *target, "/metrics", "text/plain",
                                      std::chrono::steady_clock::now() + std::chrono::seconds(5), 64u << 20, error);
  if (!answer || answer->status != 200) return std::nullopt;
  HostFacts::DaemonView view;
  view.api = "http://" + target->host_field;
  // mptcp_join_failures_total{direction="outbound",reason="rejected_by_peer"} 2
  constexpr std::string_view kFamily = "mptcp_join_failures_total{";
  std::istringstream lines(answer->body);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with(kFamily)) continue;
    const auto label = [&](std::string_view name) {
      const size_t at = line.find(std::string(name) + "=\"");
      if (at == std::string::npos) return std::string();
      const size_t from = at + name.size() + 2;
      return line.substr(from, line.find('"', from) - from);
    };
    const size_t space = line.rfind(' ');
    const double value = space == std::string::npos ? 0 : std::atof(line.c_str() + space + 1);
    view.join_failures[label("direction") + " " + label("reason")] += static_cast<uint64_t>(value);
  }
  return view;
}

}  // namespace

HostFacts gather_host_facts(const FactOptions &options) {
  HostFacts f;
  f.has_mptcp = !directory("/proc/sys/net/mptcp").empty();
  if (!f.has_mptcp) return f;
  const auto sysctls = procfs::read_mptcp_sysctls();
  f.enabled = sysctls.enabled;
  f.path_manager = sysctls.path_manager;
  for (const auto &name : directory("/proc/sys/net/mptcp")) {
    f.sysctls[name] = trimmed(read_small_file(("/proc/sys/net/mptcp/" + name).c_str()));
  }
  if (f.path_manager == "userspace") f.path_manager_daemon = process_runs("mptcpd");
  auto config = pm::read_path_manager_config();
  f.limits = config.limits;
  if (config.endpoints) f.endpoints = endpoint_facts(*config.endpoints, options.target);
  f.config_error = config.error;
  f.strict_rp_filter = strict_rp_filters();
  read_firewall(f);
  if (options.watch.count() > 0) {
    const auto before = procfs::read_mptcp_mib_by_name();
    std::this_thread::sleep_for(options.watch);
    f.mib = procfs::mib_rises(before, procfs::read_mptcp_mib_by_name());
    f.watched = options.watch;
  } else {
    f.mib = procfs::read_mptcp_mib_by_name();
  }
  if (!options.admin.empty()) f.daemon = ask_daemon(options.admin);
  return f;
}

}  // namespace observer::diagnose
