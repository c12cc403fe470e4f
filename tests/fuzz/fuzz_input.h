#pragma once
// One fuzz input holds every buffer a decoder is given: the replies of a
// sock_diag dump in two recv() buffers, or the answers of the getsockopt
// calls on one socket. Each part but the last is a 4-byte little-endian
// length and that many bytes; the last part is whatever remains. A length
// that reaches past the input takes what is there, so every byte string is
// some valid split and the fuzzer never wastes an input on the framing.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <span>
#include <vector>

namespace observer::fuzz {

class InputParts {
 public:
  InputParts(const uint8_t *data, size_t size) : rest_(data, size) {}

  std::span<const uint8_t> next() {
    if (rest_.size() < sizeof(uint32_t)) {
      rest_ = rest_.subspan(rest_.size());
      return rest_;
    }
    uint32_t length = 0;
    for (size_t i = 0; i < sizeof length; ++i) length |= static_cast<uint32_t>(rest_[i]) << (8 * i);
    rest_ = rest_.subspan(sizeof length);
    const auto part = rest_.first(std::min<size_t>(length, rest_.size()));
    rest_ = rest_.subspan(part.size());
    return part;
  }
  std::span<const uint8_t> rest() {
    const auto part = rest_;
    rest_ = rest_.subspan(rest_.size());
    return part;
  }

 private:
  std::span<const uint8_t> rest_;
};

// The inverse, for the seed capture: frames parts the way InputParts reads them.
inline std::vector<uint8_t> join_parts(std::initializer_list<std::span<const uint8_t>> parts) {
  std::vector<uint8_t> out;
  size_t i = 0;
  for (const auto &p : parts) {
    if (++i < parts.size()) {
      for (size_t b = 0; b < sizeof(uint32_t); ++b) out.push_back(static_cast<uint8_t>(p.size() >> (8 * b)));
    }
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

// Invariants are checked with this rather than assert(), which a release
// build would compile out: a broken one must stop the fuzzer with the input
// that broke it.
#define FUZZ_CHECK(condition)                                                            \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

}  // namespace observer::fuzz
