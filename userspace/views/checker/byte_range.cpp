#include "views/checker/byte_range.h"

#include <charconv>

namespace observer::checker {
namespace {
std::optional<uint64_t> number(std::string_view s) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}
}  // namespace

std::optional<ByteRange> parse_single_range(std::string_view header, uint64_t size) {
  constexpr std::string_view kUnit = "bytes=";
  if (!header.starts_with(kUnit) || size == 0) return std::nullopt;
  const std::string_view spec = header.substr(kUnit.size());
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view first_text = spec.substr(0, dash), last_text = spec.substr(dash + 1);
  if (first_text.empty()) {  // the last N bytes
    const auto suffix = number(last_text);
    if (!suffix || *suffix == 0) return std::nullopt;
    return ByteRange{*suffix >= size ? 0 : size - *suffix, size - 1};
  }
  const auto first = number(first_text);
  if (!first || *first >= size) return std::nullopt;
  if (last_text.empty()) return ByteRange{*first, size - 1};
  const auto last = number(last_text);
  if (!last || *last < *first) return std::nullopt;
  return ByteRange{*first, *last >= size ? size - 1 : *last};
}

}  // namespace observer::checker
