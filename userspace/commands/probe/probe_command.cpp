#include "commands/probe/probe_command.h"

#include <net/if.h>
#include <sys/socket.h>

#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "commands/command_line.h"
#include "commands/probe/http_client.h"
#include "commands/probe/probe_findings.h"
#include "common/durations.h"
#include "common/interface_addresses.h"
#include "sources/getsockopt/mptcp_sockopt_decode.h"
#include "sources/getsockopt/mptcp_sockopt_reader.h"
#include "sources/procfs/netstat_mib.h"
#include "views/checker/query.h"

namespace observer::probe {
namespace {
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

constexpr const char *kAccept = "application/json, text/plain;q=0.9, */*;q=0.1";
constexpr size_t kKeptBody = 256 * 1024;

struct ProbeOptions {
  ProbeTarget target;
  size_t count = 1;
  ConnectOptions connect;
  std::chrono::milliseconds wait{2000};
  std::optional<uint64_t> download;
  bool json = false;
};

commands::HelpText probe_help() {
  commands::HelpText h;
  h.usage = "Usage: mptcp-observer probe HOST[:PORT] | http://HOST[:PORT]/PATH [FLAGS]\n";
  h.about = "Opens MPTCP connections to a server (an mptcp-observer checker on port " + std::to_string(kCheckerPort) +
            "\n"
            "by default, or any HTTP server) and tells what this host asked and got,\n"
            "what the server saw, and why MPTCP or a second subflow is missing. Only the\n"
            "client knows it asked for MPTCP, so only a probe tells \"the server does not\n"
            "speak MPTCP\" from \"the path strips it\".\n";
  h.footer = "Exit status: 0 all good, 1 a finding, 2 could not check.\n";
  h.column = 22;
  return h;
}

void declare_flags(commands::CommandLine &cl, ProbeOptions &o, std::optional<std::string> &target) {
  cl.positional("target", [&target](const std::string &v) {
    target = v;
    return std::string();
  });
  cl.section("Flags");
  cl.count("--count", o.count, {1, 100}, "connections, one after another");
  cl.value("--interface", "IF", "bind the initial subflow to interface IF", [&o](const std::string &v) {
    if (v.empty() || v.size() >= IFNAMSIZ || if_nametoindex(v.c_str()) == 0) return "no interface named '" + v + "' here";
    o.connect.interface = v;
    return std::string();
  });
  cl.value("--source", "ADDR", "bind the initial subflow to source address ADDR", [&o](const std::string &v) {
    std::string why;
    o.connect.source = commands::parse_ip_address(v, why);
    return why;
  });
  cl.flag("--no-mptcp", "a plain TCP connection, to compare", [&o] { o.connect.mptcp = false; });
  cl.duration("--wait", o.wait, {std::chrono::milliseconds(0), std::chrono::seconds(60)},
              "how long to wait for joins after the first answer");
  cl.duration("--timeout", o.connect.timeout, {std::chrono::milliseconds(1), std::chrono::seconds(60)},
              "to connect and for each answer");
  const std::string most = commands::byte_size_text(checker::kMaxDownloadBytes);
  cl.value("--download", "SIZE",
           "also fetch SIZE bytes from a checker's /download and show how much each subflow carried (up to " + most +
               ")",
           [&o, most](const std::string &v) {
             std::string why;
             const auto size = parse_byte_size(v, why);
             if (!size || *size == 0 || *size > checker::kMaxDownloadBytes) return "'" + v + "' is not a size from 1 to " + most;
             o.download = *size;
             return std::string();
           });
  cl.flag("--json", "one JSON document instead of text", [&o] { o.json = true; });
  cl.help_flag();
}

// The interface each local address of this host is on.
std::string interface_of(const SocketAddress &local) {
  const std::string ip = format_ip(local.get());
  for (const auto &a : interface_addresses()) {
    if (a.ip == ip) return a.interface;
  }
  return "";
}

std::optional<abi::mptcp_info> raw_mptcp_info(int fd) {
  std::array<std::byte, sizeof(abi::mptcp_info)> buf{};
  socklen_t len = buf.size();
  if (getsockopt(fd, abi::kSolMptcp, abi::kMptcpInfo, buf.data(), &len) != 0) return std::nullopt;
  return sockopt::decode_mptcp_info(std::span(buf.data(), len));
}

// What a server's answer says of the connection, whatever checker it is.
void read_server_answer(const HttpAnswer &a, ServerView &s) {
  s.answered = true;
  if (const std::string x = a.field("x-mptcp"); !x.empty()) s.says_mptcp = x == "true";
  if (a.field("content-type").starts_with("application/json")) {
    const json j = json::parse(a.body, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("verdict") && j["verdict"].is_string()) {
      s.is_checker = true;
      s.verdict = j["verdict"].get<std::string>();
      s.says_mptcp = *s.verdict == "mptcp";
      if (j.contains("diagnosis") && j["diagnosis"].is_array()) {
        s.diagnosis_codes.clear();
        for (const auto &d : j["diagnosis"]) {
          if (d.is_object() && d.contains("code") && d["code"].is_string()) s.diagnosis_codes.push_back(d["code"]);
        }
      }
    }
    return;
  }
  // check.mptcp.dev and mptcp-go answer curl with these lines.
  if (a.body.starts_with("You are using MPTCP")) s.says_mptcp = true;
  if (a.body.starts_with("You are not using MPTCP")) s.says_mptcp = false;
}

// Whether the checker's listener on `port` is MPTCP, from its /healthz.
std::optional<bool> listener_is_mptcp(const HttpAnswer &health, uint16_t port) {
  const json j = json::parse(health.body, nullptr, false);
  if (!j.is_object() || !j.contains("listeners") || !j["listeners"].is_array()) return std::nullopt;
  std::optional<bool> mptcp;
  for (const auto &l : j["listeners"]) {
    if (!l.is_object() || !l.contains("address") || !l.contains("transport")) continue;
    const std::string address = l["address"].is_string() ? l["address"].get<std::string>() : "";
    if (address.ends_with(":" + std::to_string(port))) mptcp = mptcp.value_or(false) || l["transport"] == "mptcp";
  }
  return mptcp;
}

struct ProbeResult {
  bool checked = false;
  std::string error;  // why it could not be checked
  Connected connection;
  ProbeObservation observation;
  MptcpStatus client;
  std::vector<std::string> subflow_interfaces;
  double download_seconds = 0;
  std::vector<Finding> findings;
};

// Per subflow, the bytes it has received, keyed by its local endpoint.
std::map<std::string, uint64_t> received_by_subflow(const MptcpStatus &s) {
  std::map<std::string, uint64_t> out;
  for (const auto &sf : s.subflows) {
    out[format_endpoint(sf.local)] = sf.tcp && sf.tcp->bytes_received ? *sf.tcp->bytes_received : 0;
  }
  return out;
}

ProbeResult probe_once(const ProbeOptions &o) {
  ProbeResult r;
  ProbeObservation &obs = r.observation;
  obs.asked_mptcp = o.connect.mptcp;
  const auto mib_before = procfs::read_mptcp_mib_by_name();
  int socket_errno = 0;
  auto c = connect_to(o.target, o.connect, r.error, socket_errno);
  if (!c && o.connect.mptcp && socket_errno != 0) {
    // MPTCP is off here: say so, and still ask the server over TCP.
    obs.mptcp_socket_refused = true;
    ConnectOptions tcp = o.connect;
    tcp.mptcp = false;
    c = connect_to(o.target, tcp, r.error, socket_errno);
  }
  if (!c) return r;
  r.connection = std::move(*c);
  const int fd = r.connection.fd.get();
  const auto deadline = [&] { return Clock::now() + o.connect.timeout + o.wait; };

  auto answer = http_get(fd, o.target, o.target.path, kAccept, deadline(), kKeptBody, r.error);
  if (!answer) return r;
  read_server_answer(*answer, obs.server);
  bool open = !answer->closes;
  if (open && obs.server.is_checker) {
    if (const auto health = http_get(fd, o.target, "/healthz", "application/json", deadline(), kKeptBody, r.error)) {
      obs.server.listener_mptcp = listener_is_mptcp(*health, o.target.port);
      open = !health->closes;
    }
  }
  // Joins are opened once the connection is fully established, after the
  // first data: watch this host's own socket for them.
  MptcpStatus status = sockopt::read_mptcp_status(fd, r.connection.peer);
  const auto until = Clock::now() + o.wait;
  while (status.uses_mptcp() && status.subflows.size() < 1u + status.subflows_max && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    MptcpStatus now = sockopt::read_mptcp_status(fd, r.connection.peer);
    if (now.verdict == Verdict::error) break;
    const bool grew = now.subflows.size() > status.subflows.size();
    status = std::move(now);
    if (grew) {
      // Joins from several endpoints start together: let the others come.
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      break;
    }
  }
  // The server's view after the wait, with the joins it saw.
  if (open && obs.server.is_checker) {
    if (auto again = http_get(fd, o.target, o.target.path, kAccept, deadline(), kKeptBody, r.error)) {
      read_server_answer(*again, obs.server);
      open = !again->closes;
    }
  }
  if (o.download && open && obs.server.is_checker) {
    const auto before = received_by_subflow(sockopt::read_mptcp_status(fd, r.connection.peer));
    const auto got = http_get(fd, o.target, "/download?size=" + std::to_string(*o.download), "*/*",
                              Clock::now() + std::chrono::seconds(120), 0, r.error);
    if (!got) return r;
    r.download_seconds = got->body_seconds;
    status = sockopt::read_mptcp_status(fd, r.connection.peer);
    for (const auto &[local, bytes] : received_by_subflow(status)) {
      const auto it = before.find(local);
      obs.download_bytes_by_subflow.push_back(bytes - (it == before.end() ? 0 : std::min(bytes, it->second)));
    }
  }
  status = sockopt::read_mptcp_status(fd, r.connection.peer);
  // Without MPTCP_FULL_INFO's subflow ids (before 6.5) the initial subflow
  // is the one whose local end is the socket's own.
  if (!status.subflows.empty() && !status.subflows.front().id) {
    for (auto &sf : status.subflows) {
      sf.kind = sockopt::same_endpoint(sf.local, r.connection.local) ? SubflowKind::initial : SubflowKind::join;
    }
  }
  obs.client_verdict = obs.mptcp_socket_refused ? Verdict::plain_tcp : status.verdict;
  obs.subflows = status.subflows.size();
  if (const auto info = raw_mptcp_info(fd)) {
    obs.subflows_max = info->subflows_max;
    obs.local_addr_max = info->local_addr_max;
    obs.add_addr_accepted_max = info->add_addr_accepted_max;
    obs.add_addr_accepted = info->add_addr_accepted;
  }
  for (const auto &sf : status.subflows) r.subflow_interfaces.push_back(interface_of(sf.local));
  r.client = std::move(status);
  r.connection.fd.reset();  // closed before the counters are read again
  obs.mib_delta = procfs::mib_rises(mib_before, procfs::read_mptcp_mib_by_name());
  r.findings = conclude(obs);
  r.checked = true;
  return r;
}

const char *level_mark(Finding::Level l) {
  switch (l) {
    case Finding::Level::ok: return "✓";
    case Finding::Level::note: return "!";
    case Finding::Level::problem: return "✗";
  }
  return "!";
}

std::string client_verdict_text(const ProbeResult &r) {
  if (r.observation.mptcp_socket_refused) return "plain TCP (MPTCP is off on this host)";
  switch (r.client.verdict) {
    case Verdict::mptcp: return "MPTCP";
    case Verdict::fallback: return "MPTCP asked, fell back to TCP";
    case Verdict::plain_tcp: return r.observation.asked_mptcp ? "asked for MPTCP, got plain TCP" : "plain TCP (not asked)";
    case Verdict::error: return "unknown (the kernel did not say)";
  }
  return "unknown";
}

void print_text(const ProbeOptions &o, size_t index, const ProbeResult &r) {
  std::cout << "probe " << index << " of " << o.count << ": ";
  if (!r.checked) {
    std::cout << o.target.host_field << ": could not check: " << r.error << "\n";
    return;
  }
  const auto &obs = r.observation;
  std::cout << format_endpoint(r.connection.local) << " -> " << format_endpoint(r.connection.peer) << "\n";
  std::cout << "  this host: " << client_verdict_text(r);
  if (r.client.uses_mptcp()) {
    std::cout << "; limits: subflows " << int(obs.subflows_max) << ", add_addr_accepted " << int(obs.add_addr_accepted_max)
              << "; subflow endpoints " << int(obs.local_addr_max);
  }
  std::cout << "\n";
  for (size_t i = 0; i < r.client.subflows.size(); ++i) {
    const auto &sf = r.client.subflows[i];
    std::cout << "    " << (sf.kind == SubflowKind::initial ? "initial" : "join   ") << " " << format_endpoint(sf.local);
    if (!r.subflow_interfaces[i].empty()) std::cout << " (" << r.subflow_interfaces[i] << ")";
    std::cout << " -> " << format_endpoint(sf.remote);
    if (sf.tcp) {
      char rtt[32];
      std::snprintf(rtt, sizeof rtt, "%.3f", sf.tcp->rtt_us / 1000.0);
      std::cout << ", rtt " << rtt << " ms, received " << sf.tcp->bytes_received.value_or(0) << " B, sent "
                << sf.tcp->bytes_sent.value_or(0) << " B";
    }
    if (i < obs.download_bytes_by_subflow.size() && o.download) {
      std::cout << ", download " << obs.download_bytes_by_subflow[i] << " B";
    }
    std::cout << "\n";
  }
  std::cout << "  server: ";
  if (obs.server.is_checker) {
    std::cout << "an mptcp-observer checker, verdict " << obs.server.verdict.value_or("?");
    if (obs.server.listener_mptcp) std::cout << "; its listener is " << (*obs.server.listener_mptcp ? "MPTCP" : "plain TCP");
  } else if (obs.server.says_mptcp) {
    std::cout << (*obs.server.says_mptcp ? "says you are using MPTCP" : "says you are not using MPTCP");
  } else {
    std::cout << "answered, without saying what it saw (not a checker)";
  }
  std::cout << "\n";
  if (o.download && r.download_seconds > 0) {
    char line[96];
    std::snprintf(line, sizeof line, "%.3f s, %.1f Mbit/s", r.download_seconds,
                  static_cast<double>(*o.download) * 8 / r.download_seconds / 1e6);
    std::cout << "  download: " << *o.download << " B in " << line << "\n";
  }
  if (!obs.mib_delta.empty()) {
    std::cout << "  kernel counters that moved (MPTcpExt, this network namespace):";
    for (const auto &[name, d] : obs.mib_delta) std::cout << " " << name << " +" << d;
    std::cout << "\n";
  }
  for (const auto &f : r.findings) {
    std::cout << "  " << level_mark(f.level) << " " << f.message << "\n";
    if (!f.advice.empty()) std::cout << "      fix: " << f.advice << "\n";
  }
}

json to_json(const ProbeOptions &o, const ProbeResult &r) {
  json j;
  j["checked"] = r.checked;
  if (!r.checked) {
    j["error"] = r.error;
    return j;
  }
  const auto &obs = r.observation;
  j["local"] = format_endpoint(r.connection.local);
  j["remote"] = format_endpoint(r.connection.peer);
  j["asked_mptcp"] = obs.asked_mptcp;
  j["mptcp_available"] = !obs.mptcp_socket_refused;
  j["client_verdict"] = obs.mptcp_socket_refused ? "tcp" : verdict_name(r.client.verdict);
  j["limits"] = {{"subflows", obs.subflows_max},
                 {"add_addr_accepted", obs.add_addr_accepted_max},
                 {"subflow_endpoints", obs.local_addr_max}};
  auto subflows = json::array();
  for (size_t i = 0; i < r.client.subflows.size(); ++i) {
    const auto &sf = r.client.subflows[i];
    json s;
    s["kind"] = subflow_kind_name(sf.kind);
    s["local"] = format_endpoint(sf.local);
    s["remote"] = format_endpoint(sf.remote);
    s["interface"] = r.subflow_interfaces[i];
    if (sf.tcp) {
      s["rtt_us"] = sf.tcp->rtt_us;
      s["bytes_received"] = sf.tcp->bytes_received.value_or(0);
      s["bytes_sent"] = sf.tcp->bytes_sent.value_or(0);
    }
    if (o.download && i < obs.download_bytes_by_subflow.size()) s["download_bytes"] = obs.download_bytes_by_subflow[i];
    subflows.push_back(std::move(s));
  }
  j["subflows"] = std::move(subflows);
  json server;
  server["checker"] = obs.server.is_checker;
  if (obs.server.verdict) server["verdict"] = *obs.server.verdict;
  if (obs.server.says_mptcp) server["says_mptcp"] = *obs.server.says_mptcp;
  if (obs.server.listener_mptcp) server["listener_mptcp"] = *obs.server.listener_mptcp;
  server["diagnosis"] = obs.server.diagnosis_codes;
  j["server"] = std::move(server);
  if (o.download) j["download_seconds"] = r.download_seconds;
  j["mib_delta"] = obs.mib_delta;
  auto findings = json::array();
  for (const auto &f : r.findings) {
    findings.push_back({{"code", f.code},
                        {"level", f.level == Finding::Level::ok ? "ok" : f.level == Finding::Level::note ? "note" : "problem"},
                        {"message", f.message},
                        {"advice", f.advice}});
  }
  j["findings"] = std::move(findings);
  return j;
}
}  // namespace

int run_probe(const std::vector<std::string> &args) {
  ProbeOptions options;
  std::optional<std::string> target;
  commands::CommandLine cl("probe", probe_help());
  declare_flags(cl, options, target);
  if (const auto done = cl.parse_or_answer(args)) return *done;
  if (!target) {
    return cl.fail("name the server to probe: mptcp-observer probe HOST[:PORT] or an http:// URL (see probe --help)");
  }
  std::string error;
  const auto parsed_target = parse_probe_target(*target, error);
  if (!parsed_target) return cl.fail(error);
  options.target = *parsed_target;
  int status = 0;
  json all = json::array();
  for (size_t i = 1; i <= options.count; ++i) {
    const ProbeResult r = probe_once(options);
    if (!r.checked) status = 2;
    for (const auto &f : r.findings) {
      if (f.level == Finding::Level::problem && status == 0) status = 1;
    }
    if (options.json) all.push_back(to_json(options, r));
    else print_text(options, i, r);
  }
  if (options.json) {
    json doc;
    doc["target"] = options.target.host_field + options.target.path;
    doc["probes"] = std::move(all);
    doc["exit_status"] = status;
    std::cout << doc.dump(2) << "\n";
  }
  return status;
}

}  // namespace observer::probe
