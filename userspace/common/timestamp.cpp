#include "common/timestamp.h"

#include <cstring>

namespace observer {
namespace {
// Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil
// inverted, proleptic Gregorian).
void civil_from_days(int64_t days, int64_t &year, unsigned &month, unsigned &day) {
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  day = doy - (153 * mp + 2) / 5 + 1;
  month = mp < 10 ? mp + 3 : mp - 9;
  year = static_cast<int64_t>(yoe) + era * 400 + (month <= 2);
}

void put_digits(char *at, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i, value /= 10) at[i] = static_cast<char>('0' + value % 10);
}

int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0); }
}  // namespace

char *write_rfc3339(char *p, int64_t unix_ms) {
  const int64_t days = floor_div(unix_ms, 86400000);
  const auto ms_of_day = static_cast<unsigned>(unix_ms - days * 86400000);
  int64_t year;
  unsigned month, day;
  civil_from_days(days, year, month, day);
  static constexpr char kShape[] = "0000-00-00T00:00:00.000Z";
  static_assert(sizeof kShape - 1 == kRfc3339Length);
  std::memcpy(p, kShape, kRfc3339Length);
  put_digits(p, static_cast<unsigned>(year), 4);
  put_digits(p + 5, month, 2);
  put_digits(p + 8, day, 2);
  put_digits(p + 11, ms_of_day / 3600000, 2);
  put_digits(p + 14, ms_of_day / 60000 % 60, 2);
  put_digits(p + 17, ms_of_day / 1000 % 60, 2);
  put_digits(p + 20, ms_of_day % 1000, 3);
  return p + kRfc3339Length;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  char out[kRfc3339Length];
  return std::string(out, write_rfc3339(out, duration_cast<milliseconds>(t.time_since_epoch()).count()));
}

}  // namespace observer
