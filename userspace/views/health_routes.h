#pragma once
// GET /healthz: 200 with a JSON account of what is serving.
#include "http/http_server.h"

namespace observer {

void install_health_routes(http::HttpServer &server);

}  // namespace observer
