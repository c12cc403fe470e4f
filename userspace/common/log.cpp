#include "common/log.h"

#include "common/timestamp.h"

#include <unistd.h>

#include <atomic>
#include <string>

namespace observer::log {
namespace {
std::atomic<Level> min_level{Level::info};

const char *level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info ";
    case Level::warn: return "warn ";
    case Level::error: return "error";
  }
  return "?";
}
}  // namespace

void set_min_level(Level level) { min_level = level; }

void write(Level level, std::string_view component, std::string_view message) {
  if (level < min_level.load(std::memory_order_relaxed)) return;
  std::string line;
  line.reserve(64 + message.size());
  line.append(rfc3339_now()).append(" ").append(level_name(level)).append(" ");
  line.append(component).append(": ");
  // Keep one event on one line even if a message carries a newline.
  for (char c : message) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  line.push_back('\n');
  // A single write() keeps lines from different threads whole.
  [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace observer::log
