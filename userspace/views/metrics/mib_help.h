#pragma once
#include <string>
#include <string_view>

namespace observer::metrics {

// The kernel's meaning of an MPTcpExt counter (net/mptcp/mib.c), or a
// generic text for counters newer than this list: they are exported anyway.
std::string mib_help(std::string_view name);

// MPCurrEstab is the one MPTcpExt value that goes down: a gauge.
inline bool mib_is_gauge(std::string_view name) { return name == "MPCurrEstab"; }

}  // namespace observer::metrics
