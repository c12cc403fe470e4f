// Command-line flags: a bad flag stops start-up with one line that says what
// to change.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "options.h"

using namespace observer;

namespace {
using Args = std::vector<std::string>;
}

TEST_CASE("parse_options without flags listens on [::]:8684", "[options]") {
  const auto p = parse_options({});
  CHECK(p.error.empty());
  CHECK_FALSE(p.show_help);
  CHECK_FALSE(p.show_version);
  REQUIRE(p.options.checker_listen.size() == 1);
  CHECK(format_endpoint(p.options.checker_listen[0]) == "[::]:8684");
  CHECK(p.options.checker_listen[0].family() == AF_INET6);
  CHECK(p.options.max_waiting == 1024);
  CHECK(p.options.max_waiting_per_client == 4);
  CHECK(p.options.max_connections == 20000);
  CHECK(p.options.log_level == log::Level::info);
}

TEST_CASE("parse_options takes each --listen, as two words or with =", "[options]") {
  struct Case {
    Args args;
    std::vector<std::string> listen;
  };
  const auto c = GENERATE(values<Case>({
      {{"--listen", "127.0.0.1:8685"}, {"127.0.0.1:8685"}},
      {{"--listen=127.0.0.1:8685"}, {"127.0.0.1:8685"}},
      {{"--listen", "[::1]:0", "--listen=0.0.0.0:80"}, {"[::1]:0", "0.0.0.0:80"}},
      {{"--listen", ":9000"}, {"[::]:9000"}},
  }));
  const auto p = parse_options(c.args);
  INFO("error: " << p.error);
  REQUIRE(p.error.empty());
  std::vector<std::string> shown;
  for (const auto &a : p.options.checker_listen) shown.push_back(format_endpoint(a));
  CHECK(shown == c.listen);
}

TEST_CASE("parse_options takes HTTPS addresses with their certificate and key", "[options]") {
  SECTION("HTTPS only: no default plain address") {
    const auto p = parse_options({"--listen-tls", "[::]:8443", "--tls-cert", "/etc/c.pem", "--tls-key=/etc/k.pem"});
    INFO("error: " << p.error);
    REQUIRE(p.error.empty());
    CHECK(p.options.checker_listen.empty());
    REQUIRE(p.options.checker_listen_tls.size() == 1);
    CHECK(format_endpoint(p.options.checker_listen_tls[0]) == "[::]:8443");
    CHECK(p.options.tls_certificate == "/etc/c.pem");
    CHECK(p.options.tls_key == "/etc/k.pem");
  }
  SECTION("plain and HTTPS side by side, each repeatable") {
    const auto p = parse_options({"--listen", ":8684", "--listen-tls=:8443", "--listen-tls", "127.0.0.1:9443",
                                  "--tls-cert", "c", "--tls-key", "k"});
    REQUIRE(p.error.empty());
    REQUIRE(p.options.checker_listen.size() == 1);
    CHECK(format_endpoint(p.options.checker_listen[0]) == "[::]:8684");
    REQUIRE(p.options.checker_listen_tls.size() == 2);
    CHECK(format_endpoint(p.options.checker_listen_tls[1]) == "127.0.0.1:9443");
  }
  SECTION("no flags: plain [::]:8684, no TLS") {
    const auto p = parse_options({});
    CHECK(p.options.checker_listen_tls.empty());
    CHECK(p.options.tls_certificate.empty());
  }
}

TEST_CASE("parse_options reads counts and the log level", "[options]") {
  CHECK(parse_options({"--max-waiting", "1"}).options.max_waiting == 1);
  CHECK(parse_options({"--max-waiting=100000"}).options.max_waiting == 100000);
  CHECK(parse_options({"--max-waiting-per-client", "7"}).options.max_waiting_per_client == 7);
  CHECK(parse_options({"--max-connections-per-client", "3"}).options.max_connections_per_client == 3);
  // An old command line still starts the daemon, with a warning.
  const auto old = parse_options({"--threads", "8"});
  CHECK(old.error.empty());
  REQUIRE(old.warnings.size() == 1);
  CHECK(old.warnings[0].find("--threads is no longer used") != std::string::npos);
  CHECK(parse_options({"--max-connections", "5"}).options.max_connections == 5);

  struct Case {
    const char *name;
    log::Level level;
  };
  const auto c = GENERATE(values<Case>({
      {"debug", log::Level::debug},
      {"info", log::Level::info},
      {"warn", log::Level::warn},
      {"error", log::Level::error},
  }));
  INFO("--log-level " << c.name);
  const auto p = parse_options({"--log-level", c.name});
  CHECK(p.error.empty());
  CHECK(p.options.log_level == c.level);
}

TEST_CASE("parse_options sets --help and --version", "[options]") {
  CHECK(parse_options({"--help"}).show_help);
  CHECK(parse_options({"-h"}).show_help);
  CHECK_FALSE(parse_options({"--help"}).show_version);
  CHECK(parse_options({"--version"}).show_version);
  CHECK_FALSE(parse_options({"--version"}).show_help);
}

TEST_CASE("parse_options stops at a bad flag with one line saying why", "[options]") {
  struct Case {
    Args args;
    const char *says;  // part of the error
  };
  const auto c = GENERATE(values<Case>({
      {{"--max-waiting", "0"}, "--max-waiting: '0' is not a number from 1 to 100000"},
      {{"--max-waiting", "abc"}, "--max-waiting: 'abc'"},
      {{"--max-waiting-per-client", "0"}, "--max-waiting-per-client: '0'"},
      {{"--max-waiting-per-client=1001"}, "--max-waiting-per-client: '1001'"},
      {{"--max-connections", "0"}, "--max-connections: '0'"},
      {{"--listen", "8684"}, "--listen: '8684' is not ADDR:PORT"},
      {{"--listen", "::1:80"}, "--listen: "},
      {{"--log-level", "loud"}, "--log-level: 'loud'"},
      {{"--verbose"}, "unknown flag '--verbose'"},
      {{"--listen=[::]:1", "-x"}, "unknown flag '-x'"},
      {{"--max-waiting"}, "--max-waiting needs a value"},
      {{"--listen"}, "--listen needs a value"},
      {{"--log-level"}, "--log-level needs a value"},
      {{"--listen-tls", "8443", "--tls-cert", "c", "--tls-key", "k"}, "--listen-tls: '8443' is not ADDR:PORT"},
      {{"--listen-tls", ":8443"}, "--listen-tls needs both --tls-cert FILE and --tls-key FILE"},
      {{"--listen-tls", ":8443", "--tls-cert", "c"}, "--listen-tls needs both --tls-cert FILE and --tls-key FILE"},
      {{"--listen-tls", ":8443", "--tls-key", "k"}, "--listen-tls needs both --tls-cert FILE and --tls-key FILE"},
      {{"--tls-cert", "c", "--tls-key", "k"},
       "--tls-cert and --tls-key serve --listen-tls addresses, and none is given"},
      {{"--listen", ":8684", "--tls-cert", "c"}, "--tls-cert and --tls-key serve --listen-tls addresses"},
      {{"--listen-tls", ":8443", "--tls-cert="}, "--tls-cert needs a file name"},
      {{"--tls-key"}, "--tls-key needs a value"},
  }));
  std::string joined;
  for (const auto &a : c.args) joined += a + " ";
  INFO("args: " << joined);
  const auto p = parse_options(c.args);
  CHECK_THAT(p.error, Catch::Contains(c.says));
  CHECK(p.error.find('\n') == std::string::npos);
}

TEST_CASE("parse_options reads --metrics-listen and --log-format", "[options]") {
  const auto p = parse_options({"--metrics-listen", "[::]:9684", "--log-format=json"});
  REQUIRE(p.error.empty());
  REQUIRE(p.options.metrics_listen);
  CHECK(format_endpoint(*p.options.metrics_listen) == "[::]:9684");
  CHECK(p.options.log_format == log::Format::json);
  CHECK_FALSE(parse_options({}).options.metrics_listen);
  CHECK(parse_options({"--log-format", "xml"}).error == "--log-format: 'xml' is not text or json");
}

TEST_CASE("parse_options: the last of a flag given twice counts; --listen adds up", "[options]") {
  const auto p = parse_options({"--max-waiting", "5", "--max-waiting=7", "--listen", ":1", "--listen", ":2"});
  REQUIRE(p.error.empty());
  CHECK(p.options.max_waiting == 7);
  CHECK(p.options.checker_listen.size() == 2);
}

TEST_CASE("parse_options: --admin-listen '' turns the admin listener off", "[options]") {
  REQUIRE(parse_options({}).options.admin_listen);
  CHECK(format_endpoint(*parse_options({}).options.admin_listen) == std::string(kDefaultAdminListen));
  CHECK_FALSE(parse_options({"--admin-listen", ""}).options.admin_listen);
  CHECK_FALSE(parse_options({"--admin-listen="}).options.admin_listen);
  CHECK(format_endpoint(*parse_options({"--admin-listen", "[::1]:9"}).options.admin_listen) == "[::1]:9");
}

TEST_CASE("parse_options reads the tracing flags", "[options]") {
  const auto p = parse_options({"--no-bpf", "--cgroup", "/sys/fs/cgroup/x", "--bpf-probe-reads", "--bpf-ringbuf-size", "4M",
                                "--max-tracked-connections", "9", "--reconcile-interval=250ms", "--netns-dir", "",
                                "--no-public-metrics", "--connection-metrics", "0"});
  INFO("error: " << p.error);
  REQUIRE(p.error.empty());
  CHECK_FALSE(p.options.bpf);
  CHECK(p.options.cgroup == "/sys/fs/cgroup/x");
  CHECK(p.options.bpf_probe_reads);
  CHECK(p.options.bpf_ringbuf_bytes == 4u << 20);
  CHECK(p.options.max_tracked_connections == 9);
  CHECK(p.options.reconcile_interval == std::chrono::milliseconds(250));
  CHECK(p.options.netns_dir.empty());
  CHECK_FALSE(p.options.public_metrics);
}

TEST_CASE("parse_options: more mistakes, each one line", "[options]") {
  struct Case {
    Args args;
    const char *error;  // all of it
  };
  const auto c = GENERATE(values<Case>({
      {{"--no-bpf=yes"}, "--no-bpf takes no value (see --help)"},
      {{"serve"}, "unexpected argument 'serve' (see --help)"},
      {{"--bpf-ringbuf-size", "3000"}, "--bpf-ringbuf-size: '3000' is not a power of two from 4K to 1G"},
      {{"--reconcile-interval", "50ms"}, "--reconcile-interval: '50ms' is not a duration from 100ms to 3600s"},
      {{"--connection-metrics", "-1"}, "--connection-metrics: '-1' is not a number from 0 to 100000"},
      // A value that looks like a flag is still the value, as ever.
      {{"--max-waiting", "--listen"}, "--max-waiting: '--listen' is not a number from 1 to 100000"},
  }));
  CHECK(parse_options(c.args).error == c.error);
}

TEST_CASE("parse_options reads a flag's environment variable; the command line wins", "[options]") {
  ::setenv("MPTCP_OBSERVER_MAX_WAITING", "17", 1);
  ::setenv("MPTCP_OBSERVER_LISTEN", "127.0.0.1:9", 1);
  CHECK(parse_options({}).options.max_waiting == 17);
  REQUIRE(parse_options({}).options.checker_listen.size() == 1);
  CHECK(format_endpoint(parse_options({}).options.checker_listen[0]) == "127.0.0.1:9");
  CHECK(parse_options({"--max-waiting", "3"}).options.max_waiting == 3);
  ::setenv("MPTCP_OBSERVER_MAX_WAITING", "lots", 1);
  CHECK(parse_options({}).error ==
        "--max-waiting (from MPTCP_OBSERVER_MAX_WAITING): 'lots' is not a number from 1 to 100000");
  // An empty variable is no value.
  ::setenv("MPTCP_OBSERVER_MAX_WAITING", "", 1);
  CHECK(parse_options({}).options.max_waiting == Options{}.max_waiting);
  ::unsetenv("MPTCP_OBSERVER_MAX_WAITING");
  ::unsetenv("MPTCP_OBSERVER_LISTEN");
}

TEST_CASE("help_text names every flag with its value, range and default", "[options]") {
  const std::string help = help_text();
  CHECK(help.starts_with("Usage: mptcp-observer [FLAGS]\n"));
  // As one line: the words wrap wherever they fall.
  std::string words;
  for (const char c : help) {
    if (c != ' ' && c != '\n') words += c;
    else if (!words.empty() && words.back() != ' ') words += ' ';
  }
  for (const char *says : {"--listen ADDR:PORT", "--listen-tls ADDR:PORT", "--tls-cert FILE", "--tls-key FILE",
                           "--max-connections N", "--max-connections-per-client N", "--max-waiting N",
                           "--max-waiting-per-client N", "--log-level LEVEL", "--log-format FORMAT", "--help",
                           "--version", "--admin-listen ADDR:PORT", "--metrics-listen ADDR:PORT",
                           "--no-public-metrics", "--connection-metrics N", "--no-bpf", "--cgroup PATH",
                           "--bpf-ringbuf-size SIZE", "--max-tracked-connections N",
                           "--reconcile-interval DURATION", "--netns-dir DIR", "(1-100000). Default 1024.",
                           "(100ms-3600s). Default 10s.", "(1-10000000). Default 262144.", "Default 1M.",
                           "Default /run/netns.", "default 127.0.0.1:8685", "Default [::]:8684",
                           "(debug, info, warn or error). Default info.", "MPTCP_OBSERVER_LISTEN"}) {
    INFO(says);
    CHECK_THAT(words, Catch::Contains(says));
  }
  CHECK_THAT(help, !Catch::Contains("--threads"));
  // The flags' lines are wrapped to fit a terminal.
  for (std::string_view rest = help; !rest.empty();) {
    const auto line = rest.substr(0, rest.find('\n'));
    INFO(line);
    if (line.starts_with("  --") || line.starts_with(std::string(24, ' '))) CHECK(line.size() <= 78);
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
  }
}
