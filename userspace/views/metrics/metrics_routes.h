#pragma once
// GET /metrics in the Prometheus text format.
#include "http/http_server.h"
#include "views/metrics/observer_metrics.h"

namespace observer::metrics {

void install_metrics_route(http::HttpServer &server, ObserverMetrics &metrics);

}  // namespace observer::metrics
