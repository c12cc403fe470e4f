// Framing requests in the event loop: when is a request wholly here?
#include "http/request_head.h"
#include "http/bad_request.h"

#include <catch2/catch.hpp>

#include <string>

using namespace observer::http;

namespace {
RequestHead find(const std::string &bytes, size_t max = 1024) {
  size_t scanned = 0;
  return find_request(bytes, max, scanned);
}
}  // namespace

TEST_CASE("find_request frames a GET at its empty line") {
  const std::string get = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto r = find(get + "GET /next");
  CHECK(r.status == HeadStatus::complete);
  CHECK(r.length == get.size());
}

TEST_CASE("find_request waits for the rest of a head or body") {
  CHECK(find("GET / HTTP/1.1\r\nHost: x\r\n").status == HeadStatus::incomplete);
  CHECK(find("GET / HTTP/1.1\r\nHost: x\r\n\r").status == HeadStatus::incomplete);
  CHECK(find("").status == HeadStatus::incomplete);
  const auto partial = find("POST / HTTP/1.1\r\ncontent-length: 5\r\n\r\nabc");
  CHECK(partial.status == HeadStatus::incomplete);
  const auto whole = find("POST / HTTP/1.1\r\nContent-Length:  5 \r\n\r\nabcdeGET");
  CHECK(whole.status == HeadStatus::complete);
  CHECK(whole.length == std::string("POST / HTTP/1.1\r\nContent-Length:  5 \r\n\r\nabcde").size());
}

TEST_CASE("find_request ends a head at bare LF LF too, so httplib can answer 400 at once") {
  const auto r = find("GET / HTTP/1.0\n\n");
  CHECK(r.status == HeadStatus::complete);
  CHECK(r.length == 16);
}

TEST_CASE("find_request frames only the head of a request whose body has no known length") {
  const std::string chunked = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  const auto r = find(chunked + "5\r\nhello\r\n0\r\n\r\n");
  CHECK(r.status == HeadStatus::body_unknown);
  CHECK(r.length == chunked.size());
  CHECK(find("POST / HTTP/1.1\r\nexpect: 100-continue\r\nContent-Length: 9\r\n\r\n").status == HeadStatus::body_unknown);
}

TEST_CASE("find_request refuses a Content-Length it cannot trust") {
  CHECK(find("GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n").status == HeadStatus::bad_length);
  CHECK(find("GET / HTTP/1.1\r\nContent-Length:\r\n\r\n").status == HeadStatus::bad_length);
  CHECK(find("GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n").status == HeadStatus::bad_length);
  CHECK(find("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab").status == HeadStatus::bad_length);
  CHECK(find("GET / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab").status == HeadStatus::complete);
}

TEST_CASE("find_request resumes its search where the last call stopped, and still finds an ending split across reads") {
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  for (size_t cut = 1; cut < head.size(); ++cut) {
    size_t scanned = 0;
    INFO("first read " << cut << " bytes");
    CHECK(find_request(head.substr(0, cut), 1024, scanned).status == HeadStatus::incomplete);
    CHECK(scanned == cut);
    const auto r = find_request(head, 1024, scanned);
    CHECK(r.status == HeadStatus::complete);
    CHECK(r.length == head.size());
  }
}

TEST_CASE("find_request refuses what would pass the limit") {
  CHECK(find(std::string(1024, 'a')).status == HeadStatus::too_large);
  CHECK(find("GET /" + std::string(2000, 'a') + " HTTP/1.1\r\n\r\n").status == HeadStatus::too_large);
  CHECK(find("POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n").status == HeadStatus::body_too_large);
}

TEST_CASE("one_line keeps a 400 reason on one line whatever the request held") {
  CHECK(one_line("format must be text, json or html, not 'x'") == "format must be text, json or html, not 'x'");
  CHECK(one_line("not 'a\nb\r'") == "not 'a\\x0ab\\x0d'");
  CHECK(one_line(std::string("nul\0here", 8)) == "nul\\x00here");
  CHECK(one_line(std::string(500, 'a'), 300) == std::string(300, 'a') + "...");
}
