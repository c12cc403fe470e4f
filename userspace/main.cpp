// mptcp-observer: wires the sources to the views and runs until SIGINT or
// SIGTERM; SIGHUP reloads the TLS certificate. Everything that can fail at
// start-up fails here with one line.
#include <signal.h>

#include <cstdio>
#include <iostream>

#include "commands/diagnose/diagnose_command.h"
#include "commands/probe/probe_command.h"
#include "common/log.h"
#include "common/version.h"
#include "daemon.h"
#include "options.h"

using namespace observer;

namespace {
// Blocks the signals main handles in every thread; main waits for them in
// sigwait, so a handler never runs in the middle of another thread's work.
sigset_t block_handled_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}
}  // namespace

int main(int argc, char **argv) {
  const std::string program = "mptcp-observer";
  // Commands beside the daemon, which stays the default.
  if (argc > 1 && std::string(argv[1]) == "probe") {
    signal(SIGPIPE, SIG_IGN);
    return probe::run_probe(std::vector<std::string>(argv + 2, argv + argc));
  }
  if (argc > 1 && std::string(argv[1]) == "diagnose") {
    return diagnose::run_diagnose(std::vector<std::string>(argv + 2, argv + argc));
  }
  const auto parsed = parse_options(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.error.empty()) {
    std::cerr << program << ": " << parsed.error << "\n";
    return 2;
  }
  if (parsed.show_help) {
    std::cout << help_text();
    return 0;
  }
  if (parsed.show_version) {
    std::cout << program << " " << kVersion << " (" << kRevision << ")\n";
    return 0;
  }
  const Options &opt = parsed.options;
  log::set_min_level(opt.log_level);
  log::set_format(opt.log_format);
  for (const auto &warning : parsed.warnings) log::warn("main", warning);
  const sigset_t handled_signals = block_handled_signals();

  Daemon daemon(opt);
  if (!daemon.start()) return 1;

  int signal_number = 0;
  while (sigwait(&handled_signals, &signal_number) == 0 && signal_number == SIGHUP) daemon.reload_tls();
  log::info("main", std::string("received ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") + ", shutting down");
  daemon.stop();
  return 0;
}
