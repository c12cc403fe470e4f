#include <charconv>
#include <cstdint>
#include <string>

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
void append_number(std::string &out, uint64_t n) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  out.append(buf, end);
}

// Microseconds as milliseconds with three decimals: what printf's "%.3f"
// writes for us / 1000.0, in integers.
void append_ms(std::string &out, uint64_t us) {
  append_number(out, us / 1000);
  const auto frac = static_cast<unsigned>(us % 1000);
  const char digits[4] = {'.', static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10),
                          static_cast<char>('0' + frac % 10)};
  out.append(digits, sizeof digits);
}

void append_subflow_line(std::string &out, const SubflowStatus &s) {
  out += "  ";
  out += subflow_kind_name(s.kind);
  if (s.kind == SubflowKind::join) out += "   ";
  out += " client ";
  append_endpoint(out, s.remote);
  out += " <-> server ";
  append_endpoint(out, s.local);
  if (s.handshake_us) {
    out += ", handshake ";
    append_ms(out, *s.handshake_us);
    out += " ms";
  }
  if (s.tcp) {
    out += ", rtt ";
    append_ms(out, s.tcp->rtt_us);
    out += " ms";
    if (s.tcp->bytes_sent) {
      out += ", sent ";
      append_number(out, *s.tcp->bytes_sent);
      out += " B";
    }
    if (s.tcp->bytes_received) {
      out += ", received ";
      append_number(out, *s.tcp->bytes_received);
      out += " B";
    }
    out += ", retransmits ";
    append_number(out, s.tcp->total_retrans);
  }
  out += '\n';
}
}  // namespace

void render_text(const CheckerReport &r, std::string &out) {
  out.reserve(out.size() + 256 + 160 * r.status.subflows.size() + 400 * r.diagnosis.size());
  out += verdict_line(r);
  out += '\n';
  if (const auto why = verdict_explanation(r); !why.empty()) {
    out += why;
    out += '\n';
  }
  out += "Client: ";
  out += r.client;
  out += "\nSubflows: ";
  append_number(out, r.status.subflows.size());
  out += '\n';
  for (const auto &s : r.status.subflows) append_subflow_line(out, s);
  // One line per finding, strongest first, so that `grep '^  \['` or a
  // person reading from the top gets the main cause first.
  if (!r.diagnosis.empty()) out += "Diagnosis:\n";
  for (const auto &f : r.diagnosis) {
    out += "  [";
    out += f.code;
    out += "] ";
    out += f.message;
    out += " Advice: ";
    out += f.advice;
    out += '\n';
  }
}

}  // namespace observer::checker
