#pragma once
// The public checker: "/", "/download". Each answer describes the very
// connection it is sent on.
#include <functional>
#include <string_view>

#include "http/http_server.h"
#include "sources/getsockopt/mptcp_status.h"

namespace observer::checker {

// Adds what only tracing knows (each subflow's handshake time) to a status
// read with getsockopt; may be empty when tracing is off.
using SubflowEnricher = std::function<void(MptcpStatus &status)>;

struct CheckerHooks {
  SubflowEnricher enrich;
  // Called once per answer to "/": result "mptcp", "tcp" or "error";
  // format "text", "json" or "html".
  std::function<void(std::string_view result, std::string_view format)> on_answer;
};

void install_checker_routes(http::HttpServer &server, CheckerHooks hooks);

}  // namespace observer::checker
