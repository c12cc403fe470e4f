#include "views/metrics/metrics_routes.h"

#include "http/bad_request.h"
#include "views/checker/query.h"

namespace observer::metrics {

void install_metrics_route(http::HttpServer &server, ObserverMetrics &metrics, bool with_connections) {
  server.route_get("/metrics", [&metrics, with_connections](const httplib::Request &req, httplib::Response &res) {
    std::string error;
    if (!checker::reject_any_params(req.params, error)) {
      return http::bad_request(res, error);
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(metrics.render(with_connections), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace observer::metrics
