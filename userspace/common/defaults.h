#pragma once
// Defaults that more than one layer states: the daemon's flags show them in
// --help, and the layers that take the values start from them, so that a
// library used without the flags (a test, a command) behaves as the daemon
// does by default.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace observer::defaults {

// The checker's port, and the admin listener (loopback only: its answers
// name clients). `probe` and `diagnose` reach a daemon on them.
inline constexpr uint16_t kCheckerPort = 8684;
inline constexpr std::string_view kCheckerListen = "[::]:8684";
inline constexpr std::string_view kAdminListen = "127.0.0.1:8685";

// Client connections of the checker, in all and per client address.
inline constexpr size_t kMaxConnections = 20000;
inline constexpr size_t kMaxConnectionsPerClient = 1024;
// Answers that wait or stream (?wait, /download), in all and per client.
inline constexpr size_t kMaxWaiting = 1024;
inline constexpr size_t kMaxWaitingPerClient = 4;

// The connection table's cap, and how often sock_diag repairs it.
inline constexpr size_t kMaxTrackedConnections = 262144;
inline constexpr std::chrono::milliseconds kReconcileInterval{10000};

// Where `ip netns` names network namespaces.
inline constexpr std::string_view kNamedNetnsDir = "/run/netns";

}  // namespace observer::defaults
