#include "commands/command_line.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iostream>
#include <stdexcept>

#include "common/durations.h"

namespace observer::commands {
namespace {
constexpr size_t kHelpWidth = 78;

// Thrown from a flag's callback: CLI11 runs the callbacks inside parse(),
// and this carries the flag's own words out of it.
struct FlagError : std::runtime_error {
  FlagError(std::string flag, const std::string &why) : std::runtime_error(why), flag(std::move(flag)) {}
  std::string flag;
};

// "--max-waiting" -> "--max-waiting"; "-h,--help" -> "--help": the name
// errors and --help show.
std::string long_name(const std::string &names) {
  const auto at = names.rfind("--");
  return at == std::string::npos ? names : names.substr(at);
}

// Words of `text` in lines of at most `width` characters (a longer word
// keeps a line of its own).
std::vector<std::string> wrap(const std::string &text, size_t width) {
  std::vector<std::string> lines;
  std::string line;
  size_t at = 0;
  while (at < text.size()) {
    const size_t end = std::min(text.find(' ', at), text.size());
    const std::string word = text.substr(at, end - at);
    at = end + 1;
    if (word.empty()) continue;
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      lines.push_back(std::move(line));
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

bool takes_value(const CLI::Option &option) { return option.get_expected_max() != 0; }

std::string one_line(std::string text) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  return text;
}
}  // namespace

std::string duration_text(std::chrono::milliseconds d) {
  return d.count() % 1000 == 0 ? std::to_string(d.count() / 1000) + "s" : std::to_string(d.count()) + "ms";
}

std::string byte_size_text(uint64_t bytes) {
  for (const auto &[shift, unit] : {std::pair{30, "G"}, {20, "M"}, {10, "K"}}) {
    if (bytes != 0 && bytes % (1ull << shift) == 0) return std::to_string(bytes >> shift) + unit;
  }
  return std::to_string(bytes);
}

std::string choices_text(const std::vector<std::string> &names, bool one_of) {
  std::string out = one_of ? "one of " : "";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += one_of ? ", " : (i + 1 == names.size() ? " or " : ", ");
    out += names[i];
  }
  return out;
}

std::optional<SocketAddress> parse_ip_address(const std::string &text, std::string &error) {
  const bool v6 = text.find(':') != std::string::npos;
  std::string why;
  auto address = parse_socket_address((v6 ? "[" + text + "]" : text) + ":0", why);
  if (!address) error = "'" + text + "' is not an IP address";
  return address;
}

CommandLine::CommandLine(std::string command, HelpText help)
    : command_(std::move(command)), help_text_(std::move(help)), app_(std::make_unique<CLI::App>()) {
  // Unknown flags and extra words are ours to report, in our words.
  app_->allow_extras();
  // --help is a flag like the others (help_flag()): a mistake elsewhere on
  // the line still wins over it.
  app_->set_help_flag();
  // A flag given twice: the last one counts.
  app_->option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
}

CommandLine::~CommandLine() = default;

void CommandLine::section(std::string title) { app_->option_defaults()->group(std::move(title)); }

void CommandLine::help_flag() {
  app_->add_flag_callback("-h,--help", [this] { help_ = true; }, "this text");
}

void CommandLine::flag(const std::string &name, std::string help, std::function<void()> on_set) {
  app_->add_flag_callback(name, std::move(on_set), std::move(help));
}

void CommandLine::value(const std::string &name, std::string value_name, std::string help, ParseValue parse) {
  auto *option = app_->add_option(
      name,
      [flag = long_name(name), parse = std::move(parse)](const CLI::results_t &results) {
        if (const auto why = parse(results.back()); !why.empty()) throw FlagError(flag, why);
        return true;
      },
      std::move(help));
  option->type_name(std::move(value_name));
}

void CommandLine::repeatable(const std::string &name, std::string value_name, std::string help, ParseValue parse) {
  auto *option = app_->add_option(
      name,
      [flag = long_name(name), parse = std::move(parse)](const CLI::results_t &results) {
        for (const auto &v : results) {
          if (const auto why = parse(v); !why.empty()) throw FlagError(flag, why);
        }
        return true;
      },
      std::move(help));
  option->type_name(std::move(value_name))->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

void CommandLine::hidden(const std::string &name, ParseValue parse) {
  const std::string group = app_->option_defaults()->get_group();
  section("");
  value(name, "VALUE", "", std::move(parse));
  section(group);
}

void CommandLine::positional(std::string name, ParseValue parse) {
  positional_ = name;
  const std::string group = app_->option_defaults()->get_group();
  section("");
  value(name, "", "", [name, parse = std::move(parse)](const std::string &v) {
    const auto why = parse(v);
    // The word's own error: it has no flag name to put in front.
    if (!why.empty()) throw FlagError("", why);
    return why;
  });
  section(group);
}

void CommandLine::count(const std::string &name, size_t &to, CountRange range, std::string help) {
  help += " (" + std::to_string(range.min) + "-" + std::to_string(range.max) + "). Default " + std::to_string(to) + ".";
  value(name, "N", std::move(help), [&to, range](const std::string &v) {
    size_t n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < range.min || n > range.max) {
      return "'" + v + "' is not a number from " + std::to_string(range.min) + " to " + std::to_string(range.max);
    }
    to = n;
    return std::string();
  });
}

void CommandLine::duration(const std::string &name, std::chrono::milliseconds &to, DurationRange range,
                           std::string help) {
  const std::string span = duration_text(range.min) + " to " + duration_text(range.max);
  help += " (" + duration_text(range.min) + "-" + duration_text(range.max) + ")." +
          (to.count() == 0 ? "" : " Default " + duration_text(to) + ".");
  value(name, "DURATION", std::move(help), [&to, range, span](const std::string &v) {
    std::string why;
    const auto d = parse_duration(v, why);
    if (!d || *d < range.min || *d > range.max) return "'" + v + "' is not a duration from " + span;
    to = *d;
    return std::string();
  });
}

void CommandLine::text(const std::string &name, std::string value_name, std::string &to, std::string help,
                       std::string empty_error) {
  value(name, std::move(value_name), std::move(help), [&to, empty_error](const std::string &v) {
    if (v.empty() && !empty_error.empty()) return empty_error;
    to = v;
    return std::string();
  });
}

void CommandLine::bind_environment(const std::string &prefix) {
  std::string example;
  for (CLI::Option *option : app_->get_options()) {
    if (!takes_value(*option) || option->get_group().empty() || option->get_lnames().empty()) continue;
    std::string variable = prefix + option->get_lnames().front();
    for (char &c : variable) c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    option->envname(variable);
    if (example.empty()) example = "--" + option->get_lnames().front() + ": " + variable;
  }
  environment_note_ = "Each flag with a value can also be set by the environment variable " + prefix +
                      " and its name in capitals, dashes as underscores (" + example +
                      "). The command line wins, and an empty variable counts as unset; a repeatable flag takes one "
                      "value from it.";
}

CommandLine::Outcome CommandLine::parse(const std::vector<std::string> &args, std::string &error) {
  const std::string see = " (see " + (command_.empty() ? "" : command_ + " ") + "--help)";
  for (const auto &a : args) {
    const auto eq = a.find('=');
    if (!a.starts_with("--") || eq == std::string::npos) continue;
    const CLI::Option *option = app_->get_option_no_throw(a.substr(0, eq));
    if (option && !takes_value(*option)) {
      error = a.substr(0, eq) + " takes no value" + see;
      return Outcome::mistake;
    }
  }
  // CLI11 reads the arguments from the back. It takes "--flag=" for a flag
  // without its value: given as two words, the value is an empty one.
  std::vector<std::string> reversed;
  for (auto a = args.rbegin(); a != args.rend(); ++a) {
    if (a->starts_with("--") && a->size() > 3 && a->back() == '=') {
      reversed.emplace_back();
      reversed.push_back(a->substr(0, a->size() - 1));
    } else {
      reversed.push_back(*a);
    }
  }
  help_ = false;
  try {
    app_->parse(reversed);
  } catch (const FlagError &e) {
    if (e.flag.empty()) {
      error = e.what();
      return Outcome::mistake;
    }
    error = e.flag;
    // A value from the environment: say where it came from.
    const CLI::Option *option = app_->get_option_no_throw(e.flag);
    const auto &given = app_->parse_order();
    if (option && !option->get_envname().empty() && std::find(given.begin(), given.end(), option) == given.end()) {
      error += " (from " + option->get_envname() + ")";
    }
    const std::string why = e.what();
    error += (why.starts_with("needs ") ? " " : ": ") + why;
    return Outcome::mistake;
  } catch (const CLI::ArgumentMismatch &) {
    // Only the last argument can lack its value: CLI11 takes the next word
    // as a value, whatever it looks like, as long as there is one.
    error = long_name(args.back().substr(0, args.back().find('='))) + " needs a value" + see;
    return Outcome::mistake;
  } catch (const CLI::ParseError &e) {
    error = one_line(e.what()) + see;
    return Outcome::mistake;
  }
  for (const auto &extra : app_->remaining()) {
    if (extra.starts_with("-")) {
      error = "unknown flag '" + extra + "'" + see;
    } else if (!positional_.empty()) {
      error = "one " + positional_ + " only; '" + extra + "' is a second one";
    } else {
      error = "unexpected argument '" + extra + "'" + see;
    }
    return Outcome::mistake;
  }
  return help_ ? Outcome::help : Outcome::run;
}

std::string CommandLine::help() const {
  const size_t column = help_text_.column;
  std::string out = help_text_.usage;
  if (!help_text_.about.empty()) out += "\n" + help_text_.about;
  for (const std::string &group : app_->get_groups()) {
    const auto options = app_->get_options([&](const CLI::Option *o) { return o->get_group() == group; });
    if (group.empty() || options.empty()) continue;
    out += "\n";
    for (const auto &line : wrap(group + ":", kHelpWidth)) out += line + "\n";
    for (const CLI::Option *o : options) {
      std::string name = "  --" + o->get_lnames().front();
      if (takes_value(*o)) name += " " + o->get_type_name();
      const auto lines = wrap(o->get_description(), kHelpWidth - column);
      if (name.size() + 2 > column || lines.empty()) {
        out += name + "\n";
        name.clear();
      }
      for (const auto &line : lines) {
        name.resize(column, ' ');
        out += name + line + "\n";
        name.clear();
      }
    }
  }
  std::string footer = help_text_.footer;
  if (!environment_note_.empty()) {
    footer += "\n";
    for (const auto &line : wrap(environment_note_, kHelpWidth)) footer += line + "\n";
  }
  if (!footer.empty()) out += "\n" + footer;
  return out;
}

std::optional<int> CommandLine::parse_or_answer(const std::vector<std::string> &args) {
  std::string error;
  switch (parse(args, error)) {
    case Outcome::run: return std::nullopt;
    case Outcome::help: std::cout << help(); return 0;
    case Outcome::mistake: return fail(error);
  }
  return std::nullopt;
}

int CommandLine::fail(const std::string &line) const {
  std::cerr << "mptcp-observer" << (command_.empty() ? "" : " " + command_) << ": " << line << "\n";
  return 2;
}

}  // namespace observer::commands
