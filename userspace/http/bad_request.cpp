#include "http/bad_request.h"

#include <cstdio>

namespace observer::http {

std::string one_line(std::string_view text, size_t limit) {
  std::string out;
  for (const char ch : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
      out += escaped;
    } else {
      out += ch;
    }
  }
  return out;
}

void bad_request(httplib::Response &res, std::string_view why) {
  res.status = 400;
  res.set_content("400 Bad Request: " + one_line(why) + "\n", "text/plain; charset=utf-8");
}

}  // namespace observer::http
