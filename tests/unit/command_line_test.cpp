// CommandLine, as diagnose and probe use it: flags declared once, read
// from the arguments, and a mistake in one line naming the flag.
#include "commands/command_line.h"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

using namespace observer;
using namespace observer::commands;

namespace {
using Args = std::vector<std::string>;

struct Probe {
  size_t count = 1;
  std::chrono::milliseconds wait{2000};
  bool json = false;
  std::optional<std::string> target;
  std::string colour = "red";
};

struct Parsed {
  Probe probe;
  CommandLine::Outcome outcome;
  std::string error;
};

Parsed parse(const Args &args) {
  Parsed p;
  CommandLine cl("probe", HelpText{"Usage: probe HOST\n", "", "", 22});
  cl.positional("target", [&p](const std::string &v) {
    if (v == "bad") return std::string("'bad' is no host");
    p.probe.target = v;
    return std::string();
  });
  cl.section("Flags");
  cl.count("--count", p.probe.count, {1, 100}, "connections");
  cl.duration("--wait", p.probe.wait, {std::chrono::milliseconds(0), std::chrono::seconds(60)}, "joins");
  cl.flag("--json", "JSON", [&p] { p.probe.json = true; });
  cl.choice<std::string>("--colour", "C", p.probe.colour, {{"red", "red"}, {"blue", "blue"}}, "colour");
  cl.help_flag();
  p.outcome = cl.parse(args, p.error);
  return p;
}
}  // namespace

TEST_CASE("CommandLine reads flags before, after and between words", "[command_line]") {
  const auto p = parse({"--count", "3", "host", "--wait=500ms", "--json", "--colour", "blue"});
  INFO(p.error);
  REQUIRE(p.outcome == CommandLine::Outcome::run);
  CHECK(p.probe.count == 3);
  CHECK(p.probe.wait == std::chrono::milliseconds(500));
  CHECK(p.probe.json);
  CHECK(p.probe.target == "host");
  CHECK(p.probe.colour == "blue");
  CHECK(parse({}).probe.count == 1);
  CHECK_FALSE(parse({}).probe.target);
}

TEST_CASE("CommandLine answers -h and --help", "[command_line]") {
  CHECK(parse({"--help"}).outcome == CommandLine::Outcome::help);
  CHECK(parse({"host", "-h"}).outcome == CommandLine::Outcome::help);
  // A mistake elsewhere on the line wins.
  CHECK(parse({"--help", "--count", "0"}).outcome == CommandLine::Outcome::mistake);
}

TEST_CASE("CommandLine says what is wrong in one line naming the flag", "[command_line]") {
  struct Case {
    Args args;
    const char *error;
  };
  const auto c = GENERATE(values<Case>({
      {{"--count", "0"}, "--count: '0' is not a number from 1 to 100"},
      {{"--count", "1x"}, "--count: '1x' is not a number from 1 to 100"},
      {{"--count"}, "--count needs a value (see probe --help)"},
      {{"h", "--wait"}, "--wait needs a value (see probe --help)"},
      {{"--wait", "2m"}, "--wait: '2m' is not a duration from 0s to 60s"},
      {{"--colour", "green"}, "--colour: 'green' is not red or blue"},
      {{"--json=1"}, "--json takes no value (see probe --help)"},
      {{"--bogus", "h"}, "unknown flag '--bogus' (see probe --help)"},
      {{"-q"}, "unknown flag '-q' (see probe --help)"},
      {{"a", "b"}, "one target only; 'b' is a second one"},
      {{"bad"}, "'bad' is no host"},
  }));
  const auto p = parse(c.args);
  CHECK(p.outcome == CommandLine::Outcome::mistake);
  CHECK(p.error == c.error);
}

TEST_CASE("CommandLine's help lists each flag with its range and default", "[command_line]") {
  CommandLine cl("probe", HelpText{"Usage: probe HOST\n", "About.\n", "Footer.\n", 22});
  size_t count = 1;
  std::chrono::milliseconds watch{0};
  cl.section("Flags");
  cl.count("--count", count, {1, 100}, "connections, one after another");
  cl.duration("--watch", watch, {std::chrono::milliseconds(1), std::chrono::hours(1)}, "count over DURATION");
  cl.hidden("--old", [](const std::string &) { return std::string(); });
  cl.help_flag();
  CHECK(cl.help() ==
        "Usage: probe HOST\n"
        "\n"
        "About.\n"
        "\n"
        "Flags:\n"
        "  --count N           connections, one after another (1-100). Default 1.\n"
        "  --watch DURATION    count over DURATION (1ms-3600s).\n"
        "  --help              this text\n"
        "\n"
        "Footer.\n");
}

TEST_CASE("Values in help and errors are written as people write them", "[command_line]") {
  CHECK(duration_text(std::chrono::milliseconds(10000)) == "10s");
  CHECK(duration_text(std::chrono::milliseconds(250)) == "250ms");
  CHECK(duration_text(std::chrono::hours(1)) == "3600s");
  CHECK(byte_size_text(1u << 20) == "1M");
  CHECK(byte_size_text(4096) == "4K");
  CHECK(byte_size_text(1ull << 30) == "1G");
  CHECK(byte_size_text(1000) == "1000");
  CHECK(choices_text({"text", "json"}, false) == "text or json");
  CHECK(choices_text({"debug", "info", "warn", "error"}, false) == "debug, info, warn or error");
  CHECK(choices_text({"debug", "info", "warn", "error"}, true) == "one of debug, info, warn, error");
  std::string error;
  CHECK(parse_ip_address("fe80::1", error));
  CHECK_FALSE(parse_ip_address("10.0.0", error));
  CHECK(error == "'10.0.0' is not an IP address");
}
