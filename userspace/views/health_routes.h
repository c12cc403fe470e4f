#pragma once
// GET /healthz: 200 with a JSON account of what is serving.
#include <nlohmann/json.hpp>

#include <functional>

#include "http/http_server.h"

namespace observer {

// `sources` reports each data source and whether it is active.
void install_health_routes(http::HttpServer &server, std::function<nlohmann::ordered_json()> sources);

}  // namespace observer
