// What a request's target and fields become in the checker: the query
// string, its parameters for "/" and "/download", the Accept field's
// format, and the one Range /download serves.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_input.h"
#include "http/query_string.h"
#include "views/checker/byte_range.h"
#include "views/checker/negotiation.h"
#include "views/checker/query.h"

using namespace observer;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::InputParts parts(data, size);
  const auto as_text = [](std::span<const uint8_t> s) {
    return std::string_view(reinterpret_cast<const char *>(s.data()), s.size());
  };
  const std::string_view query = as_text(parts.next());
  const std::string_view accept = as_text(parts.next());
  const std::string_view range = as_text(parts.rest());

  std::string error;
  if (const auto params = http::parse_query(query, error)) {
    FUZZ_CHECK(params->size() <= http::kMaxQueryParams);
    std::string why;
    if (const auto q = checker::parse_checker_query(*params, why)) {
      FUZZ_CHECK(q->wait >= std::chrono::milliseconds(0) && q->wait <= checker::kMaxWait);
      std::string format_error;
      const auto format = checker::choose_format(q->format ? std::optional<std::string_view>(*q->format) : std::nullopt,
                                                 accept, format_error);
      FUZZ_CHECK(format.has_value() != !format_error.empty() || format.has_value());
    } else {
      FUZZ_CHECK(!why.empty());
    }
    why.clear();
    if (const auto d = checker::parse_download_query(*params, why)) {
      FUZZ_CHECK(d->size <= checker::kMaxDownloadBytes);
      if (const auto r = checker::parse_single_range(range, d->size)) {
        FUZZ_CHECK(r->first <= r->last && r->last < d->size);
      }
    } else {
      FUZZ_CHECK(!why.empty());
    }
  } else {
    FUZZ_CHECK(!error.empty());
  }
  return 0;
}
