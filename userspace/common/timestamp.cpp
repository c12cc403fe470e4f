#include "common/timestamp.h"

#include <ctime>

namespace observer {

std::string rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const std::time_t seconds = system_clock::to_time_t(t);
  auto millis = duration_cast<milliseconds>(t.time_since_epoch()).count() % 1000;
  if (millis < 0) millis += 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char out[64];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis));
  return out;
}

}  // namespace observer
