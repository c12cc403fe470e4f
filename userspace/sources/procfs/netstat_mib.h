#pragma once
// The MPTcpExt counters of /proc/net/netstat: two lines, names then values.
// Names come from the header line, never from a list of ours: newer kernels
// add counters, and each one shows up without a change here.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace observer::procfs {

using MibCounters = std::vector<std::pair<std::string, uint64_t>>;

// nullopt when the text has no well-formed MPTcpExt pair (an error says why);
// a kernel without MPTCP has no MPTcpExt lines at all.
std::optional<MibCounters> parse_mptcp_mib(std::string_view netstat, std::string &error);

std::optional<MibCounters> read_mptcp_mib(std::string &error);

// The same, by name; empty when the file cannot be read or has no MPTcpExt.
std::map<std::string, uint64_t> read_mptcp_mib_by_name();
// The counters that rose from `before` to `after`, and by how much.
// MPCurrEstab is a gauge, not a counter, and is left out.
std::map<std::string, uint64_t> mib_rises(const std::map<std::string, uint64_t> &before,
                                          const std::map<std::string, uint64_t> &after);

}  // namespace observer::procfs
