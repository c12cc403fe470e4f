#include "http/query_string.h"

namespace observer::http {
namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string &out) {
  out.clear();
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      const int hi = i + 1 < in.size() ? hex_value(in[i + 1]) : -1;
      const int lo = i + 2 < in.size() ? hex_value(in[i + 2]) : -1;
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return true;
}
}  // namespace

std::optional<QueryParams> parse_query(std::string_view query, std::string &error) {
  QueryParams params;
  size_t count = 0;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view piece = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (piece.empty()) continue;
    if (++count > kMaxQueryParams) {
      error = "more than " + std::to_string(kMaxQueryParams) + " query parameters";
      return std::nullopt;
    }
    const size_t eq = piece.find('=');
    std::string name, value;
    if (!percent_decode(piece.substr(0, eq), name) ||
        (eq != std::string_view::npos && !percent_decode(piece.substr(eq + 1), value))) {
      error = "a malformed percent-escape in the query";
      return std::nullopt;
    }
    params.emplace(std::move(name), std::move(value));
  }
  return params;
}

}  // namespace observer::http
