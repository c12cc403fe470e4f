#pragma once
// The public checker: "/", "/download". Each answer describes the very
// connection it is sent on.
#include <chrono>
#include <functional>
#include <optional>
#include <string_view>

#include "http/http_server.h"
#include "sources/getsockopt/mptcp_status.h"
#include "views/checker/diagnosis.h"

namespace observer::checker {

// What the rest of the daemon knows of one checker connection beyond its
// socket.
struct ConnectionContext {
  // A moment before any of the connection's joins: when tracing saw it
  // established, or the first request the daemon heard of it; nullopt when
  // neither is known.
  std::optional<std::chrono::steady_clock::time_point> joins_since;
  // Tracing is on and has not reported every subflow yet (a join that just
  // arrived): their backup flags are still unknown.
  bool tracing_pending = false;
};

// Adds what only tracing knows (each subflow's handshake time and backup
// flag) to a status read with getsockopt, and says what else it knows.
using SubflowEnricher = std::function<ConnectionContext(MptcpStatus &status)>;

// The host's side of a diagnosis: the path manager, and how much the MIB
// counters rose since `since` (before the connection's joins, or a while back).
using HostViewSource = std::function<HostView(std::chrono::steady_clock::time_point since)>;

struct CheckerHooks {
  SubflowEnricher enrich;  // may be empty when tracing is off
  HostViewSource host;     // may be empty: a diagnosis from the socket alone
  // false when the listeners are plain TCP (no MPTCP on this host): every
  // client is then told that the server, not the client, is the cause.
  bool listener_mptcp = true;
  // Called once per answer to "/": result "mptcp", "tcp" or "error";
  // format "text", "json" or "html".
  std::function<void(std::string_view result, std::string_view format)> on_answer;
};

void install_checker_routes(http::HttpServer &server, CheckerHooks hooks);

}  // namespace observer::checker
