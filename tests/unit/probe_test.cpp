// The probe's pure parts: what a target names, and what an observation means.
#include <catch2/catch.hpp>

#include "commands/probe/probe_findings.h"
#include "commands/probe/probe_target.h"

using namespace observer;
using namespace observer::probe;

TEST_CASE("a probe target is a host, HOST:PORT or an http URL", "[probe]") {
  struct Case {
    const char *text, *host;
    uint16_t port;
    const char *path, *host_field;
  };
  const auto c = GENERATE(values<Case>({
      {"10.0.3.2", "10.0.3.2", 8684, "/", "10.0.3.2:8684"},
      {"server:9000", "server", 9000, "/", "server:9000"},
      {"[fd00:3::2]:8684", "fd00:3::2", 8684, "/", "[fd00:3::2]:8684"},
      {"http://check.example/?format=json", "check.example", 8684, "/?format=json", "check.example:8684"},
      {"HTTP://h:80/x", "h", 80, "/x", "h"},
      {"http://h?x=1", "h", 8684, "/?x=1", "h:8684"},
  }));
  INFO(c.text);
  std::string error;
  const auto t = parse_probe_target(c.text, error);
  REQUIRE(t);
  CHECK(t->host == c.host);
  CHECK(t->port == c.port);
  CHECK(t->path == c.path);
  CHECK(t->host_field == c.host_field);
}

TEST_CASE("a target that is not one is a one-line error", "[probe]") {
  const auto text = GENERATE("https://h/", "ftp://h/", "fd00::1", "h:0", "h:70000", "h:x", "[fd00::1", "", "http://h/a b");
  INFO(text);
  std::string error;
  CHECK_FALSE(parse_probe_target(text, error));
  CHECK_FALSE(error.empty());
  CHECK(error.find('\n') == std::string::npos);
}

namespace {
std::string first_code(const ProbeObservation &o) {
  const auto f = conclude(o);
  return f.empty() ? "" : f.front().code;
}
ProbeObservation mptcp_one_subflow() {
  ProbeObservation o;
  o.client_verdict = Verdict::mptcp;
  o.subflows = 1;
  o.subflows_max = 2;
  o.local_addr_max = 1;
  o.server.is_checker = true;
  o.server.verdict = "mptcp";
  return o;
}
}  // namespace

TEST_CASE("what a probe saw becomes the finding a person acts on", "[probe]") {
  ProbeObservation o;
  o.client_verdict = Verdict::plain_tcp;
  SECTION("MPTCP off here") {
    o.mptcp_socket_refused = true;
    CHECK(first_code(o) == "mptcp_off_here");
  }
  SECTION("the checker listens with MPTCP and saw TCP: the path strips it") {
    o.server = {true, true, true, "tcp", false, {}};
    o.mib_delta["MPCapableFallbackSYNACK"] = 1;
    CHECK(first_code(o) == "path_strips_mptcp");
  }
  SECTION("any server that answers 'not using MPTCP' speaks MPTCP itself") {
    o.server.answered = true;
    o.server.says_mptcp = false;
    CHECK(first_code(o) == "path_strips_mptcp");
  }
  SECTION("a server that says nothing: cannot tell, says so") {
    o.server.answered = true;
    CHECK(first_code(o) == "server_without_mptcp");
  }
  SECTION("SYNs with the option dropped") {
    o.mib_delta["MPCapableSYNTXDrop"] = 1;
    CHECK(first_code(o) == "syn_with_mptcp_dropped");
  }
  SECTION("not asked") {
    o.asked_mptcp = false;
    CHECK(conclude(o).front().level == Finding::Level::note);
  }
}

TEST_CASE("why one subflow, from this host's limits and counters", "[probe]") {
  auto o = mptcp_one_subflow();
  SECTION("limit 0") {
    o.subflows_max = 0;
    CHECK(first_code(o) == "client_subflow_limit_zero");
  }
  SECTION("no endpoint, nothing announced") {
    o.local_addr_max = 0;
    CHECK(first_code(o) == "no_join_path");
  }
  SECTION("an announcement ignored") {
    o.local_addr_max = 0;
    o.add_addr_accepted_max = 0;
    o.mib_delta["AddAddr"] = 1;
    CHECK(first_code(o) == "announced_address_ignored");
  }
  SECTION("answered, then reset: refused") {
    o.mib_delta["MPJoinSynTx"] = 1;
    o.mib_delta["MPJoinSynAckRx"] = 1;
    CHECK(first_code(o) == "join_refused");
  }
  SECTION("never answered") {
    o.mib_delta["MPJoinSynTx"] = 1;
    CHECK(first_code(o) == "join_unanswered");
  }
  SECTION("nothing tried yet") {
    CHECK(conclude(o).front().level == Finding::Level::note);
  }
}

TEST_CASE("joins and the download's spread", "[probe]") {
  auto o = mptcp_one_subflow();
  o.subflows = 2;
  CHECK(first_code(o) == "mptcp_with_joins");
  o.download_bytes_by_subflow = {100, 200};
  CHECK(conclude(o).back().code == "all_paths_carry_data");
  o.download_bytes_by_subflow = {100, 0};
  CHECK(conclude(o).back().code == "idle_subflow");
}
