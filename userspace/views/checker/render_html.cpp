#include <cstdio>

#include "views/checker/report.h"

namespace observer::checker {
namespace {
std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string optional_number(const std::optional<uint64_t> &v) {
  return v ? std::to_string(*v) : "&ndash;";
}

// Self-contained: no scripts, fonts or images from anywhere, so the page
// works on an offline test bench and leaks nothing about the visitor.
constexpr const char *kStyle = R"(
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.8rem;padding:1rem;border-radius:.5rem}
.yes{background:#e3f6e5;color:#135e1d}.no{background:#fdecea;color:#8a1c12}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd}
th{background:#f5f5f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
footer{margin-top:2rem;color:#777;font-size:.85rem}code{background:#f5f5f5;padding:0 .2rem}
)";
}  // namespace

std::string render_html(const CheckerReport &r) {
  const bool yes = r.status.uses_mptcp();
  std::string out;
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
         "<title>MPTCP check</title><style>";
  out += kStyle;
  out += "</style></head><body>\n";
  out += std::string("<h1 class=\"") + (yes ? "yes" : "no") + "\" id=\"verdict\">" + verdict_line(r) + "</h1>\n";
  if (const auto why = verdict_explanation(r); !why.empty()) out += "<p>" + escape(why) + "</p>\n";
  out += "<p>Client <code>" + escape(r.client) + "</code> reached <code>" + escape(r.server) +
         "</code>. Subflows: <strong id=\"subflow-count\">" + std::to_string(r.status.subflows.size()) +
         "</strong>.</p>\n";
  if (!r.status.subflows.empty()) {
    out += "<table id=\"subflows\"><thead><tr><th>Kind</th><th>Client</th><th>Server</th>"
           "<th>Handshake (ms)</th><th>RTT (ms)</th><th>Sent (B)</th><th>Received (B)</th><th>Retransmits</th></tr></thead><tbody>\n";
    for (const auto &s : r.status.subflows) {
      out += "<tr><td>" + std::string(subflow_kind_name(s.kind)) + "</td><td>" +
             escape(format_endpoint(s.remote)) + "</td><td>" + escape(format_endpoint(s.local)) + "</td>";
      if (s.handshake_us) {
        char hs[32];
        std::snprintf(hs, sizeof hs, "%.3f", *s.handshake_us / 1000.0);
        out += std::string("<td class=\"num\">") + hs + "</td>";
      } else {
        out += "<td class=\"num\">&ndash;</td>";
      }
      if (s.tcp) {
        char rtt[32];
        std::snprintf(rtt, sizeof rtt, "%.3f", s.tcp->rtt_us / 1000.0);
        out += std::string("<td class=\"num\">") + rtt + "</td><td class=\"num\">" +
               optional_number(s.tcp->bytes_sent) + "</td><td class=\"num\">" +
               optional_number(s.tcp->bytes_received) + "</td><td class=\"num\">" +
               std::to_string(s.tcp->total_retrans) + "</td>";
      } else {
        out += "<td colspan=\"4\">no TCP figures</td>";
      }
      out += "</tr>\n";
    }
    out += "</tbody></table>\n";
  }
  out += "<p>Joined subflows are opened by your client after the first data; reload, or add "
         "<code>?wait=2s</code>, to see them.</p>\n";
  out += "<footer>" + escape(r.timestamp) + " &middot; mptcp-observer &middot; "
         "also as <a href=\"?format=json\">JSON</a> and <a href=\"?format=text\">text</a></footer>\n";
  out += "</body></html>\n";
  return out;
}

}  // namespace observer::checker
