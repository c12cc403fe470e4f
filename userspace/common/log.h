#pragma once
// One event per line on stderr, readable by a person:
//   2026-11-25T04:50:01.123Z info  checker: listening on [::]:8684 (MPTCP)
// or, with --log-format json, one object per line for log pipelines:
//   {"time":"2026-11-25T04:50:01.123Z","level":"info","component":"checker","message":"..."}
#include <string>
#include <string_view>

namespace observer::log {

enum class Level { debug, info, warn, error };
enum class Format { text, json };

void set_min_level(Level level);
void set_format(Format format);
void write(Level level, std::string_view component, std::string_view message);
// The line write() emits at `time` (pure, for the tests).
std::string format_line(Format format, std::string_view time, Level level, std::string_view component,
                        std::string_view message);

inline void debug(std::string_view c, std::string_view m) { write(Level::debug, c, m); }
inline void info(std::string_view c, std::string_view m) { write(Level::info, c, m); }
inline void warn(std::string_view c, std::string_view m) { write(Level::warn, c, m); }
inline void error(std::string_view c, std::string_view m) { write(Level::error, c, m); }

}  // namespace observer::log
