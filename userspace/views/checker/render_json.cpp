#include <nlohmann/json.hpp>

#include "common/mptcp_terms.h"
#include "views/checker/report.h"

namespace observer::checker {

std::string render_json(const CheckerReport &r) {
  nlohmann::ordered_json subflows = nlohmann::ordered_json::array();
  for (const auto &s : r.status.subflows) {
    nlohmann::ordered_json j;
    if (s.id) j["id"] = *s.id;
    j["kind"] = subflow_kind_name(s.kind);
    // local and remote as the server sees them: local is the checker's end.
    j["local"] = format_endpoint(s.local);
    j["remote"] = format_endpoint(s.remote);
    if (s.handshake_us) j["handshake_us"] = *s.handshake_us;
    if (s.tcp) {
      j["rtt_us"] = s.tcp->rtt_us;
      j["rttvar_us"] = s.tcp->rttvar_us;
      j["snd_cwnd"] = s.tcp->snd_cwnd;
      j["retransmits"] = s.tcp->total_retrans;
      if (s.tcp->bytes_sent) j["bytes_sent"] = *s.tcp->bytes_sent;
      if (s.tcp->bytes_received) j["bytes_received"] = *s.tcp->bytes_received;
      if (s.tcp->bytes_acked) j["bytes_acked"] = *s.tcp->bytes_acked;
    }
    subflows.push_back(std::move(j));
  }
  nlohmann::ordered_json j;
  j["mptcp"] = r.status.uses_mptcp();
  j["verdict"] = verdict_name(r.status.verdict);
  if (const auto why = verdict_explanation(r); !why.empty()) j["explanation"] = why;
  j["client"] = r.client;
  j["server"] = r.server;
  j["timestamp"] = r.timestamp;
  if (r.status.verdict == Verdict::mptcp || r.status.verdict == Verdict::fallback) {
    j["token"] = format_token(r.status.token);
  }
  j["waited_ms"] = r.waited.count();
  j["subflows"] = std::move(subflows);
  j["diagnosis"] = findings_json(r.diagnosis);
  return j.dump(2) + "\n";
}

nlohmann::ordered_json findings_json(std::vector<Finding> findings) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (auto &f : findings) {
    // Sized once: the admin API writes a few per connection, thousands a page.
    nlohmann::ordered_json d = nlohmann::ordered_json::object();
    d.get_ref<nlohmann::ordered_json::object_t &>().reserve(4);
    d["code"] = f.code;
    d["confidence"] = confidence_name(f.confidence);
    d["message"] = std::move(f.message);
    d["advice"] = std::move(f.advice);
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace observer::checker
