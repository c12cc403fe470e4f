// The requests the server answers without httplib, and the heads it writes
// for them: anything unusual must be left to httplib, and what is written
// must be what httplib would have written.
#include "http/quick_request.h"
#include "http/response_head.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace observer::http;

namespace {
// The result points into the request: keep the last one alive.
std::optional<QuickRequest> parse(std::string head) {
  static std::string held;
  held = std::move(head);
  return parse_quick_request(held);
}
}  // namespace

TEST_CASE("parse_quick_request takes a bare GET or HEAD of a path") {
  const auto get = parse("GET / HTTP/1.1\r\nHost: a\r\nUser-Agent: wrk\r\n\r\n");
  REQUIRE(get);
  CHECK_FALSE(get->head);
  CHECK(get->path == "/");
  CHECK(get->accept.empty());
  CHECK_FALSE(get->connection_close);

  const auto head = parse("HEAD /healthz HTTP/1.1\r\n\r\n");
  REQUIRE(head);
  CHECK(head->head);
  CHECK(head->path == "/healthz");
}

TEST_CASE("parse_quick_request reads Accept and Connection whatever the case of their names") {
  const auto r = parse("GET / HTTP/1.1\r\naCCePT:application/json  \t\r\nCONNECTION: \tclose\r\n\r\n");
  REQUIRE(r);
  CHECK(r->accept == "application/json");
  CHECK(r->connection_close);
}

TEST_CASE("parse_quick_request compares Connection's value as httplib does: exactly 'close'") {
  // httplib keeps a connection open on "Close" or "keep-alive, close"; so must we.
  for (const char *value : {"Close", "keep-alive", "Keep-Alive", "keep-alive, close", "closed"}) {
    const auto r = parse(std::string("GET / HTTP/1.1\r\nConnection: ") + value + "\r\n\r\n");
    REQUIRE(r);
    CHECK_FALSE(r->connection_close);
  }
}

TEST_CASE("parse_quick_request leaves every unusual request to httplib") {
  const std::vector<std::string> others = {
      // not GET or HEAD, or not written as httplib accepts it
      "POST / HTTP/1.1\r\n\r\n",
      "get / HTTP/1.1\r\n\r\n",
      "GET  / HTTP/1.1\r\n\r\n",
      "GET / HTTP/1.1 \r\n\r\n",
      "GET /\r\n\r\n",
      "GET HTTP/1.1\r\n\r\n",
      "GET * HTTP/1.1\r\n\r\n",
      "GET http://a/ HTTP/1.1\r\n\r\n",
      "NONSENSE\r\n\r\n",
      "\r\n\r\n",
      "",
      // HTTP/1.0 (other keep-alive rules), or a version httplib refuses
      "GET / HTTP/1.0\r\n\r\n",
      "GET / HTTP/1.2\r\n\r\n",
      "GET / HTTP/2\r\n\r\n",
      "GET / http/1.1\r\n\r\n",
      // a query (?wait goes to a worker), percent-encoding, a fragment, controls
      "GET /?wait=1s HTTP/1.1\r\n\r\n",
      "GET /? HTTP/1.1\r\n\r\n",
      "GET /%3F HTTP/1.1\r\n\r\n",
      "GET /#x HTTP/1.1\r\n\r\n",
      "GET /\x7f HTTP/1.1\r\n\r\n",
      "GET /\ta HTTP/1.1\r\n\r\n",
      // bare LF, a CR alone, a folded line, a line without a colon or name
      "GET / HTTP/1.1\n\n",
      "GET / HTTP/1.1\r\nHost: a\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
      "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
      "GET / HTTP/1.1\r\n: value\r\n\r\n",
      // headers that change httplib's answer: a body, 100 Continue, ranges, compression
      "GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
      "GET / HTTP/1.1\r\ncontent-length: 3\r\n\r\nabc",
      "GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
      "GET / HTTP/1.1\r\nExpect: 100-continue\r\n\r\n",
      "GET / HTTP/1.1\r\nRange: bytes=0-10\r\n\r\n",
      "GET / HTTP/1.1\r\nAccept-Encoding: gzip, br\r\n\r\n",
      // values httplib would decode, drop, or pick among
      "GET / HTTP/1.1\r\nAccept: application%2Fjson\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: clos%65\r\n\r\n",
      "GET / HTTP/1.1\r\nAccept:\r\n\r\n",
      "GET / HTTP/1.1\r\nAccept:  \t\r\n\r\n",
      "GET / HTTP/1.1\r\nAccept: text/html\r\naccept: application/json\r\n\r\n",
      "GET / HTTP/1.1\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n",
      // not one whole head
      "GET / HTTP/1.1\r\nHost: a\r\n",
      "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n",
  };
  for (const auto &request : others) {
    INFO(request);
    CHECK_FALSE(parse(request));
  }
}

TEST_CASE("parse_quick_request leaves a huge header line to httplib, and takes many small ones") {
  CHECK_FALSE(parse("GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n"));
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 200; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  CHECK(parse(many + "\r\n"));
}

TEST_CASE("parse_quick_request declines exactly the header lines httplib rejects as too long") {
  // httplib's read_headers fails when a line *with* its CRLF is longer than
  // CPPHTTPLIB_HEADER_MAX_LENGTH (8192): 8190 bytes before the CRLF pass,
  // 8191 do not.
  const auto line = [](size_t length) { return "X: " + std::string(length - 3, 'a'); };
  CHECK(parse("GET / HTTP/1.1\r\n" + line(8190) + "\r\n\r\n"));
  CHECK_FALSE(parse("GET / HTTP/1.1\r\n" + line(8191) + "\r\n\r\n"));
  CHECK_FALSE(parse("GET / HTTP/1.1\r\n" + line(8192) + "\r\n\r\n"));
  // Its request line: 414 past CPPHTTPLIB_REQUEST_URI_MAX_LENGTH, CRLF counted.
  const auto request_line = [](size_t length) { return "GET /" + std::string(length - 14, 'a') + " HTTP/1.1"; };
  CHECK(request_line(8190).size() == 8190);
  CHECK(parse(request_line(8190) + "\r\n\r\n"));
  CHECK_FALSE(parse(request_line(8191) + "\r\n\r\n"));
}

TEST_CASE("parse_quick_request takes one request of a pipeline as find_request framed it") {
  const std::string first = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string second = "HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n";
  const std::string pipeline = first + second;
  const auto a = parse_quick_request(std::string_view(pipeline).substr(0, first.size()));
  const auto b = parse_quick_request(std::string_view(pipeline).substr(first.size()));
  REQUIRE(a);
  REQUIRE(b);
  CHECK_FALSE(a->head);
  CHECK(b->head);
  CHECK(b->connection_close);
}

TEST_CASE("append_response_head writes httplib's status line and its header order") {
  std::vector<HeaderField> fields = {
      {"X-Timestamp", "t"}, {"Server", "s"}, {"x-mptcp", "true"}, {"Cache-Control", "no-store"},
      {"Content-Type", "text/plain"}, {"Content-Length", "3"}, {"Keep-Alive", "timeout=30, max=10000"},
      {"X-Client-Address", "1.2.3.4:5"}, {"Vary", "Accept"}};
  std::string out = "held|";
  append_response_head(out, 200, fields);
  // httplib's header map orders names without case: x-client < x-mptcp < x-timestamp.
  CHECK(out ==
        "held|HTTP/1.1 200 OK\r\n"
        "Cache-Control: no-store\r\n"
        "Content-Length: 3\r\n"
        "Content-Type: text/plain\r\n"
        "Keep-Alive: timeout=30, max=10000\r\n"
        "Server: s\r\n"
        "Vary: Accept\r\n"
        "X-Client-Address: 1.2.3.4:5\r\n"
        "x-mptcp: true\r\n"
        "X-Timestamp: t\r\n"
        "\r\n");
}

TEST_CASE("append_response_head keeps equal names in the order they were set, and names 500") {
  std::vector<HeaderField> fields = {{"Set-Cookie", "b"}, {"Connection", "close"}, {"set-cookie", "a"}};
  std::string out;
  append_response_head(out, 500, fields);
  CHECK(out == "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nSet-Cookie: b\r\nset-cookie: a\r\n\r\n");
}
