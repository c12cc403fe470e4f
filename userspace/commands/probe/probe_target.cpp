#include "commands/probe/probe_target.h"

#include <charconv>

#include "common/text.h"

namespace observer::probe {

std::optional<ProbeTarget> parse_probe_target(std::string_view text, std::string &error) {
  ProbeTarget t;
  std::string_view rest = text;
  if (starts_with_ignoring_case(rest, "https://")) {
    error = "'" + std::string(text) + "': https is not supported by the probe yet; use http://";
    return std::nullopt;
  }
  if (starts_with_ignoring_case(rest, "http://")) rest.remove_prefix(7);
  else if (rest.find("://") != std::string_view::npos) {
    error = "'" + std::string(text) + "' is not an http:// URL or a HOST[:PORT]";
    return std::nullopt;
  }
  const size_t slash = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    t.path = std::string(rest.substr(slash));
    if (t.path.front() == '?') t.path.insert(0, "/");
  }
  std::string_view port_text;
  if (authority.starts_with("[")) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "'" + std::string(text) + "': an IPv6 address needs its closing ]";
      return std::nullopt;
    }
    t.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') {
      error = "'" + std::string(text) + "': expected :PORT after ]";
      return std::nullopt;
    }
    if (!after.empty()) port_text = after.substr(1);
  } else {
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos && authority.find(':', colon + 1) != std::string_view::npos) {
      error = "'" + std::string(text) + "': write an IPv6 address in brackets, [ADDR]:PORT";
      return std::nullopt;
    }
    t.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (t.host.empty()) {
    error = "'" + std::string(text) + "' names no host";
    return std::nullopt;
  }
  if (!port_text.empty()) {
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535) {
      error = "'" + std::string(text) + "': the port must be a number from 1 to 65535";
      return std::nullopt;
    }
    t.port = static_cast<uint16_t>(port);
  }
  for (const char c : t.path) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      error = "'" + std::string(text) + "': the path has a space or control character; percent-encode it";
      return std::nullopt;
    }
  }
  const bool v6 = t.host.find(':') != std::string::npos;
  t.host_field = (v6 ? "[" + t.host + "]" : t.host) + (t.port == 80 ? "" : ":" + std::to_string(t.port));
  return t;
}

}  // namespace observer::probe
