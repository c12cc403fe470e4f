#pragma once
// One event per line on stderr, readable by a person:
//   2026-11-25T04:50:01.123Z info  checker: listening on [::]:8684 (MPTCP)
#include <string_view>

namespace observer::log {

enum class Level { debug, info, warn, error };

void set_min_level(Level level);
void write(Level level, std::string_view component, std::string_view message);

inline void debug(std::string_view c, std::string_view m) { write(Level::debug, c, m); }
inline void info(std::string_view c, std::string_view m) { write(Level::info, c, m); }
inline void warn(std::string_view c, std::string_view m) { write(Level::warn, c, m); }
inline void error(std::string_view c, std::string_view m) { write(Level::error, c, m); }

}  // namespace observer::log
