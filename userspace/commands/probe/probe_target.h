#pragma once
// What `mptcp-observer probe` connects to: an http:// URL, or a bare host
// (then the checker's port and "/"). Pure.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/defaults.h"
namespace observer::probe {

inline constexpr uint16_t kCheckerPort = defaults::kCheckerPort;

struct ProbeTarget {
  std::string host;        // without brackets
  uint16_t port = kCheckerPort;
  std::string path = "/";  // with its query, as sent
  std::string host_field;  // the Host field's value: "host" or "host:port", IPv6 bracketed
};

// "http://HOST[:PORT][/PATH]", "HOST", "HOST:PORT", "[V6]:PORT". nullopt
// with a one-line `error` otherwise (https:// until the probe speaks TLS).
std::optional<ProbeTarget> parse_probe_target(std::string_view text, std::string &error);

}  // namespace observer::probe
