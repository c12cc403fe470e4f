#pragma once
// The one Range form /download serves (RFC 9110 14.1.2): a single range of
// bytes. Several ranges would make one small request ask for a large
// multipart answer, so they are refused like an unsatisfiable one. Pure.
#include <cstdint>
#include <optional>
#include <string_view>

namespace observer::checker {

struct ByteRange {
  uint64_t first = 0, last = 0;  // inclusive
};

// "bytes=F-L", "bytes=F-" or "bytes=-N" within a body of `size` bytes (L
// past the end is cut to it); nullopt for anything else.
std::optional<ByteRange> parse_single_range(std::string_view header, uint64_t size);

}  // namespace observer::checker
