#include "sources/procfs/netstat_mib.h"

#include "common/read_file.h"

#include <charconv>

namespace observer::procfs {
namespace {
std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}
}  // namespace

std::optional<MibCounters> parse_mptcp_mib(std::string_view netstat, std::string &error) {
  std::vector<std::string_view> lines;
  while (!netstat.empty()) {
    const auto nl = netstat.find('\n');
    const auto line = netstat.substr(0, nl);
    if (line.rfind("MPTcpExt:", 0) == 0) lines.push_back(line);
    netstat = nl == std::string_view::npos ? std::string_view{} : netstat.substr(nl + 1);
  }
  if (lines.size() != 2) {
    error = lines.empty() ? "no MPTcpExt lines in /proc/net/netstat (kernel without MPTCP?)"
                          : "expected two MPTcpExt lines, found " + std::to_string(lines.size());
    return std::nullopt;
  }
  const auto names = fields(lines[0]);
  const auto values = fields(lines[1]);
  if (names.size() != values.size()) {
    error = "MPTcpExt names and values differ in number";
    return std::nullopt;
  }
  MibCounters out;
  for (size_t i = 1; i < names.size(); ++i) {
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(values[i].data(), values[i].data() + values[i].size(), v);
    if (ec != std::errc() || end != values[i].data() + values[i].size()) {
      error = "MPTcpExt value for " + std::string(names[i]) + " is not a number";
      return std::nullopt;
    }
    out.emplace_back(std::string(names[i]), v);
  }
  return out;
}

std::optional<MibCounters> read_mptcp_mib(std::string &error) {
  const std::string text = read_small_file("/proc/net/netstat");
  if (text.empty()) {
    error = "cannot read /proc/net/netstat";
    return std::nullopt;
  }
  return parse_mptcp_mib(text, error);
}

std::map<std::string, uint64_t> read_mptcp_mib_by_name() {
  std::string error;
  std::map<std::string, uint64_t> out;
  if (const auto mib = read_mptcp_mib(error)) out.insert(mib->begin(), mib->end());
  return out;
}

std::map<std::string, uint64_t> mib_rises(const std::map<std::string, uint64_t> &before,
                                          const std::map<std::string, uint64_t> &after) {
  std::map<std::string, uint64_t> out;
  for (const auto &[name, value] : after) {
    const auto it = before.find(name);
    const uint64_t was = it == before.end() ? 0 : it->second;
    if (value > was && name != "MPCurrEstab") out[name] = value - was;
  }
  return out;
}

}  // namespace observer::procfs
