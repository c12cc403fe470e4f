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

// Advice names commands in `backticks`: each becomes a <code> a reader can
// select with one click and copy.
std::string with_code(std::string_view s) {
  std::string out;
  bool in_code = false;
  for (size_t at = 0; at <= s.size();) {
    const size_t tick = s.find('`', at);
    const auto piece = s.substr(at, tick == std::string_view::npos ? std::string_view::npos : tick - at);
    out += escape(piece);
    if (tick == std::string_view::npos) break;
    out += in_code ? "</code>" : "<code class=\"cmd\">";
    in_code = !in_code;
    at = tick + 1;
  }
  if (in_code) out += "</code>";
  return out;
}

std::string optional_number(const std::optional<uint64_t> &v) {
  return v ? std::to_string(*v) : "&ndash;";
}

std::string ms(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", value);
  return buf;
}

// Self-contained: no scripts, fonts or images from anywhere, so the page
// works on an offline test bench and leaks nothing about the visitor.
constexpr const char *kStyle = R"(
*{box-sizing:border-box}
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:0;background:#f4f5f7;color:#1f2328}
main{max-width:66rem;margin:0 auto;padding:2rem 1.25rem 1rem}
h1{font-size:2rem;line-height:1.2;margin:0}
h2{font-size:1.25rem;margin:0 0 .75rem}
h3{font-size:1rem;margin:0 0 .5rem}
section,.banner{background:#fff;border:1px solid #d8dce1;border-radius:.75rem;padding:1.25rem 1.5rem;margin:0 0 1.25rem}
.banner.yes{background:#e6f4ea;border-color:#9fd3ad}.banner.no{background:#fdeceb;border-color:#f1aaa4}
h1.yes{color:#12612a}h1.no{color:#9b1c12}
.banner h1::before{display:inline-block;width:2.2rem;height:2.2rem;margin-right:.75rem;border-radius:50%;color:#fff;text-align:center;font-size:1.5rem;line-height:2.2rem;vertical-align:.15rem}
h1.yes::before{content:"\2713";background:#1e8e3e}h1.no::before{content:"\2715";background:#d93025}
.lead{font-size:1.1rem;margin:.6rem 0 0}.meta{color:#57606a;margin:.4rem 0 0}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #e4e7eb}
th{background:#f6f8fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font:.9em/1.4 ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;background:#f0f2f4;border-radius:.25rem;padding:.05rem .3rem}
code.cmd{user-select:all;background:#eef1f6;border:1px solid #d5dbe3;overflow-wrap:anywhere}
pre{background:#1f2430;color:#e8ecf1;border-radius:.5rem;padding:.7rem .9rem;margin:.4rem 0 .8rem;white-space:pre-wrap;overflow-wrap:anywhere}
pre code{background:none;color:inherit;padding:0;user-select:all;white-space:inherit}
ol.findings{list-style:none;margin:0;padding:0}
.finding{border:1px solid #e1e4e8;border-left:.35rem solid #8c959f;border-radius:.5rem;padding:.75rem 1rem;margin:0 0 .75rem}
.finding.certain{border-left-color:#0969da}.finding.likely{border-left-color:#bf8700}
.finding .message{margin:0 0 .4rem;font-weight:500}.finding .advice{margin:0;color:#3d444d}
.finding .tag{float:right;margin-left:1rem;font-size:.75rem;color:#57606a}
.badge{display:inline-block;font-size:.7rem;font-weight:600;text-transform:uppercase;letter-spacing:.04em;border-radius:1rem;padding:0 .5rem;margin-right:.4rem;vertical-align:.1rem;background:#eaeef2;color:#57606a}
.certain .badge{background:#ddf4ff;color:#0550ae}.likely .badge{background:#fff8c5;color:#7d4e00}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(22rem,1fr));gap:1rem}
.grid>div{border:1px solid #e1e4e8;border-radius:.5rem;padding:1rem}
.grid p{margin:.3rem 0}
a{color:#0969da}
footer{color:#57606a;font-size:.85rem;text-align:center;padding:0 0 2rem}
)";

void subflow_section(const CheckerReport &r, std::string &out) {
  out += "<section id=\"subflows-section\"><h2>Subflows</h2>\n";
  if (r.status.subflows.empty()) {
    out += "<p>None: this connection is not MPTCP, so it has one plain TCP path and no subflows.</p></section>\n";
    return;
  }
  out += "<table id=\"subflows\"><thead><tr><th>Kind</th><th>Client</th><th>Server</th>"
         "<th>Handshake (ms)</th><th>RTT (ms)</th><th>Sent (B)</th><th>Received (B)</th><th>Retransmits</th>"
         "</tr></thead><tbody>\n";
  for (const auto &s : r.status.subflows) {
    out += "<tr><td>" + std::string(subflow_kind_name(s.kind)) + (s.backup && *s.backup ? " (backup)" : "") +
           "</td><td>" + escape(format_endpoint(s.remote)) + "</td><td>" + escape(format_endpoint(s.local)) + "</td>";
    out += "<td class=\"num\">" + (s.handshake_us ? ms(*s.handshake_us / 1000.0) : std::string("&ndash;")) + "</td>";
    if (s.tcp) {
      out += "<td class=\"num\">" + ms(s.tcp->rtt_us / 1000.0) + "</td><td class=\"num\">" +
             optional_number(s.tcp->bytes_sent) + "</td><td class=\"num\">" + optional_number(s.tcp->bytes_received) +
             "</td><td class=\"num\">" + std::to_string(s.tcp->total_retrans) + "</td>";
    } else {
      out += "<td colspan=\"4\">no TCP figures</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody></table></section>\n";
}

void diagnosis_section(const CheckerReport &r, std::string &out) {
  if (r.diagnosis.empty()) return;
  out += "<section id=\"diagnosis-section\"><h2>Why</h2>\n<ol class=\"findings\" id=\"diagnosis\">\n";
  for (const auto &f : r.diagnosis) {
    const std::string confidence = confidence_name(f.confidence);
    out += "<li class=\"finding " + confidence + "\" data-code=\"" + escape(f.code) + "\">";
    out += "<span class=\"tag\"><code>" + escape(f.code) + "</code></span>";
    out += "<p class=\"message\"><span class=\"badge\">" + confidence + "</span>" + with_code(f.message) + "</p>";
    out += "<p class=\"advice\">" + with_code(f.advice) + "</p></li>\n";
  }
  out += "</ol></section>\n";
}

// How to ask for MPTCP, for every visitor: the one who has it may want it
// elsewhere too.
void enable_section(const std::string &url, std::string &out) {
  out += R"(<section id="enable"><h2>How to use MPTCP</h2>
<div class="grid"><div><h3>Linux</h3>
<p>In the kernel since 5.6, and on by default in most distributions:</p>
<pre><code>sysctl net.mptcp.enabled</code></pre>
<p>Run an unchanged program over MPTCP:</p>
<pre><code>mptcpize run curl )" + url + R"(</code></pre>
<p>In your own code, or in a systemd socket unit:</p>
<pre><code>socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)</code></pre>
<pre><code>SocketProtocol=mptcp</code></pre>
<p>More than one path: an endpoint on the other interface, and limits above 0:</p>
<pre><code>ip mptcp endpoint add ADDRESS dev INTERFACE subflow
ip mptcp limits set subflows 2 add_addr_accepted 2</code></pre></div>
<div><h3>iOS</h3>
<p>Apps choose a multipath service type on their <code>URLSessionConfiguration</code> (or Network.framework's <code>NWParameters</code>), with the <code>com.apple.developer.networking.multipath</code> entitlement:</p>
<pre><code>let config = URLSessionConfiguration.default
config.multipathServiceType = .handover</code></pre>
<p><code>.interactive</code> favours latency; <code>.aggregate</code> works only on devices set up for development.</p>
<h3>Everything else</h3>
<p>Other systems, servers, proxies, and how MPTCP works: <a href="https://www.mptcp.dev">www.mptcp.dev</a>.</p></div></div>
</section>
)";
}

void terminal_section(const std::string &url, std::string &out) {
  out += "<section id=\"terminal\"><h2>Check from a terminal</h2>\n"
         "<p>The same check, one line of text per answer:</p>\n"
         "<pre><code>mptcpize run curl " + url + "</code></pre>\n"
         "<p>Let the answer wait up to two seconds for a second subflow to join, or ask for JSON:</p>\n"
         "<pre><code>mptcpize run curl '" + url + "?wait=2s'\n"
         "mptcpize run curl -H 'Accept: application/json' " + url + "</code></pre>\n</section>\n";
}
}  // namespace

std::string render_html(const CheckerReport &r) {
  const bool yes = r.status.uses_mptcp();
  const std::string cls = yes ? "yes" : "no";
  // The address this very connection reached: an IP literal, never a Host
  // header the client could make up.
  const std::string url = escape("http://" + r.server + "/");
  const size_t n = r.status.subflows.size();
  std::string out;
  out.reserve(12000 + 300 * n + 800 * r.diagnosis.size());
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
         "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
         "<title>MPTCP check: ";
  out += verdict_line(r);
  out += "</title><style>";
  out += kStyle;
  out += "</style></head><body><main>\n";
  out += "<header class=\"banner " + cls + "\"><h1 class=\"" + cls + "\" id=\"verdict\">" + verdict_line(r) + "</h1>\n";
  const auto why = verdict_explanation(r);
  out += "<p class=\"lead\">" +
         (why.empty() ? "Your connection to this server is Multipath TCP, with " + std::to_string(n) +
                            (n == 1 ? " subflow." : " subflows.")
                      : escape(why)) +
         "</p>\n";
  out += "<p class=\"meta\">Client <code>" + escape(r.client) + "</code> reached <code>" + escape(r.server) +
         "</code> &middot; subflows: <strong id=\"subflow-count\">" + std::to_string(n) + "</strong>";
  if (r.waited.count() > 0) out += " &middot; waited " + std::to_string(r.waited.count()) + " ms";
  out += "</p></header>\n";
  subflow_section(r, out);
  diagnosis_section(r, out);
  enable_section(url, out);
  terminal_section(url, out);
  out += "<footer>" + escape(r.timestamp) + " &middot; mptcp-observer &middot; this answer as "
         "<a href=\"?format=json\">JSON</a> or <a href=\"?format=text\">text</a></footer>\n";
  out += "</main></body></html>\n";
  return out;
}

}  // namespace observer::checker
