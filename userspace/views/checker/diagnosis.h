#pragma once
// Why a checker answer is what it is. Plain data about one connection and
// about the server's host go in; a short list of findings comes out,
// strongest first, each with a stable code, one sentence and the advice.
// Pure, so that every rule is a row of a table-driven test, and the three
// renderers print one list.
//
// What the server can know (docs: /work/shared/DIAGNOSIS.md): its own
// socket's MPTCP_INFO is about this very connection (certain); the MPTcpExt
// counters are host-wide, so a rejected join there was likely, not
// certainly, this client's; and a plain TCP client looks the same whether
// it never asked for MPTCP or a middlebox stripped the option.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sources/getsockopt/mptcp_status.h"

namespace observer::checker {

// How sure a finding is; the list is sorted by it, strongest first.
enum class Confidence {
  certain,   // this connection's own MPTCP_INFO, or the server's own setup
  likely,    // host-wide kernel counters that moved while the connection was open
  possible,  // a usual explanation that nothing measured confirms or rules out
};
const char *confidence_name(Confidence c);

struct Finding {
  std::string code;  // stable, snake_case: what scripts and tests match on
  Confidence confidence = Confidence::possible;
  std::string message;  // one sentence: what the server sees
  std::string advice;   // what to do; commands to copy are in `backticks`
};

enum class PathManagerKind { unknown, in_kernel, userspace };

// How much the MPTcpExt counters the diagnosis reads rose over a recent
// window that starts at or before the connection did. Host-wide: every
// connection of the server's network namespace moves them.
struct MibWindow {
  std::chrono::milliseconds span{0};
  // Only the counters this kernel has. The names are views: of
  // diagnosis_counters() or of a sampler's copies, which outlive the answer.
  std::vector<std::pair<std::string_view, uint64_t>> rises;
  // The rise of one counter; nullopt when this kernel does not count it.
  std::optional<uint64_t> rise(std::string_view name) const;
};

// The MPTcpExt counters diagnose() reads (a sampler keeps only these).
std::span<const std::string_view> diagnosis_counters();

// What the server's host adds to a connection's own status.
struct HostView {
  PathManagerKind path_manager = PathManagerKind::unknown;  // net.mptcp.path_manager / pm_type
  std::optional<MibWindow> mib;  // nullopt when the counters could not be read
};

struct DiagnosisInput {
  const MptcpStatus &status;
  // false when the checker's listener itself is plain TCP (MPTCP off on the
  // server): then no client can use MPTCP, whatever it does.
  bool listener_mptcp = true;
  std::chrono::milliseconds waited{0};  // how long this answer waited for a join (?wait)
  HostView host;
};

// Whether diagnose() would read the host view for this status: callers
// skip the work (the counters, the sysctl) when it would not.
bool needs_host_view(const MptcpStatus &status);

std::vector<Finding> diagnose(const DiagnosisInput &in);

}  // namespace observer::checker
