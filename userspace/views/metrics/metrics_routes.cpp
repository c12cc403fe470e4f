#include "views/metrics/metrics_routes.h"

#include "views/checker/query.h"

namespace observer::metrics {

void install_metrics_route(http::HttpServer &server, ObserverMetrics &metrics) {
  server.route_get("/metrics", [&metrics](const httplib::Request &req, httplib::Response &res) {
    std::string error;
    if (!checker::reject_any_params(req.params, error)) {
      res.status = 400;
      res.set_content("400 Bad Request: " + error + "\n", "text/plain; charset=utf-8");
      return;
    }
    res.set_header("Cache-Control", "no-store");
    res.set_content(metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace observer::metrics
