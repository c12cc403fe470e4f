#include "views/checker/negotiation.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <vector>

#include "common/text.h"

namespace observer::checker {

const char *format_name(Format f) {
  switch (f) {
    case Format::text: return "text";
    case Format::json: return "json";
    case Format::html: return "html";
  }
  return "text";
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// q from ";q=0.8"; a missing or unreadable q counts as 1 (RFC 9110 12.4.2).
double quality_of(std::string_view params) {
  while (!params.empty()) {
    const auto semi = params.find(';');
    std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    if (p.size() > 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      double q = 1;
      const auto v = p.substr(2);
      if (std::from_chars(v.data(), v.data() + v.size(), q).ec == std::errc()) return std::clamp(q, 0.0, 1.0);
    }
  }
  return 1;
}
}  // namespace

std::optional<Format> choose_format(std::optional<std::string_view> format_param,
                                    std::string_view accept_header, std::string &error) {
  if (format_param) {
    const auto is = [&](std::string_view name) { return equals_ignoring_case(*format_param, name); };
    if (is("text") || is("txt") || is("plain")) return Format::text;
    if (is("json")) return Format::json;
    if (is("html")) return Format::html;
    error = "format must be text, json or html, not '" + std::string(*format_param) + "'";
    return std::nullopt;
  }
  // The best of the three types the client accepts; on a tie the one it
  // listed first. "*/*" alone (curl, wget) means text: a terminal shows it.
  struct Candidate { Format format; double q; size_t position; };
  std::vector<Candidate> candidates;
  size_t position = 0;
  std::string_view rest = accept_header;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const auto semi = item.find(';');
    const std::string_view type = trim(item.substr(0, semi));
    const auto is = [&](std::string_view name) { return equals_ignoring_case(type, name); };
    const double q = semi == std::string_view::npos ? 1.0 : quality_of(item.substr(semi + 1));
    if (q <= 0) continue;
    if (is("application/json")) candidates.push_back({Format::json, q, position});
    else if (is("text/html") || is("application/xhtml+xml")) candidates.push_back({Format::html, q, position});
    else if (is("text/plain")) candidates.push_back({Format::text, q, position});
    ++position;
  }
  if (candidates.empty()) return Format::text;
  const auto best = std::max_element(candidates.begin(), candidates.end(), [](const Candidate &a, const Candidate &b) {
    return a.q < b.q || (a.q == b.q && a.position > b.position);
  });
  return best->format;
}

}  // namespace observer::checker
