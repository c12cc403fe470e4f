// The checker port's request parser: what it serves, what it refuses and
// with which status, and that it decides early (a refusal is known at the
// byte that causes it, not after the whole head).
#include <catch2/catch.hpp>

#include <string>

#include "http/request_parser.h"

using namespace observer::http;
using Status = ParsedHead::Status;

namespace {
ParsedHead parse(std::string_view bytes, RequestLimits limits = {}) {
  HeadScan scan;
  return parse_request_head(bytes, limits, scan);
}
}  // namespace

TEST_CASE("a plain GET is parsed into method, path, query and the fields that matter", "[request_parser]") {
  const std::string bytes =
      "GET /download?size=1M HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nRange: bytes=0-9\r\n\r\nGET / HTTP/1.1";
  const auto p = parse(bytes);
  REQUIRE(p.status == Status::complete);
  CHECK(p.length == bytes.find("GET / HTTP/1.1"));
  CHECK(p.request.method == Method::get);
  CHECK(p.request.path == "/download");
  CHECK(p.request.query == "size=1M");
  CHECK(p.request.accept == "application/json");
  CHECK(p.request.has_range);
  CHECK(p.request.range == "bytes=0-9");
  CHECK(p.request.keep_alive);
}

TEST_CASE("keep-alive follows the version and the Connection field", "[request_parser]") {
  struct Case {
    const char *head;
    bool keep_alive;
  };
  const auto c = GENERATE(values<Case>({
      {"GET / HTTP/1.1\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nconnection: Upgrade, CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"HEAD / HTTP/1.1\r\n\r\n", true},
  }));
  INFO(c.head);
  const auto p = parse(c.head);
  REQUIRE(p.status == Status::complete);
  CHECK(p.request.keep_alive == c.keep_alive);
}

TEST_CASE("an absolute-form target is served by its path", "[request_parser]") {
  const auto p = parse("GET http://example.net:8684/?format=json HTTP/1.1\r\n\r\n");
  REQUIRE(p.status == Status::complete);
  CHECK(p.request.path == "/");
  CHECK(p.request.query == "format=json");
  CHECK(parse("GET http://example.net HTTP/1.1\r\n\r\n").request.path == "/");
}

TEST_CASE("a head not yet whole is incomplete, never refused", "[request_parser]") {
  const std::string whole = "GET /?wait=1s HTTP/1.1\r\nAccept: */*\r\n\r\n";
  for (size_t n = 0; n < whole.size(); ++n) {
    INFO("first " << n << " bytes");
    CHECK(parse(whole.substr(0, n)).status == Status::incomplete);
  }
  CHECK(parse(whole).status == Status::complete);
}

TEST_CASE("a head arriving a byte at a time is scanned once and parsed the same", "[request_parser]") {
  const std::string whole = "GET /x?a=1 HTTP/1.1\r\nAccept: text/html\r\nConnection: close\r\n\r\n";
  HeadScan scan;
  ParsedHead p;
  for (size_t n = 1; n <= whole.size(); ++n) {
    p = parse_request_head(std::string_view(whole).substr(0, n), {}, scan);
    if (n < whole.size()) REQUIRE(p.status == Status::incomplete);
    CHECK(scan.scanned <= n);
  }
  REQUIRE(p.status == Status::complete);
  CHECK(p.request.path == "/x");
  CHECK(p.request.accept == "text/html");
  CHECK_FALSE(p.request.keep_alive);
}

TEST_CASE("what the checker does not serve is refused with the status that says why", "[request_parser]") {
  struct Case {
    std::string bytes;
    Refusal refusal;
  };
  const std::string long_query(9000, 'a');
  const std::string long_field = "X-Long: " + std::string(9000, 'b');
  std::string many_fields;
  for (int i = 0; i < 101; ++i) many_fields += "X-" + std::to_string(i) + ": v\r\n";
  std::string big_head;
  for (int i = 0; i < 20; ++i) big_head += "X-" + std::to_string(i) + ": " + std::string(4000, 'c') + "\r\n";
  const auto c = GENERATE_COPY(values<Case>({
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello", Refusal::method},
      {"PUT /x HTTP/1.1\r\nContent-Encoding: br\r\nContent-Length: 3300\r\n\r\n", Refusal::method},
      {"OPTIONS * HTTP/1.1\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1\r\nContent-Length: 10\r\n\r\n", Refusal::body},
      {"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", Refusal::body},
      {"GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1\nHost: x\n\n", Refusal::malformed},
      {"GET / HTTP/1.1\r\nHost: x\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", Refusal::malformed},
      {std::string("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29), Refusal::malformed},
      {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1\r\n: x\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1\r\nHost x\r\n\r\n", Refusal::malformed},
      {"GET /a b HTTP/1.1\r\n\r\n", Refusal::malformed},
      {"GET  / HTTP/1.1\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/1.1 \r\n\r\n", Refusal::malformed},
      {"GET /\xff HTTP/1.1\r\n\r\n", Refusal::malformed},
      {"GET x HTTP/1.1\r\n\r\n", Refusal::malformed},
      {"GET / http/1.1\r\n\r\n", Refusal::malformed},
      {"\r\nGET / HTTP/1.1\r\n\r\n", Refusal::malformed},
      {"hello\r\n\r\n", Refusal::malformed},
      {"GET / HTTP/2.0\r\n\r\n", Refusal::version},
      {"GET / HTTP/1.2\r\n\r\n", Refusal::version},
      {"GET / HTTP/0.9\r\n\r\n", Refusal::version},
      {"GET / HTTP/3\r\n\r\n", Refusal::version},
      {"GET / HTTP/11\r\n\r\n", Refusal::malformed},
      {"GET /?" + long_query + " HTTP/1.1\r\n\r\n", Refusal::uri_too_long},
      {"GET / HTTP/1.1\r\n" + long_field + "\r\n\r\n", Refusal::head_too_large},
      {"GET / HTTP/1.1\r\n" + many_fields + "\r\n", Refusal::head_too_large},
      {"GET / HTTP/1.1\r\n" + big_head + "\r\n", Refusal::head_too_large},
  }));
  INFO(c.bytes.substr(0, 80));
  const auto p = parse(c.bytes);
  REQUIRE(p.status == Status::refused);
  CHECK(p.refusal == c.refusal);
  CHECK(std::string(p.why).size() > 0);
}

TEST_CASE("a refusal is known as soon as its byte arrives", "[request_parser]") {
  // Slowloris and oversized lines are cut without waiting for the head's end.
  CHECK(parse("GET / HTTP/1.1\r\nX: " + std::string(9000, 'a')).status == Status::refused);
  CHECK(parse("GET /" + std::string(9000, 'a')).refusal == Refusal::uri_too_long);
  CHECK(parse("GET / HTTP/1.1\nHo").refusal == Refusal::malformed);
  CHECK(parse(std::string("GET /\0", 6)).refusal == Refusal::malformed);
  // A CR at the end may still be followed by its LF.
  CHECK(parse("GET / HTTP/1.1\r").status == Status::incomplete);
}

TEST_CASE("the limits are exact", "[request_parser]") {
  RequestLimits limits;
  limits.max_request_line = 32;
  // "GET /" + path + " HTTP/1.1\r\n" is 16 bytes besides the path.
  CHECK(parse("GET /" + std::string(16, 'a') + " HTTP/1.1\r\n\r\n", limits).status == Status::complete);
  CHECK(parse("GET /" + std::string(17, 'a') + " HTTP/1.1\r\n\r\n", limits).refusal == Refusal::uri_too_long);
  limits = {};
  limits.max_fields = 2;
  CHECK(parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n", limits).status == Status::complete);
  CHECK(parse("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits).refusal == Refusal::head_too_large);
}

TEST_CASE("every refusal has its status", "[request_parser]") {
  CHECK(refusal_status(Refusal::malformed) == 400);
  CHECK(refusal_status(Refusal::method) == 405);
  CHECK(refusal_status(Refusal::body) == 413);
  CHECK(refusal_status(Refusal::uri_too_long) == 414);
  CHECK(refusal_status(Refusal::range) == 416);
  CHECK(refusal_status(Refusal::client_limit) == 429);
  CHECK(refusal_status(Refusal::head_too_large) == 431);
  CHECK(refusal_status(Refusal::busy) == 503);
  CHECK(refusal_status(Refusal::version) == 505);
  CHECK(std::string(refusal_name(Refusal::client_limit)) == "client_limit");
}
