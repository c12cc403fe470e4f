#pragma once
// The one way every view answers 400: a status line a person can read, and
// a reason on exactly one line, whatever the client put in its request (the
// reason often quotes a parameter, and a decoded %0A must not start a line).
#include <httplib.h>

#include <string>
#include <string_view>

namespace observer::http {

// Control characters become \xNN and the text is cut at `limit` bytes.
std::string one_line(std::string_view text, size_t limit = 300);

void bad_request(httplib::Response &res, std::string_view why);

}  // namespace observer::http
