#pragma once
#include <chrono>
#include <string>

namespace observer {

// RFC 3339 in UTC with milliseconds: 2026-11-25T04:50:01.123Z
std::string rfc3339(std::chrono::system_clock::time_point t);
inline std::string rfc3339_now() { return rfc3339(std::chrono::system_clock::now()); }

}  // namespace observer
