#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace observer {

// RFC 3339 in UTC with milliseconds: 2026-11-25T04:50:01.123Z
std::string rfc3339(std::chrono::system_clock::time_point t);
inline std::string rfc3339_now() { return rfc3339(std::chrono::system_clock::now()); }

// The same, its kRfc3339Length characters written at `p` for `unix_ms`
// milliseconds since the epoch (negative before it); returns the end. No
// gmtime_r or printf: the checker writes one per answer and the event
// stream one per event.
inline constexpr size_t kRfc3339Length = 24;
char *write_rfc3339(char *p, int64_t unix_ms);

}  // namespace observer
