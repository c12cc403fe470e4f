#pragma once
// The daemon's flags: each declared once in options.cpp, with its help,
// range and default; this struct's initialisers are the defaults.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/defaults.h"
#include "common/log.h"
#include "common/socket_address.h"
#include "mptcp_events.h"  // MPO_DEFAULT_RINGBUF_BYTES

namespace observer {

// The checker's address when neither --listen nor --listen-tls is given.
inline constexpr std::string_view kDefaultCheckerListen = defaults::kCheckerListen;
// The admin listener's default: loopback only, its answers name clients.
inline constexpr std::string_view kDefaultAdminListen = defaults::kAdminListen;

struct Options {
  // Checker addresses, plain HTTP and HTTPS; kDefaultCheckerListen (plain)
  // when neither is given.
  std::vector<SocketAddress> checker_listen;
  std::vector<SocketAddress> checker_listen_tls;
  std::string tls_certificate, tls_key;  // PEM files; set exactly when checker_listen_tls is not empty
  std::optional<SocketAddress> admin_listen = default_admin_listen();  // --admin-listen '' disables
  size_t max_connections = defaults::kMaxConnections;
  size_t max_connections_per_client = defaults::kMaxConnectionsPerClient;
  // Answers that wait or stream (?wait, /download), in all and per client
  // address: each holds a connection's buffers and is polled or pushed.
  size_t max_waiting = defaults::kMaxWaiting;
  size_t max_waiting_per_client = defaults::kMaxWaitingPerClient;
  log::Level log_level = log::Level::info;
  log::Format log_format = log::Format::text;
  bool public_metrics = true;       // /metrics on the checker port too
  // A plain TCP home for /metrics (aggregates) and /healthz, safe to expose:
  // Prometheus scraping the checker's MPTCP port counts as a fallback.
  std::optional<SocketAddress> metrics_listen;
  size_t connection_metrics = 0;    // per-connection series cap; 0 = off
  // tracing
  bool bpf = true;
  std::string cgroup;  // empty: the root of the cgroup2 mount
  bool bpf_probe_reads = false;  // the probe-read build even where the typed one loads
  uint32_t bpf_ringbuf_bytes = MPO_DEFAULT_RINGBUF_BYTES;
  size_t max_tracked_connections = defaults::kMaxTrackedConnections;
  std::chrono::milliseconds reconcile_interval = defaults::kReconcileInterval;
  std::string netns_dir{defaults::kNamedNetnsDir};

  static SocketAddress default_admin_listen();
};

struct ParsedOptions {
  Options options;
  bool show_help = false;
  bool show_version = false;
  std::string error;  // one line saying what to change; empty when fine
  std::vector<std::string> warnings;  // flags accepted but no longer used
};

ParsedOptions parse_options(const std::vector<std::string> &args);
std::string help_text();

}  // namespace observer
