#include "common/log.h"

#include "common/timestamp.h"

#include <unistd.h>

#include <atomic>
#include <string>

namespace observer::log {
namespace {
std::atomic<Level> min_level{Level::info};
std::atomic<Format> line_format{Format::text};

const char *level_name(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "?";
}

// JSON string contents: quotes, backslashes and control characters escaped.
void append_json_text(std::string &out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      out.append("\\u00");
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
}
}  // namespace

void set_min_level(Level level) { min_level = level; }
void set_format(Format format) { line_format = format; }

std::string format_line(Format format, std::string_view time, Level level, std::string_view component,
                        std::string_view message) {
  std::string line;
  line.reserve(64 + message.size());
  if (format == Format::json) {
    line.append("{\"time\":\"").append(time).append("\",\"level\":\"").append(level_name(level));
    line.append("\",\"component\":\"");
    append_json_text(line, component);
    line.append("\",\"message\":\"");
    append_json_text(line, message);
    line.append("\"}\n");
    return line;
  }
  std::string name = level_name(level);
  name.resize(5, ' ');  // "info " lines up with "debug"
  line.append(time).append(" ").append(name).append(" ").append(component).append(": ");
  // Keep one event on one line even if a message carries a newline.
  for (const char c : message) line.push_back(c == '\n' || c == '\r' ? ' ' : c);
  line.push_back('\n');
  return line;
}

void write(Level level, std::string_view component, std::string_view message) {
  if (level < min_level.load(std::memory_order_relaxed)) return;
  const std::string line = format_line(line_format.load(std::memory_order_relaxed), rfc3339_now(), level, component, message);
  // A single write() keeps lines from different threads whole.
  [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace observer::log
