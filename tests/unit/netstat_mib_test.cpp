// parse_mptcp_mib: the MPTcpExt pair of /proc/net/netstat, on fixture text.
// The names come from the kernel's header line, so a counter we have never
// heard of is kept, and the other protocol lines are ignored.
#include "sources/procfs/netstat_mib.h"

#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <utility>

using observer::procfs::MibCounters;
using observer::procfs::parse_mptcp_mib;

namespace {
// Shaped like a real /proc/net/netstat (Linux 6.x): TcpExt and IpExt pairs
// first, then MPTcpExt, each a names line and a values line. Shortened, and
// with one counter (MPFutureThing) that no kernel has yet.
constexpr const char *kNetstat =
    "TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed EmbryonicRsts PruneCalled\n"
    "TcpExt: 0 0 0 4 0\n"
    "IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts\n"
    "IpExt: 0 0 12 0 3\n"
    "MPTcpExt: MPCapableSYNRX MPCapableSYNTX MPJoinSynRx MPJoinAckRx MPCurrEstab MPFutureThing\n"
    "MPTcpExt: 17 23 5 4 2 99\n";

std::string mptcp_pair(const std::string &names, const std::string &values) {
  return "TcpExt: SyncookiesSent\nTcpExt: 0\nMPTcpExt: " + names + "\nMPTcpExt: " + values + "\n";
}
}  // namespace

TEST_CASE("parse_mptcp_mib returns the MPTcpExt counters in kernel order", "[netstat_mib]") {
  std::string error;
  const auto mib = parse_mptcp_mib(kNetstat, error);
  INFO("error: " << error);
  REQUIRE(mib.has_value());
  const MibCounters expected = {
      {"MPCapableSYNRX", 17}, {"MPCapableSYNTX", 23}, {"MPJoinSynRx", 5},
      {"MPJoinAckRx", 4},     {"MPCurrEstab", 2},     {"MPFutureThing", 99},
  };
  CHECK(*mib == expected);
}

TEST_CASE("parse_mptcp_mib ignores TcpExt and IpExt even when they come after", "[netstat_mib]") {
  const std::string text =
      "MPTcpExt: MPJoinAckRx MPJoinRejected\n"
      "MPTcpExt: 8 1\n"
      "TcpExt: SyncookiesSent EmbryonicRsts\n"
      "TcpExt: 100 200\n"
      "IpExt: InNoRoutes\n"
      "IpExt: 300";  // the last line without its newline
  std::string error;
  const auto mib = parse_mptcp_mib(text, error);
  INFO("error: " << error);
  REQUIRE(mib.has_value());
  CHECK(*mib == MibCounters{{"MPJoinAckRx", 8}, {"MPJoinRejected", 1}});
}

TEST_CASE("parse_mptcp_mib accepts runs of spaces between fields", "[netstat_mib]") {
  std::string error;
  const auto mib = parse_mptcp_mib(mptcp_pair("MPJoinSynTx  MPJoinAckRx ", " 3   4"), error);
  INFO("error: " << error);
  REQUIRE(mib.has_value());
  CHECK(*mib == MibCounters{{"MPJoinSynTx", 3}, {"MPJoinAckRx", 4}});
}

TEST_CASE("parse_mptcp_mib reads values up to the largest u64", "[netstat_mib]") {
  std::string error;
  const auto mib =
      parse_mptcp_mib(mptcp_pair("MPTCPRetrans OFOQueue", "18446744073709551615 9223372036854775808"), error);
  INFO("error: " << error);
  REQUIRE(mib.has_value());
  REQUIRE(mib->size() == 2);
  CHECK((*mib)[0] == std::pair<std::string, uint64_t>{"MPTCPRetrans", UINT64_MAX});
  CHECK((*mib)[1] == std::pair<std::string, uint64_t>{"OFOQueue", uint64_t{1} << 63});
}

TEST_CASE("parse_mptcp_mib without MPTcpExt lines says MPTCP is missing", "[netstat_mib]") {
  // A kernel built without CONFIG_MPTCP has TcpExt and IpExt only.
  const std::string text = GENERATE(as<std::string>{},
                                    "TcpExt: SyncookiesSent\nTcpExt: 0\nIpExt: InNoRoutes\nIpExt: 0\n",
                                    "",
                                    // "MPTcpExt" must start the line.
                                    "TcpExt: MPTcpExt:\nTcpExt: 0\n");
  INFO("text: '" << text << "'");
  std::string error;
  CHECK_FALSE(parse_mptcp_mib(text, error).has_value());
  CHECK_THAT(error, Catch::Contains("MPTCP"));
}

TEST_CASE("parse_mptcp_mib rejects a malformed MPTcpExt pair", "[netstat_mib]") {
  struct Case {
    const char *what;
    std::string text;
    const char *error_mentions;
  };
  const auto c = GENERATE(values<Case>({
      {"names line only", "TcpExt: A\nTcpExt: 1\nMPTcpExt: MPJoinAckRx MPJoinSynRx\n", "MPTcpExt"},
      {"three lines", "MPTcpExt: MPJoinAckRx\nMPTcpExt: 1\nMPTcpExt: 2\n", "MPTcpExt"},
      {"fewer values than names", "MPTcpExt: MPJoinAckRx MPJoinSynRx MPJoinSynTx\nMPTcpExt: 1 2\n", "MPTcpExt"},
      {"more values than names", "MPTcpExt: MPJoinAckRx\nMPTcpExt: 1 2\n", "MPTcpExt"},
      {"a word for a value", "MPTcpExt: MPJoinAckRx MPJoinSynRx\nMPTcpExt: 1 many\n", "MPJoinSynRx"},
      {"a negative value", "MPTcpExt: MPJoinAckRx\nMPTcpExt: -1\n", "MPJoinAckRx"},
      {"a fraction", "MPTcpExt: MPJoinAckRx\nMPTcpExt: 1.5\n", "MPJoinAckRx"},
      {"digits then letters", "MPTcpExt: MPJoinAckRx\nMPTcpExt: 12abc\n", "MPJoinAckRx"},
      {"one past the largest u64", "MPTcpExt: MPJoinAckRx\nMPTcpExt: 18446744073709551616\n", "MPJoinAckRx"},
  }));
  INFO(c.what << ": '" << c.text << "'");
  std::string error;
  CHECK_FALSE(parse_mptcp_mib(c.text, error).has_value());
  CHECK_THAT(error, Catch::Contains(c.error_mentions));
}

TEST_CASE("mib_rises keeps the counters that rose, and leaves the MPCurrEstab gauge out", "[netstat_mib]") {
  const std::map<std::string, uint64_t> before{{"MPJoinSynTx", 3}, {"MPCurrEstab", 5}, {"MPRstTx", 1}};
  const std::map<std::string, uint64_t> after{{"MPJoinSynTx", 5}, {"MPCurrEstab", 9}, {"MPRstTx", 1}, {"AddAddr", 2}};
  const std::map<std::string, uint64_t> rose{{"AddAddr", 2}, {"MPJoinSynTx", 2}};
  CHECK(observer::procfs::mib_rises(before, after) == rose);
}
