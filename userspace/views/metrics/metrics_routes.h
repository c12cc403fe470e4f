#pragma once
// GET /metrics in the Prometheus text format.
#include "http/http_server.h"
#include "views/metrics/observer_metrics.h"

namespace observer::metrics {

// with_connections: include the opt-in per-connection series (admin only).
void install_metrics_route(http::HttpServer &server, ObserverMetrics &metrics, bool with_connections);

}  // namespace observer::metrics
