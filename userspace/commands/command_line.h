#pragma once
// How every command of mptcp-observer (the daemon, diagnose, probe) declares
// its flags: one statement per flag, with its name, what its value looks
// like, its help, its range and its default together. --help is rendered
// from those declarations, so what it says is what the parser does.
// Parsing is CLI11's ("--flag VALUE" and "--flag=VALUE" alike); what a
// mistake looks like is ours: one line that names the flag, which the
// command prints before it exits with status 2.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/socket_address.h"

namespace CLI {
class App;
}

namespace observer::commands {

// Reads a flag's value into its destination, or returns why it cannot,
// which the error line puts after the flag's name: a reason ("--count: 'x'
// is not a number from 1 to 100") or what the flag needs ("--tls-cert
// needs a file name").
using ParseValue = std::function<std::string(const std::string &value)>;

struct CountRange {
  size_t min, max;  // both included
};

struct DurationRange {
  std::chrono::milliseconds min, max;  // both included
};

// What --help says around the flags.
struct HelpText {
  std::string usage;   // the first lines, "Usage: ..."
  std::string about;   // what the command does, and examples
  std::string footer;  // after the flags
  size_t column = 24;  // where the flags' help begins
};

class CommandLine {
 public:
  // `command`: "probe", "diagnose", or "" for the daemon; errors and --help
  // hints name it.
  CommandLine(std::string command, HelpText help);
  ~CommandLine();
  CommandLine(const CommandLine &) = delete;
  CommandLine &operator=(const CommandLine &) = delete;

  // --help lists the flags in the order they are declared, under the title
  // of the last section begun.
  void section(std::string title);

  // -h and --help.
  void help_flag();
  // A flag without a value.
  void flag(const std::string &name, std::string help, std::function<void()> on_set);
  // A flag with a value; the last one given counts.
  void value(const std::string &name, std::string value_name, std::string help, ParseValue parse);
  // A flag that may be given several times; each value is parsed in turn.
  void repeatable(const std::string &name, std::string value_name, std::string help, ParseValue parse);
  // A flag with a value that --help does not show.
  void hidden(const std::string &name, ParseValue parse);
  // The one word that is not a flag (a second one is a mistake).
  void positional(std::string name, ParseValue parse);

  // Flags whose value is of a common kind. The help gains the range and the
  // default, read from `to` as it is when declared (a zero duration is the
  // flag's absence, and not shown).
  void count(const std::string &name, size_t &to, CountRange range, std::string help);
  void duration(const std::string &name, std::chrono::milliseconds &to, DurationRange range, std::string help);
  // Any text; `empty_error`, when given, refuses an empty value.
  void text(const std::string &name, std::string value_name, std::string &to, std::string help,
            std::string empty_error = "");
  template <typename T>
  void choice(const std::string &name, std::string value_name, T &to, std::vector<std::pair<std::string, T>> choices,
              std::string help);

  // Each flag with a value that --help shows can also be set by the
  // environment variable `prefix` + its name in capitals, '-' as '_'
  // (--max-waiting: MPTCP_OBSERVER_MAX_WAITING). The command line wins; an
  // empty variable counts as unset. Call after the last declaration.
  void bind_environment(const std::string &prefix);

  enum class Outcome { run, help, mistake };
  // Reads `args` (those after the command's name) into the declared
  // destinations; on a mistake, `error` is one line naming the flag.
  Outcome parse(const std::vector<std::string> &args, std::string &error);
  std::string help() const;

  // What diagnose and probe do before their work: parse, then answer --help
  // (on stdout, status 0) or a mistake (via fail(), status 2). nullopt: go on.
  std::optional<int> parse_or_answer(const std::vector<std::string> &args);
  // "mptcp-observer COMMAND: line" on stderr; returns the exit status 2.
  int fail(const std::string &line) const;

 private:
  std::string command_;
  HelpText help_text_;
  std::unique_ptr<CLI::App> app_;
  std::string environment_note_;
  bool help_ = false;
  std::string positional_;  // its name; empty when the command takes none
};

// Help and error texts for values: "10s", "250ms"; "1M", "4K", "1000".
std::string duration_text(std::chrono::milliseconds d);
std::string byte_size_text(uint64_t bytes);
// "a or b", "one of a, b, c"
std::string choices_text(const std::vector<std::string> &names, bool one_of);

// An IP address written bare (10.0.0.1, fe80::1), as port 0; nullopt with
// `error` set otherwise.
std::optional<SocketAddress> parse_ip_address(const std::string &text, std::string &error);

template <typename T>
void CommandLine::choice(const std::string &name, std::string value_name, T &to,
                         std::vector<std::pair<std::string, T>> choices, std::string help) {
  std::vector<std::string> names;
  std::string default_name;
  for (const auto &[n, v] : choices) {
    names.push_back(n);
    if (v == to) default_name = n;
  }
  help += " (" + choices_text(names, false) + "). Default " + default_name + ".";
  value(name, std::move(value_name), std::move(help), [&to, choices = std::move(choices), names](const std::string &v) {
    for (const auto &[n, value] : choices) {
      if (n == v) {
        to = value;
        return std::string();
      }
    }
    return "'" + v + "' is not " + choices_text(names, names.size() > 2);
  });
}

}  // namespace observer::commands
