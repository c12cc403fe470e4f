// /proc/net/netstat text, as each /metrics scrape parses it for the MPTcpExt
// counters. What parses must come back unchanged from the two lines it
// would be written as.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "sources/procfs/netstat_mib.h"

using namespace observer::procfs;

namespace {
std::string render(const MibCounters &counters) {
  std::string names = "MPTcpExt:", values = "MPTcpExt:";
  for (const auto &[name, value] : counters) {
    names += " " + name;
    values += " " + std::to_string(value);
  }
  return "IpExt: InOctets\nIpExt: 1\n" + names + "\n" + values + "\n";
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);
  std::string error;
  const auto counters = parse_mptcp_mib(text, error);
  // A failure says why; a success says nothing.
  FUZZ_CHECK(counters.has_value() == error.empty());
  if (!counters) return 0;
  for (const auto &[name, value] : *counters) {
    // Names become metric names: never empty, never holding a separator.
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(name.find_first_of(" \n") == std::string::npos);
  }
  std::string again_error;
  const auto again = parse_mptcp_mib(render(*counters), again_error);
  FUZZ_CHECK(again.has_value() && *again == *counters);
  return 0;
}
