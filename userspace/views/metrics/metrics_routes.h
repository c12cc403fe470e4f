#pragma once
// GET /metrics in the Prometheus text format, on either listener.
#include "http/http_server.h"
#include "http/httplib_server.h"
#include "views/metrics/observer_metrics.h"

namespace observer::metrics {

// The checker port's: aggregates only, never a series that names a client.
void install_public_metrics_route(http::HttpServer &server, ObserverMetrics &metrics);
// The admin listener's: with the opt-in per-connection series.
void install_admin_metrics_route(http::HttplibServer &server, ObserverMetrics &metrics);

}  // namespace observer::metrics
