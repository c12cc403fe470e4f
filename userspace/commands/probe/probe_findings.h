#pragma once
// What one probe connection means: from what this host asked and got (its
// own socket's MPTCP status and limits), what the server said, and how the
// kernel's MPTcpExt counters moved meanwhile, the findings a person acts
// on. Only the client knows it asked for MPTCP, so only here can "the
// server does not speak MPTCP" be told from "the path strips it". Pure.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sources/getsockopt/mptcp_status.h"

namespace observer::probe {

struct ServerView {
  bool answered = false;
  bool is_checker = false;                 // an mptcp-observer checker (its JSON verdict)
  std::optional<bool> listener_mptcp;      // from the checker's /healthz
  std::optional<std::string> verdict;      // "mptcp", "fallback" or "tcp", from a checker
  std::optional<bool> says_mptcp;          // any checker's "You are (not) using MPTCP."
  std::vector<std::string> diagnosis_codes;  // the checker's own findings, when it gives them
};

struct ProbeObservation {
  bool asked_mptcp = true;
  bool mptcp_socket_refused = false;  // socket(IPPROTO_MPTCP) failed: MPTCP is off here
  Verdict client_verdict = Verdict::plain_tcp;
  size_t subflows = 0;                // live subflows this host sees
  uint8_t subflows_max = 0;           // this host's `subflows` limit (in-kernel path manager)
  uint8_t local_addr_max = 0;         // this host's `subflow` endpoints
  uint8_t add_addr_accepted_max = 0;  // this host's `add_addr_accepted` limit
  uint8_t add_addr_accepted = 0;      // addresses this connection took from the server's ADD_ADDR
  ServerView server;
  std::map<std::string, uint64_t> mib_delta;  // MPTcpExt counters that rose during the connection
  std::vector<uint64_t> download_bytes_by_subflow;  // with --download
};

struct Finding {
  enum class Level { ok, note, problem };
  Level level = Level::note;
  std::string code;  // stable
  std::string message;
  std::string advice;
};

// Strongest first; the first problem, if any, is the conclusion.
std::vector<Finding> conclude(const ProbeObservation &o);

}  // namespace observer::probe
