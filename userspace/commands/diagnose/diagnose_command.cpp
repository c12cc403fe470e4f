#include "commands/diagnose/diagnose_command.h"

#include <fcntl.h>
#include <sched.h>

#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands/command_line.h"
#include "commands/diagnose/host_facts.h"
#include "common/defaults.h"
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

// Where `ip netns` keeps the namespaces it names.
constexpr std::string_view kNamedNamespaces = defaults::kNamedNetnsDir;

commands::HelpText diagnose_help() {
  commands::HelpText h;
  h.usage = "Usage: mptcp-observer diagnose [FLAGS]\n";
  h.about =
      "Checks whether this host (or one network namespace) is set up for MPTCP,\n"
      "and says what to fix: net.mptcp settings and the path manager, endpoints\n"
      "against limits, where traffic from each subflow endpoint is routed,\n"
      "reverse-path filters, firewall rules that touch TCP option 30, and the\n"
      "kernel's MPTcpExt counters that signal trouble. Needs no daemon and no BPF.\n";
  h.footer =
      "Each line: ✓ fine, · information, ! worth a look, ✗ a problem.\n"
      "Exit status: 0 nothing to fix, 1 something to fix (! or ✗), 2 could not check.\n";
  h.column = 22;
  return h;
}

void declare_flags(commands::CommandLine &cl, DiagnoseOptions &o) {
  cl.section("Flags");
  cl.text("--netns", "NAME|PATH", o.netns,
          "check this network namespace (" + std::string(kNamedNamespaces) +
              "/NAME, or a path such as /proc/PID/ns/net); needs root",
          "needs a namespace name or path");
  cl.value("--target", "ADDR", "check routes toward ADDR (your server) instead of \"anywhere\"",
           [&o](const std::string &v) {
             std::string why;
             o.facts.target = commands::parse_ip_address(v, why);
             return why;
           });
  cl.duration("--watch", o.facts.watch, {std::chrono::milliseconds(1), std::chrono::hours(1)},
              "count only what the MPTcpExt counters do over DURATION (e.g. 30s), instead of since boot");
  cl.text("--admin", "ADDR:PORT", o.facts.admin,
          "a running daemon's admin listener to ask for the joins it has seen fail since it started, in the "
          "namespace checked; '' for none. Default " + o.facts.admin + ".");
  cl.flag("--json", "one JSON document instead of text", [&o] { o.json = true; });
  cl.help_flag();
}

// Moves this (single-threaded) process into the namespace: /proc/sys/net,
// /proc/self/net and every netlink socket then answer for it.
bool enter_netns(const std::string &netns, std::string &error) {
  const std::string path = netns.find('/') == std::string::npos ? std::string(kNamedNamespaces) + "/" + netns : netns;
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

int run_diagnose(const std::vector<std::string> &args) {
  DiagnoseOptions options;
  commands::CommandLine cl("diagnose", diagnose_help());
  declare_flags(cl, options);
  if (const auto done = cl.parse_or_answer(args)) return *done;
  std::string error;
  if (!options.netns.empty() && !enter_netns(options.netns, error)) return cl.fail(error);
  const HostFacts facts = gather_host_facts(options.facts);
  const auto checks = check_host(facts);
  int status = facts.has_mptcp ? 0 : 2;
  for (const auto &c : checks) {
    if (c.status == Check::Status::warning || c.status == Check::Status::problem) status = std::max(status, 1);
  }
  const std::string where = options.netns.empty() ? "this network namespace" : "network namespace " + options.netns;
  if (options.json) {
    json doc;
    doc["netns"] = options.netns.empty() ? json(nullptr) : json(options.netns);
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
