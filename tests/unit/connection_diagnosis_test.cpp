// diagnose_connection(): one row per situation a tracked connection can be
// in, with the findings it must get, in order (strongest first). The
// inputs are what the connection table would hold (subflows open and ever,
// their backup flags, joins that failed and why, a fallback) and what the
// daemon knows of its own network namespace (the path manager's limits and
// endpoints, the host counters since the connection began).
#include "views/admin/connection_diagnosis.h"

#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "test_addresses.h"

using namespace observer;
using namespace observer::admin;
using namespace std::chrono_literals;
using checker::Confidence;
using checker::PathManagerKind;
using observer::test::address;

namespace {
constexpr uint32_t kOwnNetns = 4026531840u, kOtherNetns = 4026532999u;
constexpr uint64_t kMs = 1000000, kSec = 1000 * kMs;
constexpr uint64_t kNow = 1000 * kSec;
constexpr const char *kServer = "192.0.2.1:8684";

Endpoint endpoint(const char *text) { return Endpoint::from(address(text)); }

// A connection as the table would hold it.
struct Connection {
  Direction direction = Direction::inbound;
  uint32_t netns = kOwnNetns;
  int joins = 0;                                // open besides the initial subflow
  std::optional<bool> join_backup = false;      // nullopt: no source told (getsockopt only)
  uint32_t closed = 0;                          // subflows that came and went
  std::vector<std::pair<Reason, uint16_t>> failures;  // joins that failed, by reason
  bool fallback = false, in_handshake = false;
  uint64_t age_ns = 60 * kSec;  // 0: first seen by a snapshot, start unknown
  uint8_t sources = kFromBpf;
};

SubflowRecord subflow(const Connection &c, SubflowKind kind, const char *client_end, std::optional<bool> backup) {
  SubflowRecord s;
  s.kind = kind;
  s.direction = c.direction;
  const bool outbound = c.direction == Direction::outbound;
  s.local = endpoint(outbound ? client_end : kServer);
  s.remote = endpoint(outbound ? kServer : client_end);
  s.backup = backup.value_or(false);
  s.backup_seen_ns = backup ? kNow - kSec : 0;
  s.sources = backup ? kFromBpf : kFromGetsockopt;
  return s;
}

ConnectionRecord record(const Connection &c) {
  ConnectionRecord r;
  r.key = {c.netns, 0xab};
  r.direction = c.direction;
  r.family = AF_INET;
  r.sources = c.sources;
  r.established_ns = c.age_ns ? kNow - c.age_ns : 0;
  r.fallback = c.fallback;
  r.fallback_in_handshake = c.in_handshake;
  r.subflows.push_back(subflow(c, SubflowKind::initial, "198.51.100.4:51000", c.join_backup ? std::optional(false) : std::nullopt));
  for (int i = 0; i < c.joins; ++i) r.subflows.push_back(subflow(c, SubflowKind::join, "198.51.100.9:40000", c.join_backup));
  r.subflows_ever = static_cast<uint32_t>(r.subflows.size()) + c.closed;
  for (const auto &[reason, n] : c.failures) {
    r.join_failures_by_reason[static_cast<size_t>(reason)] = n;
    r.join_failures += n;
    r.last_join_failure = reason;
  }
  return r;
}

// This host's namespace: the in-kernel path manager, 2 subflows, a
// `subflow` and a `signal` endpoint, add_addr_accepted 2; no counters.
struct Host {
  PathManagerKind path_manager = PathManagerKind::in_kernel;
  uint32_t subflows_limit = 2, add_addr_accepted = 2, subflow_endpoints = 1, signal_endpoints = 1;
  std::optional<std::vector<std::pair<std::string_view, uint64_t>>> mib;  // rises since the connection began
};

LocalSetup setup_of(const Host &h) {
  LocalSetup s;
  s.netns = kOwnNetns;
  s.path_manager = h.path_manager;
  s.subflows_limit = h.subflows_limit;
  s.add_addr_accepted_limit = h.add_addr_accepted;
  s.subflow_endpoints = h.subflow_endpoints;
  s.signal_endpoints = h.signal_endpoints;
  if (h.mib) {
    s.counters_since = [rises = *h.mib](uint64_t since_ns) -> std::optional<checker::MibWindow> {
      checker::MibWindow w;
      w.span = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(kNow - since_ns)) + 50ms;
      // Every counter the diagnosis reads exists, at 0 unless given.
      for (const auto name : checker::diagnosis_counters()) {
        uint64_t v = 0;
        for (const auto &[n, rise] : rises) {
          if (n == name) v = rise;
        }
        w.rises.emplace_back(name, v);
      }
      return w;
    };
  }
  return s;
}

std::vector<std::string> codes(const std::vector<checker::Finding> &findings) {
  std::vector<std::string> out;
  for (const auto &f : findings) out.emplace_back(f.code);
  return out;
}

Connection with(Connection c, void (*change)(Connection &)) {
  change(c);
  return c;
}
Connection inbound(int joins = 0) {
  Connection c;
  c.joins = joins;
  return c;
}
Connection outbound(int joins = 0) {
  Connection c = inbound(joins);
  c.direction = Direction::outbound;
  return c;
}
Connection failed(Connection c, std::vector<std::pair<Reason, uint16_t>> failures) {
  c.failures = std::move(failures);
  return c;
}

struct Row {
  const char *situation;
  Connection connection;
  std::vector<std::string> expected;  // codes, in order
  std::optional<Host> host = std::nullopt;  // this host's namespace, as the daemon reads it
};

std::vector<checker::Finding> diagnose(const Connection &c, const std::optional<Host> &host) {
  const auto setup = host ? std::optional(setup_of(*host)) : std::nullopt;
  return diagnose_connection(record(c), kNow, setup ? &*setup : nullptr);
}
}  // namespace

TEST_CASE("diagnose_connection: every situation gets its findings, strongest first", "[connection_diagnosis]") {
  const auto row = GENERATE(values<Row>({
      // ---- joined: the checker's healthy answer, in either direction
      {"inbound, joined, no backup", inbound(1), {"mptcp_ok", "no_backup_subflow"}},
      {"inbound, the join a backup", with(inbound(1), [](Connection &c) { c.join_backup = true; }),
       {"mptcp_ok", "backup_subflow"}},
      {"outbound, the join a backup", with(outbound(1), [](Connection &c) { c.join_backup = true; }),
       {"mptcp_ok", "backup_subflow"}},
      {"subflows only getsockopt saw: backup flags unknown",
       with(inbound(1), [](Connection &c) { c.join_backup = std::nullopt; }), {"mptcp_ok", "backup_unknown"}},
      {"joined, and a subflow closed before", with(inbound(1), [](Connection &c) { c.closed = 1; }),
       {"mptcp_ok", "no_backup_subflow", "subflows_closed"}},
      {"this host's limit of 1 used up by the open join", inbound(1), {"mptcp_ok", "no_backup_subflow", "join_limit_reached"},
       Host{PathManagerKind::in_kernel, 1}},
      {"the same limit in another namespace says nothing",
       with(inbound(1), [](Connection &c) { c.netns = kOtherNetns; }), {"mptcp_ok", "no_backup_subflow"},
       Host{PathManagerKind::in_kernel, 1}},
      {"outbound, this host's limit used up", outbound(1), {"mptcp_ok", "no_backup_subflow", "join_limit_reached"},
       Host{PathManagerKind::in_kernel, 1}},
      {"a limit of 2 and one join: not reached", outbound(1), {"mptcp_ok", "no_backup_subflow"}, Host{}},

      // ---- joins this host opened that failed, as BPF saw them
      {"the peer refused two joins after its SYN-ACK", failed(outbound(), {{Reason::rejected_by_peer, 2}}),
       {"join_rejected_by_peer"}},
      {"a SYN-ACK without a valid MP_JOIN", failed(outbound(), {{Reason::rejected, 1}}), {"join_rejected"}},
      {"join SYNs unanswered", failed(outbound(), {{Reason::timeout, 3}}), {"join_timeout"}},
      {"a plain reset to the join SYN", failed(outbound(), {{Reason::refused, 1}}), {"join_refused"}},
      {"no route for the join", failed(outbound(), {{Reason::unreachable, 1}}), {"join_unreachable"}},
      {"reset before the peer accepted", failed(outbound(), {{Reason::reset, 1}}), {"join_reset"}},
      {"several reasons: a refusal first", failed(outbound(), {{Reason::timeout, 1}, {Reason::rejected_by_peer, 1}}),
       {"join_rejected_by_peer", "join_timeout"}},
      {"joined on one path, timed out on another", failed(outbound(1), {{Reason::timeout, 1}}),
       {"join_timeout", "mptcp_ok", "no_backup_subflow"}},
      {"a join tried and refused: no word of limits here", failed(outbound(), {{Reason::rejected_by_peer, 1}}),
       {"join_rejected_by_peer"}, Host{PathManagerKind::in_kernel, 0}},

      // ---- outbound, one subflow, no join failed
      {"this host's subflows limit is 0", outbound(), {"client_subflow_limit_zero"}, Host{PathManagerKind::in_kernel, 0}},
      {"no subflow endpoint, announcements ignored", outbound(), {"no_join_path"},
       Host{PathManagerKind::in_kernel, 2, 0, 0, 0}},
      {"no subflow endpoint, but announcements taken", outbound(), {"no_join_attempt"},
       Host{PathManagerKind::in_kernel, 2, 2, 0, 0}},
      {"userspace path manager", outbound(), {"userspace_path_manager"}, Host{PathManagerKind::userspace, 0}},
      {"too young for a join", with(outbound(), [](Connection &c) { c.age_ns = 500 * kMs; }), {"no_join_yet"}, Host{}},
      {"old, set up to join, and none came", outbound(), {"no_join_attempt"}, Host{}},
      {"joined once, the join closed", with(outbound(), [](Connection &c) { c.closed = 1; }), {"subflows_closed"},
       Host{}},

      // ---- fallback
      {"outbound, the SYN-ACK without MP_CAPABLE", with(outbound(), [](Connection &c) { c.fallback = c.in_handshake = true; }),
       {"fallback_no_mptcp"}, Host{}},
      {"outbound, MPTCP lost after the handshake", with(outbound(), [](Connection &c) { c.fallback = true; }),
       {"fallback_after_mptcp"}},
      {"inbound, MPTCP lost after the handshake", with(inbound(), [](Connection &c) { c.fallback = true; }),
       {"fallback_after_mptcp"}, Host{}},
      {"inbound, fell back in the handshake", with(inbound(), [](Connection &c) { c.fallback = c.in_handshake = true; }),
       {"fallback_in_handshake"}},

      // ---- inbound, one subflow: the checker's rules, this host's setup for MPTCP_INFO's
      {"this host accepts no join", inbound(), {"server_accepts_no_join"}, Host{PathManagerKind::in_kernel, 0}},
      {"userspace path manager", inbound(), {"userspace_path_manager", "no_join_attempt"},
       Host{PathManagerKind::userspace, 0}},
      {"no signal endpoint, too young for a join", with(inbound(), [](Connection &c) { c.age_ns = 300 * kMs; }),
       {"server_announces_no_address", "no_join_yet"}, Host{PathManagerKind::in_kernel, 2, 2, 1, 0}},
      {"no join SYN reached this host since it began", inbound(), {"no_join_attempt"},
       Host{PathManagerKind::in_kernel, 2, 2, 1, 1, std::vector<std::pair<std::string_view, uint64_t>>{}}},
      {"this host refused joins since it began", inbound(), {"join_rejected_likely"},
       Host{PathManagerKind::in_kernel, 2, 2, 1, 1, std::vector<std::pair<std::string_view, uint64_t>>{
                                                          {"MPJoinSynRx", 1}, {"MPJoinRejected", 1}}}},
      {"limit 0, and refusals counted", inbound(), {"server_accepts_no_join", "join_rejected_likely"},
       Host{PathManagerKind::in_kernel, 0, 2, 1, 1, std::vector<std::pair<std::string_view, uint64_t>>{
                                                          {"MPJoinSynRx", 2}, {"MPJoinRejected", 2}}}},
      {"another namespace: this host's setup does not apply",
       with(inbound(), [](Connection &c) { c.netns = kOtherNetns; }), {"no_join_attempt"},
       Host{PathManagerKind::in_kernel, 0}},
      {"first seen by a snapshot, start unknown", with(inbound(), [](Connection &c) { c.age_ns = 0; }),
       {"no_join_attempt"}},
  }));
  INFO(row.situation);
  const auto findings = diagnose(row.connection, row.host);
  CHECK(codes(findings) == row.expected);
  for (size_t i = 0; i < findings.size(); ++i) {
    const auto &f = findings[i];
    INFO(f.code);
    CHECK_FALSE(f.message.empty());
    CHECK_FALSE(f.advice.empty());
    CHECK(std::all_of(f.code.begin(), f.code.end(), [](char c) { return std::islower(c) || c == '_'; }));
    CHECK(std::count(f.advice.begin(), f.advice.end(), '`') % 2 == 0);
    CHECK(std::count(f.message.begin(), f.message.end(), '`') % 2 == 0);
    // Spoken to this host's operator, not to a checker's client.
    for (const auto &text : {f.message, f.advice}) {
      CHECK_THAT(text, !Catch::Contains("your", Catch::CaseSensitive::No) && !Catch::Contains("?wait="));
    }
    if (i > 0) CHECK(findings[i - 1].confidence <= f.confidence);
  }
}

TEST_CASE("diagnose_connection: a refused join is certain, with the count and the likely cause",
          "[connection_diagnosis]") {
  const auto findings = diagnose(failed(outbound(), {{Reason::rejected_by_peer, 2}}), std::nullopt);
  REQUIRE(findings.size() == 1);
  CHECK(findings[0].confidence == Confidence::certain);
  CHECK_THAT(findings[0].message, Catch::Contains("refused 2 join(s)") && Catch::Contains("limit"));
  CHECK_THAT(findings[0].advice, Catch::Contains("ip mptcp limits set subflows"));
}

TEST_CASE("diagnose_connection: a backup subflow is named by its client end", "[connection_diagnosis]") {
  const auto backup = [](Connection c) {
    c.join_backup = true;
    const auto findings = diagnose(c, std::nullopt);
    REQUIRE(findings.size() == 2);
    return findings[1];
  };
  // Outbound, this host is the client: its own address; inbound, the peer's.
  const auto out = backup(outbound(1));
  CHECK_THAT(out.message, Catch::Contains("198.51.100.9:40000"));
  CHECK_THAT(out.advice, Catch::Contains("on this host"));
  const auto in = backup(inbound(1));
  CHECK_THAT(in.message, Catch::Contains("198.51.100.9:40000"));
  CHECK_THAT(in.advice, Catch::Contains("on the client"));
}

TEST_CASE("diagnose_connection: counts and windows in the words", "[connection_diagnosis]") {
  SECTION("subflows ever and open") {
    const auto findings = diagnose(with(inbound(1), [](Connection &c) { c.closed = 1; }), std::nullopt);
    CHECK_THAT(findings.back().message, Catch::Contains("1 subflow of this connection closed: it has had 3, 2 open now"));
  }
  SECTION("the limit reached") {
    const auto findings = diagnose(inbound(1), Host{PathManagerKind::in_kernel, 1});
    CHECK_THAT(findings.back().message, Catch::Contains("limit of 1 additional subflow is reached") &&
                                            Catch::Contains("accepts no further join"));
  }
  SECTION("host counters since the connection began") {
    const auto findings = diagnose(inbound(), Host{PathManagerKind::in_kernel, 2, 2, 1, 1,
                                                   std::vector<std::pair<std::string_view, uint64_t>>{}});
    REQUIRE(findings.size() == 1);
    CHECK(findings[0].confidence == Confidence::likely);
    CHECK_THAT(findings[0].message, Catch::Contains("reached this host in the 60.0 s since the connection began") &&
                                        Catch::Contains("MPJoinSynRx did not move in the last 60.0 s"));
  }
  SECTION("outbound, untraced: failed joins are not known") {
    auto c = outbound();
    c.sources = kFromSockDiag;
    const auto findings = diagnose(c, Host{});
    REQUIRE(codes(findings) == std::vector<std::string>{"no_join_attempt"});
    CHECK_THAT(findings[0].message, Catch::Contains("tracing did not see it"));
  }
}

TEST_CASE("diagnose_connection asks the host counters only where they can explain something",
          "[connection_diagnosis]") {
  int asked = 0;
  LocalSetup setup = setup_of(Host{});
  setup.counters_since = [&](uint64_t since_ns) -> std::optional<checker::MibWindow> {
    ++asked;
    CHECK(since_ns == kNow - 60 * kSec);  // from when the connection began
    return std::nullopt;
  };
  diagnose_connection(record(inbound()), kNow, &setup);
  CHECK(asked == 1);
  // Joined, outbound (its joins' fates are known), in another namespace,
  // or of unknown start: no question.
  auto other = inbound();
  other.netns = kOtherNetns;
  auto unknown_start = inbound();
  unknown_start.age_ns = 0;
  for (const auto &c : {inbound(1), outbound(), other, unknown_start}) diagnose_connection(record(c), kNow, &setup);
  CHECK(asked == 1);
}
