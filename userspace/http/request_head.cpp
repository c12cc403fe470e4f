#include "http/request_head.h"

#include <cctype>
#include <charconv>
#include <optional>

namespace observer::http {
namespace {
bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The offset just past the empty line that ends the head, or npos. The
// search starts two bytes before `from`, where an ending may have begun.
size_t head_end(std::string_view b, size_t from) {
  const size_t start = from > 2 ? from - 2 : 0;
  for (size_t nl = b.find('\n', start); nl != std::string_view::npos; nl = b.find('\n', nl + 1)) {
    size_t next = nl + 1;
    if (next < b.size() && b[next] == '\r') ++next;
    if (next < b.size() && b[next] == '\n') return next + 1;
  }
  return std::string_view::npos;
}
}  // namespace

RequestHead find_request(std::string_view buffered, size_t max_bytes, size_t &scanned) {
  RequestHead r;
  const size_t end = head_end(buffered, scanned);
  if (end == std::string_view::npos) {
    scanned = buffered.size();
    r.status = buffered.size() >= max_bytes ? HeadStatus::too_large : HeadStatus::incomplete;
    return r;
  }
  if (end > max_bytes) {
    r.status = HeadStatus::too_large;
    return r;
  }
  const std::string_view head = buffered.substr(0, end);
  const size_t line_end = head.find('\n');

  std::optional<size_t> body;
  bool unknown_length = false;
  for (size_t pos = line_end + 1; pos < head.size();) {
    size_t eol = head.find('\n', pos);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view field = head.substr(pos, eol - pos);
    pos = eol + 1;
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = field.substr(0, colon), value = trim(field.substr(colon + 1));
    if (iequals(name, "Transfer-Encoding") || iequals(name, "Expect")) unknown_length = true;
    if (iequals(name, "Content-Length")) {
      size_t n = 0;
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      // Framed wrongly, the body would be read as the next request.
      if (ec != std::errc() || p != value.data() + value.size() || value.empty() || (body && *body != n)) {
        r.status = HeadStatus::bad_length;
        return r;
      }
      body = n;
    }
  }
  if (unknown_length) {
    r.status = HeadStatus::body_unknown;
    r.length = end;
    return r;
  }
  const size_t body_bytes = body.value_or(0);
  if (body_bytes > max_bytes - end) {
    r.status = HeadStatus::body_too_large;
    return r;
  }
  if (buffered.size() < end + body_bytes) return r;  // incomplete: the body is still arriving
  r.status = HeadStatus::complete;
  r.length = end + body_bytes;
  return r;
}

}  // namespace observer::http
