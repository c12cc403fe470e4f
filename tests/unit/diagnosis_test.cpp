// diagnose(): one row per situation a checker client can be in, with the
// findings it must get, in order (strongest first). The inputs are what the
// kernel would report: MPTCP_INFO of the connection, the path manager in
// use, and how much host-wide MIB counters rose over a window.
#include "views/checker/diagnosis.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "test_addresses.h"

using namespace observer;
using namespace observer::checker;
using namespace std::chrono_literals;
using observer::test::address;

namespace {
SubflowStatus subflow(SubflowKind kind, const char *client_end, std::optional<bool> backup = std::nullopt) {
  SubflowStatus s;
  s.kind = kind;
  s.local = address("192.0.2.1:8684");
  s.remote = address(client_end);
  s.backup = backup;
  return s;
}

// An MPTCP connection with only its initial subflow, on a server with the
// in-kernel path manager, a subflow limit of 2 and no `signal` endpoint.
MptcpStatus one_subflow() {
  MptcpStatus s;
  s.verdict = Verdict::mptcp;
  s.flags = 2;  // remote key received
  s.subflows_max = 2;
  s.subflows.push_back(subflow(SubflowKind::initial, "198.51.100.4:51000"));
  return s;
}

MptcpStatus two_subflows(std::optional<bool> join_backup) {
  MptcpStatus s = one_subflow();
  s.extra_subflows = 1;
  s.subflows[0].backup = join_backup ? std::optional<bool>(false) : std::nullopt;
  s.subflows.push_back(subflow(SubflowKind::join, "198.51.100.9:40000", join_backup));
  return s;
}

MibWindow window(std::chrono::milliseconds span, std::vector<std::pair<std::string_view, uint64_t>> rises) {
  MibWindow w;
  w.span = span;
  // Every counter the diagnosis reads exists, at 0 unless given.
  for (const auto name : diagnosis_counters()) {
    uint64_t v = 0;
    for (const auto &[n, rise] : rises) {
      if (n == name) v = rise;
    }
    w.rises.emplace_back(name, v);
  }
  return w;
}

std::vector<std::string> codes(const std::vector<Finding> &findings) {
  std::vector<std::string> out;
  for (const auto &f : findings) out.emplace_back(f.code);
  return out;
}

struct Row {
  const char *situation;
  MptcpStatus status;
  std::vector<std::string> expected;  // codes, in order
  std::optional<MibWindow> mib = std::nullopt;
  std::chrono::milliseconds waited = 0ms;
  PathManagerKind path_manager = PathManagerKind::in_kernel;
  bool listener_mptcp = true;
};

MptcpStatus with(MptcpStatus s, void (*change)(MptcpStatus &)) {
  change(s);
  return s;
}

MptcpStatus verdict(Verdict v, uint32_t flags = 0) {
  MptcpStatus s;
  s.verdict = v;
  s.flags = flags;
  return s;
}
}  // namespace

TEST_CASE("diagnose: every situation gets its findings, strongest first", "[diagnosis]") {
  const auto row = GENERATE(values<Row>({
      // ---- not MPTCP
      {"plain TCP: did not ask, or the option was removed; the server cannot tell",
       verdict(Verdict::plain_tcp), {"mptcp_not_requested", "mptcp_option_removed"}},
      {"plain TCP while the host saw an MP_CAPABLE SYN lose its option at the ACK",
       verdict(Verdict::plain_tcp),
       {"option_removed_after_syn_likely", "mptcp_not_requested", "mptcp_option_removed"},
       window(3s, {{"MPCapableFallbackACK", 1}})},
      {"plain TCP on a plain TCP listener: the server is the cause",
       verdict(Verdict::plain_tcp), {"server_without_mptcp"}, window(3s, {{"MPCapableFallbackACK", 1}}), 0ms,
       PathManagerKind::in_kernel, false},
      {"fallback after the handshake", verdict(Verdict::fallback, 3), {"fallback_after_mptcp"}},
      {"fallback known from SO_PROTOCOL alone (no MPTCP_INFO after a fallback)", verdict(Verdict::fallback, 0),
       {"fallback_after_mptcp"}},
      {"fallback in the handshake", verdict(Verdict::fallback, 1), {"fallback_in_handshake"}},
      {"fallback with broken data-sequence mappings on the host",
       verdict(Verdict::fallback, 3), {"fallback_after_mptcp", "fallback_mapping_broken_likely"},
       window(2s, {{"DssFallback", 1}, {"InfiniteMapRx", 1}})},
      {"fallback with data stripped of options on the host",
       verdict(Verdict::fallback, 3), {"fallback_after_mptcp", "fallback_options_stripped_likely"},
       window(2s, {{"MPCapableDataFallback", 1}})},
      {"the kernel would not say", verdict(Verdict::error), {"status_unknown"}},

      // ---- MPTCP, one subflow
      {"first answer, no join yet", one_subflow(), {"server_announces_no_address", "no_join_yet"},
       window(1s, {})},
      {"first answer, counters unreadable", one_subflow(), {"server_announces_no_address", "no_join_yet"}},
      {"waited, and no join SYN reached the host", one_subflow(),
       {"server_announces_no_address", "no_join_attempt"}, window(3s, {}), 2000ms},
      {"waited, counters unreadable", one_subflow(), {"server_announces_no_address", "no_join_attempt"},
       std::nullopt, 2000ms},
      {"server limit 0", with(one_subflow(), [](MptcpStatus &s) { s.subflows_max = 0; }),
       {"server_accepts_no_join"}, window(1s, {})},
      {"server limit 0, and the host refused a join",
       with(one_subflow(), [](MptcpStatus &s) { s.subflows_max = 0; }),
       {"server_accepts_no_join", "join_rejected_likely"}, window(2s, {{"MPJoinSynRx", 1}, {"MPJoinRejected", 1}}),
       2000ms},
      {"limit used up by joins that never completed",
       with(one_subflow(), [](MptcpStatus &s) { s.extra_subflows = 2; }),
       {"server_join_limit_reached", "join_incomplete_likely"}, window(2s, {{"MPJoinSynRx", 2}})},
      {"joins that failed authentication, and joins for an unknown connection", one_subflow(),
       {"server_announces_no_address", "join_hmac_failed_likely", "join_unknown_token_likely"},
       window(2s, {{"MPJoinSynRx", 3}, {"MPJoinAckHMacFailure", 1}, {"MPJoinNoTokenFound", 2}})},
      {"other clients joined fine: no failure, no claim that no SYN came", one_subflow(),
       {"server_announces_no_address", "no_join_attempt"}, window(3s, {{"MPJoinSynRx", 2}, {"MPJoinAckRx", 2}}),
       2000ms},
      {"the server announced an address the client did not use",
       with(one_subflow(),
            [](MptcpStatus &s) {
              s.add_addr_signal_max = 1;
              s.add_addr_signal = 1;
            }),
       {"announced_address_unused", "no_join_yet"}},
      {"userspace path manager: its limits read 0 and mean nothing",
       with(one_subflow(), [](MptcpStatus &s) { s.subflows_max = 0; }), {"userspace_path_manager", "no_join_yet"},
       std::nullopt, 0ms, PathManagerKind::userspace},

      // ---- MPTCP with joins: no false alarm, whatever the host counters say
      {"two subflows, neither a backup", two_subflows(false), {"mptcp_ok", "no_backup_subflow"},
       window(2s, {{"MPJoinRejected", 5}, {"MPJoinSynRx", 9}})},
      {"two subflows, the join a backup", two_subflows(true), {"mptcp_ok", "backup_subflow"}},
      {"two subflows, backup flags unknown", two_subflows(std::nullopt), {"mptcp_ok", "backup_unknown"}},
  }));
  INFO(row.situation);
  DiagnosisInput in{row.status, row.listener_mptcp, row.waited, {row.path_manager, row.mib}};
  const auto findings = diagnose(in);
  CHECK(codes(findings) == row.expected);
  for (size_t i = 0; i < findings.size(); ++i) {
    const auto &f = findings[i];
    INFO(f.code);
    CHECK_FALSE(f.message.empty());
    CHECK_FALSE(f.advice.empty());
    CHECK(std::all_of(f.code.begin(), f.code.end(), [](char c) { return std::islower(c) || c == '_'; }));
    // Commands are in backticks, which the HTML turns into <code>: balanced.
    CHECK(std::count(f.advice.begin(), f.advice.end(), '`') % 2 == 0);
    CHECK(std::count(f.message.begin(), f.message.end(), '`') % 2 == 0);
    if (i > 0) CHECK(findings[i - 1].confidence <= f.confidence);
  }
}

TEST_CASE("diagnose: host-wide counters are worded as a likelihood, with their window", "[diagnosis]") {
  MptcpStatus st = one_subflow();
  st.subflows_max = 0;
  const auto findings = diagnose({st, true, 2000ms, {PathManagerKind::in_kernel, window(2500ms, {{"MPJoinRejected", 3}})}});
  REQUIRE(findings.size() == 2);
  CHECK(findings[0].confidence == Confidence::certain);
  CHECK_THAT(findings[0].message, Catch::Contains("limit is 0"));
  CHECK(findings[1].confidence == Confidence::likely);
  CHECK_THAT(findings[1].message, Catch::Contains("In the last 2.5 s") && Catch::Contains("refused 3 join(s)") &&
                                      Catch::Contains("likely, not certainly"));
}

TEST_CASE("diagnose: a wait the counters do not cover proves nothing", "[diagnosis]") {
  // The counters span 0.5 s, the answer waited 2 s: a flat MPJoinSynRx
  // over the shorter window cannot say that no join came.
  const auto findings = diagnose({one_subflow(), true, 2000ms, {PathManagerKind::in_kernel, window(500ms, {})}});
  REQUIRE(codes(findings) == std::vector<std::string>{"server_announces_no_address", "no_join_attempt"});
  CHECK(findings[1].confidence == Confidence::possible);
  const auto covered = diagnose({one_subflow(), true, 2000ms, {PathManagerKind::in_kernel, window(2500ms, {})}});
  CHECK(covered[1].confidence == Confidence::likely);
  CHECK_THAT(covered[1].message, Catch::Contains("MPJoinSynRx did not move in the last 2.5 s"));
}

TEST_CASE("diagnose: the healthy answer counts the subflows and names a backup's address", "[diagnosis]") {
  const auto findings = diagnose({two_subflows(true), true, 0ms, {}});
  REQUIRE(findings.size() == 2);
  CHECK_THAT(findings[0].message, Catch::Contains("2 subflows (the initial one and 1 join)"));
  CHECK_THAT(findings[1].message, Catch::Contains("198.51.100.9:40000"));
}

TEST_CASE("needs_host_view: only the answers whose findings read the host", "[diagnosis]") {
  CHECK(needs_host_view(one_subflow()));
  CHECK(needs_host_view(verdict(Verdict::plain_tcp)));
  CHECK(needs_host_view(verdict(Verdict::fallback, 3)));
  CHECK_FALSE(needs_host_view(two_subflows(false)));
  CHECK_FALSE(needs_host_view(verdict(Verdict::error)));
}

TEST_CASE("MibWindow::rise tells a counter at 0 from one this kernel lacks", "[diagnosis]") {
  MibWindow w;
  w.rises = {{"MPJoinRejected", 0}, {"MPJoinSynRx", 4}};
  CHECK(w.rise("MPJoinRejected") == 0u);
  CHECK(w.rise("MPJoinSynRx") == 4u);
  CHECK_FALSE(w.rise("MPJoinNotEstablished").has_value());
}
