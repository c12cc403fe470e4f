#include "common/durations.h"

#include <cctype>
#include <charconv>

namespace observer {
namespace {
// Splits "12.5ms" into 12.5 and "ms". Only plain decimal digits with at most
// one dot are accepted: no signs, exponents, hex or whitespace.
bool split_number(std::string_view text, double &number, std::string_view &unit) {
  size_t i = 0;
  bool digits = false, dot = false;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
  }
  if (!digits || i > 20) return false;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (ec != std::errc() || end != text.data() + i) return false;
  unit = text.substr(i);
  return true;
}
}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string &error) {
  double number = 0;
  std::string_view unit;
  if (!split_number(text, number, unit)) {
    error = "'" + std::string(text) + "' is not a duration (examples: 500ms, 2s)";
    return std::nullopt;
  }
  double millis;
  if (unit == "ms") {
    millis = number;
  } else if (unit == "s") {
    millis = number * 1000.0;
  } else if (unit.empty() && number == 0) {
    millis = 0;
  } else {
    error = "'" + std::string(text) + "' needs a unit of ms or s (examples: 500ms, 2s)";
    return std::nullopt;
  }
  // Anything near int64's range is nonsense for a duration; refuse it before
  // the conversion, which would otherwise be undefined.
  if (millis > 1e15) {
    error = "'" + std::string(text) + "' is too long";
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<int64_t>(millis + 0.5));
}

std::optional<uint64_t> parse_byte_size(std::string_view text, std::string &error) {
  double number = 0;
  std::string_view unit;
  if (!split_number(text, number, unit)) {
    error = "'" + std::string(text) + "' is not a size (examples: 1024, 64K, 10M, 1G)";
    return std::nullopt;
  }
  // Units are exact: K, KB or KiB (any case), likewise M and G; none or B
  // for bytes. "10BB" is a typo, not 10 bytes.
  std::string u(unit);
  for (auto &c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  uint64_t multiplier;
  if (u.empty() || u == "B") {
    multiplier = 1;
  } else if (u == "K" || u == "KB" || u == "KIB") {
    multiplier = 1ull << 10;
  } else if (u == "M" || u == "MB" || u == "MIB") {
    multiplier = 1ull << 20;
  } else if (u == "G" || u == "GB" || u == "GIB") {
    multiplier = 1ull << 30;
  } else {
    error = "'" + std::string(text) + "' has an unknown unit (use K, M or G)";
    return std::nullopt;
  }
  const double bytes = number * static_cast<double>(multiplier);
  if (bytes > 1e18) {
    error = "'" + std::string(text) + "' is too large";
    return std::nullopt;
  }
  return static_cast<uint64_t>(bytes);
}

}  // namespace observer
