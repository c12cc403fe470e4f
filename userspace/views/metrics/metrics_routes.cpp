#include "views/metrics/metrics_routes.h"

#include "http/bad_request.h"
#include "views/checker/query.h"

namespace observer::metrics {
namespace {
constexpr const char *kExpositionType = "text/plain; version=0.0.4; charset=utf-8";
}

void install_public_metrics_route(http::HttpServer &server, ObserverMetrics &metrics) {
  server.route("/metrics", [&metrics](http::Exchange &ex) {
    std::string error;
    if (!checker::reject_any_params(ex.params(), error)) return ex.send_text(400, error);
    static constexpr http::HeaderField kNoStore[] = {{"Cache-Control", "no-store"}};
    ex.send(200, kNoStore, kExpositionType, metrics.render(/*with_connections=*/false));
  });
}

void install_admin_metrics_route(http::HttplibServer &server, ObserverMetrics &metrics) {
  server.get("/metrics", [&metrics](const httplib::Request &req, httplib::Response &res) {
    std::string error;
    if (!checker::reject_any_params(req.params, error)) return http::bad_request(res, error);
    res.set_header("Cache-Control", "no-store");
    res.set_content(metrics.render(/*with_connections=*/true), kExpositionType);
  });
}

}  // namespace observer::metrics
