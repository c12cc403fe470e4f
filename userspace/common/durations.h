#pragma once
// Human-sized quantities in query strings and flags: "500ms", "2s", "10M".
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace observer {

// "250ms", "2s", "1.5s", "0". Units are required except for 0.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text, std::string &error);

// "1024", "64K", "10M", "1G" (binary multiples; a trailing "B" or "iB" is accepted).
std::optional<uint64_t> parse_byte_size(std::string_view text, std::string &error);

}  // namespace observer
