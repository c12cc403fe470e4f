// rfc3339 and write_rfc3339: the time in every checker answer, log line and
// streamed event, written without gmtime_r, checked against it.
#include "common/timestamp.h"

#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>
#include <string>

using namespace std::chrono;

namespace {
std::string by_gmtime(int64_t unix_ms) {
  const std::time_t seconds = unix_ms / 1000 - (unix_ms % 1000 < 0);
  const int64_t millis = unix_ms - static_cast<int64_t>(seconds) * 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  return out;
}
}  // namespace

TEST_CASE("rfc3339 writes UTC with milliseconds", "[timestamp]") {
  CHECK(observer::rfc3339(system_clock::time_point(milliseconds(1704164645678))) == "2024-01-02T03:04:05.678Z");
  CHECK(observer::rfc3339(system_clock::time_point(milliseconds(0))) == "1970-01-01T00:00:00.000Z");
}

TEST_CASE("write_rfc3339 agrees with gmtime_r across leap years, centuries and before 1970", "[timestamp]") {
  // 1900 and 2100 are not leap years, 2000 is; a step of just over 11 days
  // lands on every month end over these three centuries.
  for (int64_t ms = -2208988800000; ms < 4102444800000; ms += 977777777) {
    char out[observer::kRfc3339Length];
    const std::string text(out, observer::write_rfc3339(out, ms));
    INFO(ms);
    REQUIRE(text == by_gmtime(ms));
  }
  for (const int64_t ms : {951782400000LL, 951868799999LL, 4107542400000LL, -1LL, -1000LL, -86400001LL}) {
    char out[observer::kRfc3339Length];
    INFO(ms);
    CHECK(std::string(out, observer::write_rfc3339(out, ms)) == by_gmtime(ms));
  }
}
