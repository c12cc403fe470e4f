#include "commands/diagnose/diagnose_command.h"

#include <fcntl.h>
#include <sched.h>

#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands/diagnose/host_facts.h"
#include "commands/command_args.h"
#include "common/durations.h"
#include "common/unique_fd.h"

namespace observer::diagnose {
namespace {
using json = nlohmann::ordered_json;

struct DiagnoseOptions {
  std::string netns;  // a name in /run/netns, or a path; empty: this process's
  FactOptions facts;
  bool json = false;
};

std::optional<DiagnoseOptions> parse_diagnose_options(const std::vector<std::string> &args, std::string &error,
                                                      bool &help) {
  DiagnoseOptions o;
  commands::CommandArgs arg(args, "diagnose");
  while (arg.next()) {
    const std::string &flag = arg.name();
    const auto value = [&] { return arg.value(error); };
    std::string why;
    if (flag == "--help" || flag == "-h") {
      help = true;
      return std::nullopt;
    } else if (flag == "--netns") {
      const auto v = value();
      if (!v) return std::nullopt;
      if (v->empty()) {
        error = "--netns needs a namespace name or path";
        return std::nullopt;
      }
      o.netns = *v;
    } else if (flag == "--watch") {
      const auto v = value();
      if (!v) return std::nullopt;
      const auto d = parse_duration(*v, why);
      if (!d || d->count() == 0 || *d > std::chrono::hours(1)) {
        error = "--watch: '" + *v + "' is not a duration from 1ms to 3600s";
        return std::nullopt;
      }
      o.facts.watch = *d;
    } else if (flag == "--target") {
      o.facts.target = arg.address_value(error);
      if (!o.facts.target) return std::nullopt;
    } else if (flag == "--admin") {
      const auto v = value();
      if (!v) return std::nullopt;
      o.facts.admin = *v;
    } else if (flag == "--json") {
      o.json = true;
    } else {
      error = "unknown argument '" + arg.raw() + "' (see diagnose --help)";
      return std::nullopt;
    }
  }
  return o;
}

// Moves this (single-threaded) process into the namespace: /proc/sys/net,
// /proc/self/net and every netlink socket then answer for it.
bool enter_netns(const std::string &netns, std::string &error) {
  const std::string path = netns.find('/') == std::string::npos ? "/run/netns/" + netns : netns;
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    error = "--netns: cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  if (setns(fd.get(), CLONE_NEWNET) != 0) {
    error = "--netns: cannot enter " + path + ": " + std::strerror(errno) +
            (errno == EPERM ? " (needs CAP_SYS_ADMIN: run as root)" : "");
    return false;
  }
  return true;
}

const char *mark(Check::Status s) {
  switch (s) {
    case Check::Status::ok: return "✓";
    case Check::Status::info: return "·";
    case Check::Status::warning: return "!";
    case Check::Status::problem: return "✗";
  }
  return "·";
}

const char *status_name(Check::Status s) {
  switch (s) {
    case Check::Status::ok: return "ok";
    case Check::Status::info: return "info";
    case Check::Status::warning: return "warning";
    case Check::Status::problem: return "problem";
  }
  return "info";
}
}  // namespace

std::string diagnose_help() {
  return R"(Usage: mptcp-observer diagnose [FLAGS]

Checks whether this host (or one network namespace) is set up for MPTCP,
and says what to fix: net.mptcp settings and the path manager, endpoints
against limits, where traffic from each subflow endpoint is routed,
reverse-path filters, firewall rules that touch TCP option 30, and the
kernel's MPTcpExt counters that signal trouble. Needs no daemon and no BPF.

  --netns NAME|PATH   check this network namespace (/run/netns/NAME, or a
                      path such as /proc/PID/ns/net); needs root
  --target ADDR       check routes toward ADDR (your server) instead of
                      "anywhere"
  --watch DURATION    count only what the MPTcpExt counters do over
                      DURATION (e.g. 30s), instead of since boot
  --admin ADDR:PORT    a running daemon's admin listener to ask for the
                      joins it has seen fail since it started (default
                      127.0.0.1:8685, in the namespace checked; '' for none)
  --json              one JSON document instead of text

Each line: ✓ fine, · information, ! worth a look, ✗ a problem.
Exit status: 0 nothing to fix, 1 something to fix (! or ✗), 2 could not check.
)";
}

int run_diagnose(const std::vector<std::string> &args) {
  std::string error;
  bool help = false;
  const auto options = parse_diagnose_options(args, error, help);
  if (help) {
    std::cout << diagnose_help();
    return 0;
  }
  if (!options) {
    std::cerr << "mptcp-observer diagnose: " << error << "\n";
    return 2;
  }
  if (!options->netns.empty() && !enter_netns(options->netns, error)) {
    std::cerr << "mptcp-observer diagnose: " << error << "\n";
    return 2;
  }
  const HostFacts facts = gather_host_facts(options->facts);
  const auto checks = check_host(facts);
  int status = facts.has_mptcp ? 0 : 2;
  for (const auto &c : checks) {
    if (c.status == Check::Status::warning || c.status == Check::Status::problem) status = std::max(status, 1);
  }
  const std::string where = options->netns.empty() ? "this network namespace" : "network namespace " + options->netns;
  if (options->json) {
    json doc;
    doc["netns"] = options->netns.empty() ? json(nullptr) : json(options->netns);
    auto list = json::array();
    for (const auto &c : checks) {
      list.push_back({{"code", c.code}, {"status", status_name(c.status)}, {"title", c.title}, {"evidence", c.evidence}, {"fix", c.fix}});
    }
    doc["checks"] = std::move(list);
    doc["exit_status"] = status;
    std::cout << doc.dump(2) << "\n";
    return status;
  }
  std::cout << "MPTCP on " << where << ":\n";
  for (const auto &c : checks) {
    std::cout << "  " << mark(c.status) << " " << c.title << "\n";
    if (!c.evidence.empty() && c.status != Check::Status::ok) std::cout << "      evidence: " << c.evidence << "\n";
    if (!c.fix.empty()) std::cout << "      fix: " << c.fix << "\n";
  }
  return status;
}

}  // namespace observer::diagnose
