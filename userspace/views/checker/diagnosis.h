#pragma once
// Why a checker answer is what it is. Plain data about one connection and
// about the server's host go in; a short list of findings comes out,
// strongest first, each with a stable code, one sentence and the advice.
// Pure, so that every rule is a row of a table-driven test, and the three
// renderers print one list. The rules that do not depend on the checker's
// own socket are shared with the admin API's diagnosis of every tracked
// connection (views/admin/connection_diagnosis.h), which speaks in another
// voice (Voice, below).
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
  std::string_view code;  // stable, snake_case: what scripts and tests match on; a literal
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

// Whom findings address. The checker answers the client at the other end
// of its own connection ("your client"); the admin API speaks to this
// host's operator about any connection it tracks, in either direction.
// Each phrase is lower case; a sentence that starts with one capitalises it.
// Voices are constants (kToClient, the admin API's two): the sentences that
// depend on nothing but the voice are built once per voice object.
struct Voice {
  std::string_view connection;   // "your connection" | "this connection"
  std::string_view observer;     // who reads the kernel: "this server" | "this host"
  std::string_view server;       // the end that accepted it: "this server" | "this host" | "the server"
  std::string_view client;       // the end that opened it: "your client" | "the client" | "this host"
  std::string_view client_side;  // where the client's endpoints are set up: "the client" | "this host"
  std::string_view clients;      // whose path it is: "your" | "the client's"
  bool to_client = true;         // advice only a checker client can follow (?wait=, asking again)
};
inline constexpr Voice kToClient{"your connection", "this server", "this server", "your client", "the client", "your",
                                 true};

// ---- rules shared by the checker and the admin API's per-connection diagnosis

// The subflows of an MPTCP connection that has two or more: all is well,
// and which of them are backups.
struct SubflowTally {
  size_t subflows = 0, joins = 0;
  std::vector<std::string> backups;  // the client's end of each backup subflow
  bool backup_unknown = false;       // no source told some subflow's backup flag
};
void healthy_findings(const SubflowTally &tally, const Voice &voice, std::vector<Finding> &out);

// A connection that fell back to TCP: during the MPTCP handshake (no remote
// key) or after it; host counters, when given, say of which kind.
void fallback_findings(bool in_handshake, const MibWindow *mib, const Voice &voice, std::vector<Finding> &out);

// What the end that accepted an MPTCP connection with a single subflow
// knows of why no join came: its path manager and limits, its counters
// since the connection began, and how long it has waited.
struct AcceptingSide {
  PathManagerKind path_manager = PathManagerKind::unknown;
  // The in-kernel path manager's figures (MPTCP_INFO, or `ip mptcp limits`
  // and `ip mptcp endpoint`); nullopt where unknown.
  std::optional<uint32_t> subflows_max;
  uint32_t extra_subflows = 0;  // joins counted against the limit
  std::optional<uint32_t> add_addr_signal_max;
  uint32_t add_addr_signal = 0;  // addresses announced to the client
  const MibWindow *mib = nullptr;  // host counters from before the connection began; null when unknown
  // How long joins had to come (nullopt: long enough, by how long is unknown).
  std::optional<std::chrono::milliseconds> waited;
};
void single_subflow_findings(const AcceptingSide &side, const Voice &voice, std::vector<Finding> &out);

// Strongest first; findings of one confidence keep the order the rules gave.
void sort_strongest_first(std::vector<Finding> &findings);

// How findings write numbers: "3", "2 joins", "1.2 s".
std::string number_text(uint64_t n);
std::string count_text(uint64_t n, std::string_view one, std::string_view many);
std::string seconds_text(std::chrono::milliseconds ms);

// ---- the checker's diagnosis of its own connection

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
