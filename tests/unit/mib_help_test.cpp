// The HELP text and type of the mptcp_mib_* families: every MPTcpExt
// counter is exported, named in its help, and only MPCurrEstab is a gauge.
#include "views/metrics/mib_help.h"

#include <catch2/catch.hpp>

#include <string>

using observer::metrics::mib_help;
using observer::metrics::mib_is_gauge;

TEST_CASE("mib_help names a known counter and says what it counts", "[mib_help]") {
  struct Case {
    const char *name;
    const char *meaning;
  };
  const auto c = GENERATE(values<Case>({
      {"MPJoinAckRx", "third ACKs received with MP_JOIN"},
      {"MPJoinSynTx", "SYNs sent with MP_JOIN"},
      {"MPCapableFallbackACK", "server-side fallbacks"},
      {"MPCapableFallbackSYNACK", "client-side fallbacks"},
      {"MPJoinRejected", "rejected by the path manager"},
      {"MPCurrEstab", "currently established"},
      {"AddAddr", "ADD_ADDR options received"},
  }));
  INFO("name: " << c.name);
  const std::string help = mib_help(c.name);
  CHECK_THAT(help, Catch::Contains(std::string("MPTcpExt ") + c.name + ":"));
  CHECK_THAT(help, Catch::Contains(c.meaning));
  CHECK_THAT(help, !Catch::Contains(": MPTCP counter"));  // not the text for unknown names
}

TEST_CASE("mib_help gives a counter unknown to us a help that names it", "[mib_help]") {
  // Newer kernels add counters; they are exported with a generic help.
  const std::string name = GENERATE(as<std::string>{}, "MPFutureThing", "X", "mpjoinackrx");
  INFO("name: " << name);
  const std::string help = mib_help(name);
  CHECK_FALSE(help.empty());
  CHECK_THAT(help, Catch::Contains(name));
  CHECK_THAT(help, Catch::Contains("/proc/net/netstat"));
  // One line: a newline would break the exposition's # HELP line.
  CHECK(help.find('\n') == std::string::npos);
}

TEST_CASE("mib_is_gauge holds for MPCurrEstab only", "[mib_help]") {
  CHECK(mib_is_gauge("MPCurrEstab"));
  const std::string name = GENERATE(as<std::string>{}, "MPJoinAckRx", "MPCapableSYNRX", "MPTCPRetrans", "RmSubflow",
                                    "MPFutureThing", "mpcurrestab", "MPCurrEstab2", "MPCurr", "");
  INFO("name: '" << name << "'");
  CHECK_FALSE(mib_is_gauge(name));
}
