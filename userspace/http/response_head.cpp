#include "http/response_head.h"

#include <algorithm>
#include <charconv>

namespace observer::http {

const char *status_message(int status) {
  // httplib 0.11's phrases (its detail::status_message, compiled into
  // libcpp-httplib and not declared in its header), for every status this
  // server sends or httplib sends for it; quick_answer_test checks each
  // against httplib's own status line.
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Internal Server Error";  // httplib's default, too
  }
}

void append_response_head(std::string &out, int status, std::span<HeaderField> fields) {
  // httplib's detail::ci: tolower on each byte, then lexicographic.
  const auto lower = [](unsigned char c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; };
  std::stable_sort(fields.begin(), fields.end(), [&](const HeaderField &a, const HeaderField &b) {
    return std::lexicographical_compare(a.name.begin(), a.name.end(), b.name.begin(), b.name.end(),
                                        [&](unsigned char x, unsigned char y) { return lower(x) < lower(y); });
  });
  size_t size = 32;
  for (const auto &f : fields) size += f.name.size() + f.value.size() + 4;
  out.reserve(out.size() + size);
  char code[8];
  const auto [end, ec] = std::to_chars(code, code + sizeof code, status);
  out.append("HTTP/1.1 ").append(code, end).append(" ").append(status_message(status)).append("\r\n");
  for (const auto &f : fields) out.append(f.name).append(": ").append(f.value).append("\r\n");
  out.append("\r\n");
}

}  // namespace observer::http
