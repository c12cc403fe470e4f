#include "views/admin/admin_routes.h"

#include <charconv>

#include "common/mptcp_terms.h"
#include "http/bad_request.h"
#include "views/admin/json_dump.h"
#include "views/admin/table_json.h"
#include "views/checker/query.h"

namespace observer::admin {
namespace {
using http::bad_request;
template <typename T>
bool parse_number(std::string_view text, T &out, int base = 10) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

std::optional<uint32_t> netns_filter(const httplib::Request &req, std::string &error) {
  if (!req.has_param("netns")) return std::nullopt;
  uint32_t v = 0;
  if (!parse_number(req.get_param_value("netns"), v)) {
    error = "netns must be a namespace inode number";
    return std::nullopt;
  }
  return v;
}

void serve_connections(LockedConnectionTable &table, const std::function<LocalSetup()> &local_setup,
                       const httplib::Request &req, httplib::Response &res) {
  std::string error;
  if (!checker::check_param_names(req.params, {"limit", "after", "netns"}, error)) return bad_request(res, error);
  size_t limit = kDefaultPageSize;
  if (req.has_param("limit") && (!parse_number(req.get_param_value("limit"), limit) || limit < 1 || limit > kMaxPageSize)) {
    return bad_request(res, "limit must be a number from 1 to " + std::to_string(kMaxPageSize));
  }
  std::optional<ConnectionKey> after;
  if (req.has_param("after")) {
    const std::string v = req.get_param_value("after");
    const auto colon = v.find(':');
    ConnectionKey k;
    if (colon == std::string::npos || !parse_number(std::string_view(v).substr(0, colon), k.netns) ||
        !parse_number(std::string_view(v).substr(colon + 1), k.token, 16)) {
      return bad_request(res, "after must be NETNS:TOKEN as given in next_after");
    }
    after = k;
  }
  const auto netns = netns_filter(req, error);
  if (!error.empty()) return bad_request(res, error);
  if (netns && !after) after = ConnectionKey{*netns, 0};

  // Copy one page under the lock, render outside it.
  auto [page, total] = table.with([&](const ConnectionTable &t) {
    auto p = t.page(after, limit + 1);
    if (netns) {
      std::erase_if(p, [&](const ConnectionRecord &c) { return c.key.netns != *netns; });
    }
    return std::make_pair(std::move(p), t.size());
  });
  const bool more = page.size() > limit;
  if (more) page.resize(limit);
  // Read once for the page: the diagnosis of each connection in the
  // daemon's namespace uses it, none reads the host itself.
  const LocalSetup setup = local_setup ? local_setup() : LocalSetup{};
  const auto clock = Clock::now();
  nlohmann::ordered_json j;
  auto list = nlohmann::ordered_json::array();
  for (const auto &c : page) list.push_back(connection_json(c, clock, &setup));
  j["connections"] = std::move(list);
  j["total"] = total;
  if (more) {
    j["next_after"] = std::to_string(page.back().key.netns) + ":" + format_token(page.back().key.token);
  } else {
    j["next_after"] = nullptr;
  }
  std::string body = dump_pretty(j, (page.size() + 1) * kExpectedBytesPerConnection);
  body += '\n';
  res.set_header("Cache-Control", "no-store");
  res.set_content(body, "application/json");
}

// Room for one event's frame: its JSON at its longest, and the SSE lines.
constexpr size_t kEventFrameBytes = 768;

void serve_events(const http::HttplibServer &server, EventHub &hub, const httplib::Request &req,
                  httplib::Response &res) {
  std::string error;
  if (!checker::check_param_names(req.params, {"netns"}, error)) return bad_request(res, error);
  const auto netns = netns_filter(req, error);
  if (!error.empty()) return bad_request(res, error);
  auto subscription = hub.subscribe();
  if (!subscription) {
    res.status = 503;
    res.set_content("503 Service Unavailable: too many event streams open\n", "text/plain; charset=utf-8");
    return;
  }
  res.set_header("Cache-Control", "no-store");
  res.set_chunked_content_provider(
      "text/event-stream", [&server, subscription, netns, out = std::string()](size_t, httplib::DataSink &sink) mutable {
        if (server.stopping()) {
          sink.done();
          return true;
        }
        // Wake every second to notice shutdown. A quiet second still
        // writes a comment line: a stream holds a thread and a slot, and
        // only a write tells that the client hung up (the second write
        // after its FIN fails), so the slot is free again within seconds.
        const auto events = subscription->next(std::chrono::milliseconds(1000));
        out.clear();  // its room is kept from one write to the next
        const auto clock = Clock::now();
        const auto render = [&clock](const MptcpEvent &e) {
          std::string frame;
          frame.reserve(kEventFrameBytes);
          frame += "event: ";
          frame += event_type_name(e.type);
          frame += "\ndata: ";
          append_event_json(frame, e, clock);
          frame += "\n\n";
          return frame;
        };
        for (const auto &published : events) {
          if (netns && published->event.netns != *netns) continue;
          out += published->text(render);  // rendered once for every stream
        }
        if (out.empty()) out = ":\n";
        return sink.write(out.data(), out.size());
      });
}
}  // namespace

void install_admin_routes(http::HttplibServer &server, LockedConnectionTable &table, EventHub &hub,
                          std::function<LocalSetup()> local_setup) {
  server.get("/api/v1/connections", [&table, local_setup = std::move(local_setup)](const httplib::Request &req,
                                                                                   httplib::Response &res) {
    serve_connections(table, local_setup, req, res);
  });
  server.get("/api/v1/events", [&server, &hub](const httplib::Request &req, httplib::Response &res) {
    serve_events(server, hub, req, res);
  });
}

}  // namespace observer::admin
