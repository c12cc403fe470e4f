#include "views/health_routes.h"

#include "common/version.h"
#include "http/bad_request.h"
#include "views/checker/query.h"

namespace observer {

nlohmann::ordered_json public_health_json(const std::vector<http::Listener> &listeners) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const auto &l : listeners) {
    nlohmann::ordered_json j;
    j["address"] = format_endpoint(l.address);
    j["transport"] = l.transport == http::Transport::mptcp ? "mptcp" : "tcp";
    j["tls"] = l.tls != nullptr;
    list.push_back(std::move(j));
  }
  nlohmann::ordered_json j;
  j["status"] = "serving";
  j["version"] = kVersion;
  j["listeners"] = std::move(list);
  return j;
}

namespace {
using json = nlohmann::ordered_json;

// A running source shows its counters; one that is off, why.
json bpf_json(const SourceHealth::Bpf &b) {
  if (!b.loaded) return {{"active", b.up}, {"reason", b.reason}};
  return {{"active", b.up}, {"cgroup", b.cgroup}, {"reads", b.reads}, {"events", b.events}, {"lost", b.lost}};
}

json sock_diag_json(const SourceHealth::SockDiag &d) {
  json j = {{"active", d.up}, {"runs", d.runs}, {"namespaces", d.namespaces}};
  if (!d.up && !d.reason.empty()) j["reason"] = d.reason;
  return j;
}

json pm_netlink_json(const SourceHealth::PmNetlink &p) {
  if (p.up) {
    return {{"active", true}, {"namespaces", p.namespaces}, {"listening", p.listening}, {"events", p.events},
            {"overruns", p.overruns}};
  }
  json j = {{"active", false}};
  if (!p.reason.empty()) j["reason"] = p.reason;
  return j;
}
}  // namespace

json sources_json(const SourceHealth &h) {
  return {{"bpf", bpf_json(h.bpf)},
          {"sock_diag", sock_diag_json(h.sock_diag)},
          {"getsockopt", {{"active", h.getsockopt.up}}},
          {"pm_netlink", pm_netlink_json(h.pm_netlink)},
          {"tracked_connections", h.tracked_connections}};
}

void install_public_health_route(http::HttpServer &server) {
  // The listeners are all added before this: the answer is rendered once.
  server.route("/healthz", [body = public_health_json(server.listeners()).dump(2) + "\n"](http::Exchange &ex) {
    std::string error;
    if (!checker::reject_any_params(ex.params(), error)) return ex.send_text(400, error);
    static constexpr http::HeaderField kNoStore[] = {{"Cache-Control", "no-store"}};
    ex.send(200, kNoStore, "application/json", body);
  });
}

void install_admin_health_route(http::HttplibServer &server, const http::HttpServer &checker,
                                std::function<SourceHealth()> sources) {
  server.get("/healthz", [&checker, sources](const httplib::Request &req, httplib::Response &res) {
    std::string error;
    if (!checker::reject_any_params(req.params, error)) return http::bad_request(res, error);
    nlohmann::ordered_json j = public_health_json(checker.listeners());
    // Why a listener is plain TCP: a host detail, for the operator.
    for (size_t i = 0; i < checker.listeners().size(); ++i) {
      const auto &reason = checker.listeners()[i].fallback_reason;
      if (!reason.empty()) j["listeners"][i]["note"] = reason;
    }
    j["sources"] = sources_json(sources());
    res.set_header("Cache-Control", "no-store");
    res.set_content(j.dump(2) + "\n", "application/json");
  });
}

}  // namespace observer
