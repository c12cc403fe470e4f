#include "http/quick_request.h"

#include <httplib.h>  // its line limits, which this must match

namespace observer::http {
namespace {
// httplib's limits on the request line (CPPHTTPLIB_REQUEST_URI_MAX_LENGTH,
// 414) and on one header line (CPPHTTPLIB_HEADER_MAX_LENGTH, 400). Both
// count the line with its CRLF (process_request and read_headers compare
// stream_line_reader::size(), which includes it). A longer line is
// httplib's error to report, not ours.
constexpr size_t kMaxRequestLine = CPPHTTPLIB_REQUEST_URI_MAX_LENGTH;
constexpr size_t kMaxHeaderLine = CPPHTTPLIB_HEADER_MAX_LENGTH;
constexpr size_t kCrlf = 2;

bool equals_ignoring_case(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

bool is_space_or_tab(char c) { return c == ' ' || c == '\t'; }

// A path httplib would take as it is: no query, no percent-encoding, no
// control characters or spaces.
bool plain_path(std::string_view p) {
  if (p.empty() || p.front() != '/') return false;
  for (const char c : p) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '%' || c == '#') return false;
  }
  return true;
}

// Headers that make httplib do more than route a bare GET: read a body,
// answer 100 Continue, cut ranges, compress.
bool changes_the_answer(std::string_view name) {
  for (const char *n : {"content-length", "transfer-encoding", "expect", "range", "accept-encoding"}) {
    if (equals_ignoring_case(name, n)) return true;
  }
  return false;
}
}  // namespace

std::optional<QuickRequest> parse_quick_request(std::string_view head) {
  QuickRequest r;
  const size_t line_end = head.find("\r\n");
  if (line_end == std::string_view::npos || line_end + kCrlf > kMaxRequestLine) return std::nullopt;
  std::string_view line = head.substr(0, line_end);
  if (line.starts_with("GET ")) {
    line.remove_prefix(4);
  } else if (line.starts_with("HEAD ")) {
    r.head = true;
    line.remove_prefix(5);
  } else {
    return std::nullopt;
  }
  constexpr std::string_view kVersion = " HTTP/1.1";
  if (!line.ends_with(kVersion)) return std::nullopt;
  line.remove_suffix(kVersion.size());
  if (!plain_path(line)) return std::nullopt;
  r.path = line;

  bool seen_accept = false, seen_connection = false;
  size_t pos = line_end + 2;
  for (;;) {
    const size_t end = head.find("\r\n", pos);
    if (end == std::string_view::npos) return std::nullopt;
    const std::string_view field = head.substr(pos, end - pos);
    pos = end + 2;
    if (field.empty()) break;
    if (field.size() + kCrlf > kMaxHeaderLine) return std::nullopt;
    // A bare CR or LF inside a line, or a folded line: httplib's business.
    if (field.find_first_of("\r\n") != std::string_view::npos || is_space_or_tab(field.front())) return std::nullopt;
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    const std::string_view name = field.substr(0, colon);
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() && is_space_or_tab(value.front())) value.remove_prefix(1);
    while (!value.empty() && is_space_or_tab(value.back())) value.remove_suffix(1);
    if (changes_the_answer(name)) return std::nullopt;
    const bool accept = equals_ignoring_case(name, "accept");
    const bool connection = !accept && equals_ignoring_case(name, "connection");
    if (!accept && !connection) continue;
    // httplib percent-decodes header values, drops empty ones and reads
    // the first of several: rare enough to leave to it.
    if (value.empty() || value.find('%') != std::string_view::npos) return std::nullopt;
    bool &seen = accept ? seen_accept : seen_connection;
    if (seen) return std::nullopt;
    seen = true;
    if (accept) r.accept = value;
    else r.connection_close = value == "close";
  }
  // Nothing may follow the head: no body was announced, so anything here
  // would mean find_request and we disagree about where the request ends.
  if (pos != head.size()) return std::nullopt;
  return r;
}

}  // namespace observer::http
