#pragma once
// ASCII case-insensitive comparison, as HTTP field names and tokens are
// compared (RFC 9110 5.1): never locale-dependent; and a writer of
// fixed-shape text.
#include <charconv>
#include <cstring>
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

// Writes pieces into room the caller reserved beforehand, without a length
// check or a growth per piece: for text of a known greatest length written
// on every answer or event (a response head, a streamed event).
struct RoomWriter {
  char *at;
  void put(std::string_view text) {
    std::memcpy(at, text.data(), text.size());
    at += text.size();
  }
  void put(char c) { *at++ = c; }
  template <typename Integer>
  void put_number(Integer v) {
    at = std::to_chars(at, at + 24, v).ptr;  // 24: the widest 64-bit integer, with its sign
  }
};

}  // namespace observer
