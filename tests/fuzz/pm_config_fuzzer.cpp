// The path manager's configuration replies (ip mptcp limits / endpoint) and
// rtnetlink's route reply, as diagnose and the metrics read them. The input
// is one datagram; every decoder must stay within it.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "commands/diagnose/route_lookup.h"
#include "fuzz_input.h"
#include "sources/pm_netlink/pm_config_messages.h"

using namespace observer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::span<const uint8_t> datagram(data, size);
  constexpr uint16_t kFamily = 0x1d;  // what the seeds were recorded with
  const auto limits = pm::parse_limits_reply(datagram, kFamily);
  // Exactly one of: limits, the kernel's errno, or why not.
  FUZZ_CHECK(limits.limits.has_value() + (limits.kernel_errno != 0) + !limits.error.empty() == 1);
  std::vector<pm::Endpoint> endpoints;
  const auto step = pm::add_endpoints(datagram, kFamily, endpoints);
  // An endpoint takes at least a netlink and a genl header.
  FUZZ_CHECK(endpoints.size() <= size / 20);
  FUZZ_CHECK(step.kernel_errno >= 0 && step.kernel_errno <= 4095);
  const auto counts = pm::count_by_flag(endpoints);
  FUZZ_CHECK(counts.all == endpoints.size() && counts.signal <= counts.all && counts.subflow <= counts.all);
  const auto route = diagnose::parse_route_reply(datagram);
  FUZZ_CHECK(route.kernel_errno >= 0 && route.kernel_errno <= 4095);
  return 0;
}
