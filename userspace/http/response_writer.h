#pragma once
// The one writer of the checker port's answers: status line, fields, body.
// Routes, refusals and error pages all go through it, on the event loops.
// Pure, so what goes on the wire is unit-tested.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "http/request_parser.h"

namespace observer::http {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

const char *status_message(int status);

struct ResponseHead {
  int status = 200;
  std::string_view server;  // the Server field's value; empty: none
  std::span<const HeaderField> fields;  // the route's own
  std::string_view content_type;
  uint64_t content_length = 0;
  // What the connection does after this answer: "Connection: close", or
  // for an HTTP/1.0 client that asked to keep it, "Connection: keep-alive".
  bool close = false;
  bool http10_keep_alive = false;
};

// "HTTP/1.1 200 OK\r\n" then Server, the route's fields, Content-Type,
// Content-Length, Connection, and the empty line.
void append_response_head(std::string &out, const ResponseHead &head);

// A whole answer with a one-line text body, "<status> <reason>: <why>\n";
// `why` is made one line (one_line). Carries what its status needs: Allow
// for 405, Retry-After for 429 and 503.
void append_text_answer(std::string &out, int status, std::string_view why, std::string_view server,
                        std::span<const HeaderField> fields, bool close, bool head_only);

// Control characters become \xNN and the text is cut at `limit` bytes: a
// reason often quotes what the client sent, and a decoded %0A must not
// start a line of its own.
std::string one_line(std::string_view text, size_t limit = 300);

}  // namespace observer::http
