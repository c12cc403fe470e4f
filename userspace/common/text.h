#pragma once
// ASCII case-insensitive comparison, as HTTP field names and tokens are
// compared (RFC 9110 5.1): never locale-dependent.
#include <string>
#include <string_view>

namespace observer {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// A copy in lower case, for names kept to be compared later.
inline std::string ascii_lowered(std::string_view s) {
  std::string out(s);
  for (auto &c : out) c = ascii_lower(c);
  return out;
}

constexpr bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

constexpr bool starts_with_ignoring_case(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && equals_ignoring_case(s.substr(0, prefix.size()), prefix);
}

}  // namespace observer
