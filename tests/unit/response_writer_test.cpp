#include <catch2/catch.hpp>

#include <string>

#include "http/response_writer.h"

using namespace observer::http;

TEST_CASE("an answer's head is the status line, then the fields in a fixed order", "[response_writer]") {
  const HeaderField fields[] = {{"X-MPTCP", "true"}, {"Vary", "Accept"}};
  ResponseHead head;
  head.status = 200;
  head.server = "mptcp-observer/1";
  head.fields = fields;
  head.content_type = "text/plain";
  head.content_length = 12;
  std::string out;
  append_response_head(out, head);
  CHECK(out ==
        "HTTP/1.1 200 OK\r\nServer: mptcp-observer/1\r\nX-MPTCP: true\r\nVary: Accept\r\n"
        "Content-Type: text/plain\r\nContent-Length: 12\r\n\r\n");
  out.clear();
  head.close = true;
  head.server = {};
  head.fields = {};
  append_response_head(out, head);
  CHECK(out == "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\n");
  out.clear();
  head.close = false;
  head.http10_keep_alive = true;
  append_response_head(out, head);
  CHECK(out.find("Connection: keep-alive\r\n") != std::string::npos);
}

TEST_CASE("a text answer is one line, with what its status needs", "[response_writer]") {
  std::string out;
  append_text_answer(out, 405, "only GET\nand HEAD", "s", {}, true, false);
  CHECK(out.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  CHECK(out.find("Allow: GET, HEAD\r\n") != std::string::npos);
  CHECK(out.find("Connection: close\r\n") != std::string::npos);
  CHECK(out.ends_with("\r\n\r\n405 Method Not Allowed: only GET\\x0aand HEAD\n"));
  out.clear();
  append_text_answer(out, 503, "busy", "s", {}, false, /*head_only=*/true);
  CHECK(out.find("Retry-After: 1\r\n") != std::string::npos);
  CHECK(out.ends_with("\r\n\r\n"));
  out.clear();
  append_text_answer(out, 429, "", "s", {}, false, false);
  CHECK(out.find("Retry-After: 1\r\n") != std::string::npos);
  CHECK(out.ends_with("429 Too Many Requests\n"));
}

TEST_CASE("one_line escapes control characters and cuts long text", "[response_writer]") {
  CHECK(one_line("a\r\nb") == "a\\x0d\\x0ab");
  CHECK(one_line(std::string(500, 'x'), 10) == std::string(10, 'x') + "...");
}
