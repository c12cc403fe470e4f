#pragma once
// GET /healthz. The checker port's says only that it serves and on which
// listeners: anyone can read it. The admin listener's also names each data
// source, its counters and why one is off (cgroup paths, namespace names).
#include <nlohmann/json.hpp>

#include <functional>
#include <vector>

#include "http/http_server.h"
#include "http/httplib_server.h"

namespace observer {

// status, version, and each listener's address and transport.
nlohmann::ordered_json public_health_json(const std::vector<http::Listener> &listeners);

// After every listener is added.
void install_public_health_route(http::HttpServer &server);
// `sources` reports each data source and whether it is active.
void install_admin_health_route(http::HttplibServer &server, const http::HttpServer &checker,
                                std::function<nlohmann::ordered_json()> sources);

}  // namespace observer
