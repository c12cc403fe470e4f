#include "http/request_head.h"

#include <cctype>
#include <charconv>

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

// The offset just past the empty line that ends the head, or npos.
size_t head_end(std::string_view b) {
  for (size_t nl = b.find('\n'); nl != std::string_view::npos; nl = b.find('\n', nl + 1)) {
    size_t next = nl + 1;
    if (next < b.size() && b[next] == '\r') ++next;
    if (next < b.size() && b[next] == '\n') return next + 1;
  }
  return std::string_view::npos;
}
}  // namespace

RequestHead find_request(std::string_view buffered, size_t max_bytes) {
  RequestHead r;
  const size_t end = head_end(buffered);
  if (end == std::string_view::npos) {
    r.status = buffered.size() >= max_bytes ? HeadStatus::too_large : HeadStatus::incomplete;
    return r;
  }
  if (end > max_bytes) {
    r.status = HeadStatus::too_large;
    return r;
  }
  const std::string_view head = buffered.substr(0, end);
  const size_t line_end = head.find('\n');

  size_t body = 0;
  for (size_t pos = line_end + 1; pos < head.size();) {
    size_t eol = head.find('\n', pos);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view field = head.substr(pos, eol - pos);
    pos = eol + 1;
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = field.substr(0, colon), value = trim(field.substr(colon + 1));
    if (iequals(name, "Transfer-Encoding") || iequals(name, "Expect")) {
      r.status = HeadStatus::streamed;
      return r;
    }
    if (iequals(name, "Content-Length")) {
      const auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), body);
      // Unreadable: let httplib see the request and answer 400.
      if (ec != std::errc() || p != value.data() + value.size()) body = 0;
    }
  }
  if (body > max_bytes - end) {
    r.status = HeadStatus::too_large;
    return r;
  }
  if (buffered.size() < end + body) return r;  // incomplete: the body is still arriving
  r.status = HeadStatus::complete;
  r.length = end + body;
  return r;
}

}  // namespace observer::http
