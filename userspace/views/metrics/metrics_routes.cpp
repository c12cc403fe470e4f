#include "views/metrics/metrics_routes.h"

#include <chrono>
#include <memory>
#include <mutex>

#include "http/bad_request.h"
#include "views/checker/query.h"

namespace observer::metrics {
namespace {
constexpr const char *kExpositionType = "text/plain; version=0.0.4; charset=utf-8";
// Anyone can ask the public port for /metrics as often as they like, and a
// render reads /proc and every family: rendered at most this often, each
// request costs a copy. Prometheus scrapes every 15 s or more.
constexpr auto kPublicRenderInterval = std::chrono::seconds(1);

class RenderedMetrics {
 public:
  explicit RenderedMetrics(ObserverMetrics &metrics) : metrics_(metrics) {}
  std::shared_ptr<const std::string> get() {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(mu_);
    if (!text_ || now - rendered_at_ >= kPublicRenderInterval) {
      text_ = std::make_shared<const std::string>(metrics_.render(/*with_connections=*/false));
      rendered_at_ = now;
    }
    return text_;
  }

 private:
  ObserverMetrics &metrics_;
  std::mutex mu_;  // one render at a time; the loops wait for it rather than each render
  std::shared_ptr<const std::string> text_;
  std::chrono::steady_clock::time_point rendered_at_;
};
}  // namespace

void install_public_metrics_route(http::HttpServer &server, ObserverMetrics &metrics) {
  server.route("/metrics", [rendered = std::make_shared<RenderedMetrics>(metrics)](http::Exchange &ex) {
    std::string error;
    if (!checker::reject_any_params(ex.params(), error)) return ex.send_text(400, error);
    static constexpr http::HeaderField kNoStore[] = {{"Cache-Control", "no-store"}};
    ex.send(200, kNoStore, kExpositionType, *rendered->get());
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
