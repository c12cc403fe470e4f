#include "views/health_routes.h"

#include <nlohmann/json.hpp>

#include "common/version.h"
#include "http/bad_request.h"
#include "views/checker/query.h"

namespace observer {

void install_health_routes(http::HttpServer &server, std::function<nlohmann::ordered_json()> sources) {
  server.route_get("/healthz", [&server, sources](const httplib::Request &req, httplib::Response &res) {
    std::string error;
    if (!checker::reject_any_params(req.params, error)) {
      return http::bad_request(res, error);
    }
    nlohmann::ordered_json listeners = nlohmann::ordered_json::array();
    for (const auto &l : server.listeners()) {
      nlohmann::ordered_json j;
      j["address"] = format_endpoint(l.address);
      j["transport"] = l.transport == http::Transport::mptcp ? "mptcp" : "tcp";
      if (!l.fallback_reason.empty()) j["note"] = l.fallback_reason;
      listeners.push_back(std::move(j));
    }
    nlohmann::ordered_json j;
    j["status"] = "serving";
    j["version"] = kVersion;
    j["listeners"] = std::move(listeners);
    j["sources"] = sources();
    res.set_header("Cache-Control", "no-store");
    res.set_content(j.dump(2) + "\n", "application/json");
  });
}

}  // namespace observer
