#pragma once
// Everything one checker answer says, gathered before any rendering, so the
// three formats cannot disagree.
#include <nlohmann/json_fwd.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "sources/getsockopt/mptcp_status.h"
#include "views/checker/diagnosis.h"

namespace observer::checker {

struct CheckerReport {
  MptcpStatus status;
  std::string client;     // "ip:port" of the connection the request came on
  std::string server;     // "ip:port" the client reached
  std::string timestamp;  // RFC 3339
  std::chrono::milliseconds waited{0};
  std::vector<Finding> diagnosis;  // diagnose(), strongest first: every format prints all of it
};

// The first line of every text answer, exactly.
inline const char *verdict_line(const CheckerReport &r) {
  return r.status.uses_mptcp() ? "You are using MPTCP." : "You are not using MPTCP.";
}

// Why a connection is not MPTCP, in a user's words; empty for MPTCP.
std::string verdict_explanation(const CheckerReport &r);

// Appends to `out`: the checker renders into a buffer each thread reuses.
void render_text(const CheckerReport &r, std::string &out);
inline std::string render_text(const CheckerReport &r) {
  std::string out;
  render_text(r, out);
  return out;
}
std::string render_json(const CheckerReport &r);
// The diagnosis as JSON answers show it, and the admin API for every
// connection: [{"code", "confidence", "message", "advice"}, ...].
nlohmann::ordered_json findings_json(std::vector<Finding> findings);
std::string render_html(const CheckerReport &r);

}  // namespace observer::checker
