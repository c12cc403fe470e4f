#include <cstdio>

#include "views/checker/report.h"

namespace observer::checker {

std::string verdict_explanation(const CheckerReport &r) {
  switch (r.status.verdict) {
    case Verdict::mptcp: return "";
    case Verdict::fallback:
      return "MPTCP was attempted, but the connection fell back to plain TCP.";
    case Verdict::plain_tcp:
      return "The connection is plain TCP: the client did not ask for MPTCP, or a middlebox removed the option.";
    case Verdict::error: return "The kernel did not report this connection's MPTCP status.";
  }
  return "";
}

namespace {
std::string subflow_line(const SubflowStatus &s) {
  std::string line = "  ";
  line += subflow_kind_name(s.kind);
  if (s.kind == SubflowKind::join) line += "   ";
  line += " client " + format_endpoint(s.remote) + " <-> server " + format_endpoint(s.local);
  if (s.handshake_us) {
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.3f", *s.handshake_us / 1000.0);
    line += std::string(", handshake ") + ms + " ms";
  }
  if (s.tcp) {
    char rtt[32];
    std::snprintf(rtt, sizeof rtt, "%.3f", s.tcp->rtt_us / 1000.0);
    line += std::string(", rtt ") + rtt + " ms";
    if (s.tcp->bytes_sent) line += ", sent " + std::to_string(*s.tcp->bytes_sent) + " B";
    if (s.tcp->bytes_received) line += ", received " + std::to_string(*s.tcp->bytes_received) + " B";
    line += ", retransmits " + std::to_string(s.tcp->total_retrans);
  }
  return line + "\n";
}
}  // namespace

std::string render_text(const CheckerReport &r) {
  std::string out = verdict_line(r);
  out += "\n";
  if (const auto why = verdict_explanation(r); !why.empty()) out += why + "\n";
  out += "Client: " + r.client + "\n";
  out += "Subflows: " + std::to_string(r.status.subflows.size()) + "\n";
  for (const auto &s : r.status.subflows) out += subflow_line(s);
  return out;
}

}  // namespace observer::checker
