#pragma once
// The public checker: "/", "/download". Each answer describes the very
// connection it is sent on.
#include "http/http_server.h"

namespace observer::checker {

void install_checker_routes(http::HttpServer &server);

}  // namespace observer::checker
