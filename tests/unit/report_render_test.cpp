// The three renderings of one CheckerReport: text for curl, JSON for
// scripts, HTML for browsers. They must agree on the verdict and subflows.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "test_addresses.h"
#include "views/checker/report.h"

using namespace observer;
using namespace observer::checker;
using observer::test::address;

namespace {
SubflowStatus subflow(SubflowKind kind, const char *server_end, const char *client_end, uint32_t rtt_us,
                      uint64_t sent, uint64_t received, uint32_t retransmits) {
  SubflowStatus s;
  s.kind = kind;
  s.local = address(server_end);
  s.remote = address(client_end);
  TcpFigures f;
  f.rtt_us = rtt_us;
  f.rttvar_us = rtt_us / 2;
  f.snd_cwnd = 10;
  f.total_retrans = retransmits;
  f.bytes_sent = sent;
  f.bytes_received = received;
  f.bytes_acked = sent;
  s.tcp = f;
  return s;
}

// A client that connected over IPv4 and joined a second subflow over IPv6.
CheckerReport mptcp_report() {
  CheckerReport r;
  r.status.verdict = Verdict::mptcp;
  r.status.token = 0x1234abcd;
  r.status.extra_subflows = 1;
  r.status.subflows.push_back(
      subflow(SubflowKind::initial, "192.0.2.1:8684", "198.51.100.4:51000", 1500, 1048576, 512, 3));
  r.status.subflows.push_back(
      subflow(SubflowKind::join, "[2001:db8::1]:8684", "[2001:db8:1::4]:40000", 30000, 2097152, 256, 0));
  r.client = "198.51.100.4:51000";
  r.server = "192.0.2.1:8684";
  r.timestamp = "2026-01-02T03:04:05.678Z";
  return r;
}

std::string first_line(const std::string &s) { return s.substr(0, s.find('\n')); }
}  // namespace

TEST_CASE("render_text opens with the verdict, then lists every subflow", "[report]") {
  const auto text = render_text(mptcp_report());
  CHECK(first_line(text) == "You are using MPTCP.");
  CHECK_THAT(text, Catch::Contains("Client: 198.51.100.4:51000\n"));
  CHECK_THAT(text, Catch::Contains("Subflows: 2\n"));
  CHECK_THAT(text, Catch::Contains("initial client 198.51.100.4:51000 <-> server 192.0.2.1:8684, rtt 1.500 ms"));
  CHECK_THAT(text, Catch::Contains("join    client [2001:db8:1::4]:40000 <-> server [2001:db8::1]:8684, rtt 30.000 ms"));
  CHECK_THAT(text, Catch::Contains("sent 1048576 B") && Catch::Contains("received 512 B") &&
                       Catch::Contains("retransmits 3"));
}

TEST_CASE("every rendering agrees on the verdict", "[report]") {
  struct Case {
    Verdict verdict;
    const char *first_line;
    bool mptcp;
    const char *name;
    const char *explanation;  // part of it; empty for MPTCP
  };
  const auto c = GENERATE(values<Case>({
      {Verdict::mptcp, "You are using MPTCP.", true, "mptcp", ""},
      {Verdict::plain_tcp, "You are not using MPTCP.", false, "tcp", "plain TCP"},
      {Verdict::fallback, "You are not using MPTCP.", false, "fallback", "fell back"},
      {Verdict::error, "You are not using MPTCP.", false, "error", "did not report"},
  }));
  INFO("verdict: " << c.name);
  auto r = mptcp_report();
  r.status.verdict = c.verdict;

  const auto text = render_text(r);
  CHECK(first_line(text) == c.first_line);
  CHECK_THAT(text, Catch::Contains(c.explanation));

  const auto json = nlohmann::json::parse(render_json(r));
  CHECK(json.at("mptcp") == c.mptcp);
  CHECK(json.at("verdict") == c.name);
  CHECK(json.contains("explanation") == !c.mptcp);

  const auto html = render_html(r);
  CHECK_THAT(html, Catch::Contains(std::string(">") + c.first_line + "</h1>"));
  CHECK_THAT(html, Catch::Contains(c.mptcp ? "class=\"yes\"" : "class=\"no\""));
}

TEST_CASE("render_json carries the subflows with their figures", "[report]") {
  const auto out = render_json(mptcp_report());
  nlohmann::json j;
  REQUIRE_NOTHROW(j = nlohmann::json::parse(out));
  CHECK(j.at("mptcp") == true);
  CHECK(j.at("client") == "198.51.100.4:51000");
  CHECK(j.at("server") == "192.0.2.1:8684");
  CHECK(j.at("token") == "1234abcd");
  CHECK(j.at("waited_ms") == 0);
  REQUIRE(j.at("subflows").is_array());
  REQUIRE(j.at("subflows").size() == 2);

  const auto &initial = j["subflows"][0];
  CHECK(initial.at("kind") == "initial");
  CHECK(initial.at("local") == "192.0.2.1:8684");
  CHECK(initial.at("remote") == "198.51.100.4:51000");
  CHECK(initial.at("rtt_us") == 1500);
  CHECK(initial.at("bytes_sent") == 1048576);
  CHECK(initial.at("bytes_received") == 512);
  CHECK(initial.at("retransmits") == 3);

  const auto &join = j["subflows"][1];
  CHECK(join.at("kind") == "join");
  CHECK(join.at("local") == "[2001:db8::1]:8684");
  CHECK(join.at("remote") == "[2001:db8:1::4]:40000");
  CHECK(join.at("rtt_us") == 30000);
}

TEST_CASE("render_json gives no token for a plain TCP connection", "[report]") {
  auto r = mptcp_report();
  r.status.verdict = Verdict::plain_tcp;
  r.status.subflows.clear();
  const auto j = nlohmann::json::parse(render_json(r));
  CHECK_FALSE(j.contains("token"));
  CHECK(j.at("subflows").is_array());
  CHECK(j.at("subflows").empty());
}

TEST_CASE("a subflow without TCP figures is listed without them", "[report]") {
  auto r = mptcp_report();
  r.status.subflows[1].tcp.reset();
  const auto text = render_text(r);
  CHECK_THAT(text, Catch::EndsWith("join    client [2001:db8:1::4]:40000 <-> server [2001:db8::1]:8684\n"));
  const auto j = nlohmann::json::parse(render_json(r));
  CHECK_FALSE(j["subflows"][1].contains("rtt_us"));
  CHECK(j["subflows"][0].contains("rtt_us"));
  CHECK_THAT(render_html(r), Catch::Contains("no TCP figures"));
}

TEST_CASE("render_html shows the verdict and subflows in a self-contained page", "[report]") {
  const auto html = render_html(mptcp_report());
  CHECK_THAT(html, Catch::StartsWith("<!DOCTYPE html>"));
  CHECK_THAT(html, Catch::Contains("You are using MPTCP."));
  CHECK_THAT(html, Catch::Contains("<strong id=\"subflow-count\">2</strong>"));
  CHECK_THAT(html, Catch::Contains("<td>initial</td><td>198.51.100.4:51000</td><td>192.0.2.1:8684</td>"));
  CHECK_THAT(html, Catch::Contains("<td>join</td><td>[2001:db8:1::4]:40000</td>"));
  CHECK_THAT(html, Catch::Contains("1.500"));
  // Nothing fetched from elsewhere: no scripts, images, style sheets or
  // fonts; the one link out is to mptcp.dev, followed only if clicked.
  for (const char *fetch : {"<script", "<img", "<link", "<iframe", "src=", "url(", "@import"}) {
    CHECK_THAT(html, !Catch::Contains(fetch, Catch::CaseSensitive::No));
  }
  CHECK_THAT(html, Catch::Contains("<a href=\"https://www.mptcp.dev\">"));
  // How to check from a terminal, at the address this connection reached.
  CHECK_THAT(html, Catch::Contains("<pre><code>mptcpize run curl http://192.0.2.1:8684/</code></pre>"));
}

TEST_CASE("render_html escapes what it did not write", "[report]") {
  auto r = mptcp_report();
  r.client = "<script>alert('x')</script>";
  r.server = "\"><img src=x>";
  r.timestamp = "<b>&";
  const auto html = render_html(r);
  CHECK_THAT(html, !Catch::Contains("<script", Catch::CaseSensitive::No));
  CHECK_THAT(html, Catch::Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  CHECK_THAT(html, !Catch::Contains("<img"));
  CHECK_THAT(html, Catch::Contains("&quot;&gt;&lt;img src=x&gt;"));
  CHECK_THAT(html, Catch::Contains("&lt;b&gt;&amp;"));
}

TEST_CASE("a handshake time seen by tracing is shown in every format, and only when known", "[report]") {
  CheckerReport r = mptcp_report();
  r.status.subflows[1].handshake_us = 1234;
  const std::string text = render_text(r);
  CHECK(text.find("handshake 1.234 ms") != std::string::npos);
  CHECK(text.find("handshake") == text.rfind("handshake"));  // the initial subflow has none

  const auto json = nlohmann::json::parse(render_json(r));
  CHECK_FALSE(json["subflows"][0].contains("handshake_us"));
  CHECK(json["subflows"][1]["handshake_us"] == 1234);

  const std::string html = render_html(r);
  CHECK(html.find("<td class=\"num\">1.234</td>") != std::string::npos);
}

// ---- the diagnosis, in every format ----------------------------------------

namespace {
CheckerReport limited_report() {
  CheckerReport r = mptcp_report();
  r.status.subflows.pop_back();
  r.status.extra_subflows = 0;
  r.diagnosis = {
      {"server_accepts_no_join", Confidence::certain, "This server accepts no additional subflow.",
       "On your own server: `ip mptcp limits set subflows 2`."},
      {"join_rejected_likely", Confidence::likely, "In the last 2.0 s, this server's kernel refused 1 join(s).",
       "See `ip mptcp limits show` & <co>."},
  };
  return r;
}
}  // namespace

TEST_CASE("render_text: one line per finding after the subflows", "[report][diagnosis]") {
  const auto text = render_text(limited_report());
  CHECK_THAT(text, Catch::EndsWith(
                       "Diagnosis:\n"
                       "  [server_accepts_no_join] This server accepts no additional subflow. Advice: On your own "
                       "server: `ip mptcp limits set subflows 2`.\n"
                       "  [join_rejected_likely] In the last 2.0 s, this server's kernel refused 1 join(s). Advice: "
                       "See `ip mptcp limits show` & <co>.\n"));
  CHECK(text.find("Subflows: 1") < text.find("Diagnosis:"));
  auto none = limited_report();
  none.diagnosis.clear();
  CHECK_THAT(render_text(none), !Catch::Contains("Diagnosis"));
}

TEST_CASE("render_json: the findings as a list of code, confidence, message and advice", "[report][diagnosis]") {
  const auto j = nlohmann::json::parse(render_json(limited_report()));
  REQUIRE(j.at("diagnosis").size() == 2);
  CHECK(j["diagnosis"][0] == nlohmann::json{{"code", "server_accepts_no_join"},
                                             {"confidence", "certain"},
                                             {"message", "This server accepts no additional subflow."},
                                             {"advice", "On your own server: `ip mptcp limits set subflows 2`."}});
  CHECK(j["diagnosis"][1].at("confidence") == "likely");
  auto none = limited_report();
  none.diagnosis.clear();
  CHECK(nlohmann::json::parse(render_json(none)).at("diagnosis") == nlohmann::json::array());
}

TEST_CASE("render_html: the findings in order, commands to copy as code, all escaped", "[report][diagnosis]") {
  const auto html = render_html(limited_report());
  const auto first = html.find("data-code=\"server_accepts_no_join\"");
  const auto second = html.find("data-code=\"join_rejected_likely\"");
  REQUIRE(first != std::string::npos);
  REQUIRE(second != std::string::npos);
  CHECK(first < second);
  CHECK(html.find("id=\"subflows\"") < first);  // after the subflows
  CHECK_THAT(html, Catch::Contains("<li class=\"finding certain\""));
  CHECK_THAT(html, Catch::Contains("<code class=\"cmd\">ip mptcp limits set subflows 2</code>"));
  CHECK_THAT(html, Catch::Contains("See <code class=\"cmd\">ip mptcp limits show</code> &amp; &lt;co&gt;."));
  CHECK_THAT(html, !Catch::Contains("<co>"));
}

TEST_CASE("render_html: no hint about joins for a client that is not using MPTCP", "[report][diagnosis]") {
  CheckerReport r = mptcp_report();
  r.status.verdict = Verdict::plain_tcp;
  r.status.subflows.clear();
  r.diagnosis = diagnose({r.status, true, std::chrono::milliseconds(0), {}});
  const auto html = render_html(r);
  CHECK_THAT(html, !Catch::Contains("?wait=2s</code> to") && !Catch::Contains("Joined subflows"));
  CHECK_THAT(html, Catch::Contains("data-code=\"mptcp_not_requested\""));
  CHECK_THAT(html, Catch::Contains("<code class=\"cmd\">mptcpize run COMMAND</code>"));
}
