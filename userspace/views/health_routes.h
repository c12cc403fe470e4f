#pragma once
// GET /healthz. The checker port's says only that it serves and on which
// listeners: anyone can read it. The admin listener's also names each data
// source, its counters and why one is off (cgroup paths, namespace names).
#include <nlohmann/json.hpp>

#include <functional>
#include <vector>

#include "http/http_server.h"
#include "http/httplib_server.h"
#include "views/source_health.h"

namespace observer {

// status, version, and each listener's address and transport.
nlohmann::ordered_json public_health_json(const std::vector<http::Listener> &listeners);
// Each data source, whether it is active, its counters or why it is off;
// and how many connections the table tracks.
nlohmann::ordered_json sources_json(const SourceHealth &health);

// After every listener is added.
void install_public_health_route(http::HttpServer &server);
// `sources` takes the data sources' state at each request.
void install_admin_health_route(http::HttplibServer &server, const http::HttpServer &checker,
                                std::function<SourceHealth()> sources);

}  // namespace observer
