// Durations and sizes as users write them in flags and query strings
// (?wait=1.5s, /download?size=10M): every input goes to both parsers.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/durations.h"
#include "fuzz_input.h"

using namespace observer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const std::string_view text(reinterpret_cast<const char *>(data), size);

  std::string error;
  if (const auto duration = parse_duration(text, error)) {
    FUZZ_CHECK(error.empty());
    // Never negative, never beyond the bound the parser promises.
    FUZZ_CHECK(duration->count() >= 0 && duration->count() <= 1000000000000000);
    // The value reads back as itself in the unit we print.
    std::string again_error;
    FUZZ_CHECK(parse_duration(std::to_string(duration->count()) + "ms", again_error) == duration);
  } else {
    FUZZ_CHECK(!error.empty());
  }

  error.clear();
  if (const auto bytes = parse_byte_size(text, error)) {
    FUZZ_CHECK(error.empty());
    FUZZ_CHECK(*bytes <= 1000000000000000000ull);
    std::string again_error;
    FUZZ_CHECK(parse_byte_size(std::to_string(*bytes), again_error) == bytes);
  } else {
    FUZZ_CHECK(!error.empty());
  }
  return 0;
}
