#pragma once
// Writes a response head the way httplib 0.11 does, byte for byte, for the
// answers the server writes itself (quick_request.h): the same status line,
// and the fields in httplib's order, which is its header map's: names
// compared without case, equal names in the order they were set. Pure, so
// it is unit-tested against httplib's own output.
#include <span>
#include <string>
#include <string_view>

namespace observer::http {

struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// The reason phrase for `status`, as httplib writes it in its status line:
// the one table for every answer the server writes (quick answers, error
// pages, the event loop's refusals).
const char *status_message(int status);

// Sorts `fields` into httplib's order and appends
// "HTTP/1.1 <status> <reason>\r\n" "<name>: <value>\r\n"... "\r\n" to out.
void append_response_head(std::string &out, int status, std::span<HeaderField> fields);

}  // namespace observer::http
