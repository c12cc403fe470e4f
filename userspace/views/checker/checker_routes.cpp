#include "views/checker/checker_routes.h"

#include <sys/socket.h>

#include <array>
#include <cstring>
#include <thread>

#include "common/timestamp.h"
#include "http/bad_request.h"
#include "sources/getsockopt/mptcp_sockopt_reader.h"
#include "views/checker/negotiation.h"
#include "views/checker/query.h"
#include "views/checker/report.h"

namespace observer::checker {
namespace {
using http::bad_request;
using Clock = std::chrono::steady_clock;

// The headers the seed's webserver sends on every answer.
// Set again after a ?wait: httplib's set_header adds, so replace.
void set_checker_headers(httplib::Response &res, const CheckerReport &r) {
  for (const char *name : {"X-MPTCP", "X-Client-Address", "X-Timestamp", "Cache-Control"}) res.headers.erase(name);
  res.set_header("X-MPTCP", r.status.uses_mptcp() ? "true" : "false");
  res.set_header("X-Client-Address", r.client);
  res.set_header("X-Timestamp", r.timestamp);
  res.set_header("Cache-Control", "no-store");
}

CheckerReport observe(int fd) {
  CheckerReport r;
  const SocketAddress &peer = http::HttpServer::current_peer();
  r.status = sockopt::read_mptcp_status(fd, peer);
  r.client = format_endpoint(peer);
  r.server = format_endpoint(http::HttpServer::current_local());
  r.timestamp = rfc3339_now();
  return r;
}

// MP_JOINs come after the first data, so usually after the request. Wait for
// the subflow set to grow, but not when the kernel's limit says no join can
// come, and not past the deadline or a shutdown.
void wait_for_joins(const http::HttpServer &server, int fd, CheckerReport &r,
                    std::chrono::milliseconds wait) {
  const auto start = Clock::now();
  const auto deadline = start + wait;
  const size_t initial = r.status.subflows.size();
  while (r.status.uses_mptcp() && Clock::now() < deadline && !server.stopping()) {
    if (r.status.extra_subflows >= r.status.subflows_max) break;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(20)));
    MptcpStatus now = sockopt::read_mptcp_status(fd, http::HttpServer::current_peer());
    if (now.verdict == Verdict::error) break;
    r.status = std::move(now);
    if (r.status.subflows.size() > initial) break;
  }
  r.timestamp = rfc3339_now();
  r.waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

void serve_check(const http::HttpServer &server, const CheckerHooks &hooks, const httplib::Request &req,
                 httplib::Response &res) {
  const int fd = http::HttpServer::current_socket();
  CheckerReport r = observe(fd);
  set_checker_headers(res, r);
  const auto answered = [&](const char *result, std::optional<Format> format) {
    if (hooks.on_answer) hooks.on_answer(result, format_name(format.value_or(Format::text)));
  };

  std::string error;
  const auto query = parse_checker_query(req.params, error);
  if (!query) {
    answered("error", std::nullopt);
    return bad_request(res, error);
  }
  const auto format = choose_format(query->format ? std::optional<std::string_view>(*query->format) : std::nullopt,
                                    req.get_header_value("Accept"), error);
  if (!format) {
    answered("error", std::nullopt);
    return bad_request(res, error);
  }
  if (r.status.verdict == Verdict::error) {
    answered("error", format);
    res.status = 500;
    res.set_content(std::string("500 Internal Server Error: the kernel did not report this connection's MPTCP status: ") +
                        std::strerror(r.status.error_number) + "\n",
                    "text/plain; charset=utf-8");
    return;
  }
  if (query->wait.count() > 0) {
    wait_for_joins(server, fd, r, query->wait);
    set_checker_headers(res, r);
  }
  if (hooks.enrich) hooks.enrich(r.status);
  answered(r.status.uses_mptcp() ? "mptcp" : "tcp", format);
  res.set_header("Vary", "Accept");
  switch (*format) {
    case Format::text: res.set_content(render_text(r), "text/plain; charset=utf-8"); break;
    case Format::json: res.set_content(render_json(r), "application/json"); break;
    case Format::html: res.set_content(render_html(r), "text/html; charset=utf-8"); break;
  }
}

void serve_download(const httplib::Request &req, httplib::Response &res) {
  const CheckerReport r = observe(http::HttpServer::current_socket());
  set_checker_headers(res, r);
  std::string error;
  const auto query = parse_download_query(req.params, error);
  if (!query) return bad_request(res, error);
  if (!req.ranges.empty()) {
    // httplib does not hold a range to the size of a provided body, so a
    // range would lift the size limit.
    res.status = 416;
    res.set_content("416 Range Not Satisfiable: /download sends whole bodies; ask for a smaller size instead\n",
                    "text/plain; charset=utf-8");
    return;
  }
  res.set_header("Content-Disposition", "attachment; filename=\"mptcp-download.bin\"");
  if (query->size == 0) {
    // A provider of zero bytes would be called forever.
    res.set_content("", "application/octet-stream");
    return;
  }
  // One static block of filler, sent as often as needed: memory does not
  // grow with the size asked for.
  static const std::array<char, 64 * 1024> filler = [] {
    std::array<char, 64 * 1024> a{};
    for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<char>('a' + i % 26);
    return a;
  }();
  res.set_content_provider(query->size, "application/octet-stream",
                           [](size_t offset, size_t length, httplib::DataSink &sink) {
                             const size_t chunk = std::min(length, filler.size() - offset % filler.size());
                             return sink.write(filler.data() + offset % filler.size(), chunk);
                           });
}

}  // namespace

void install_checker_routes(http::HttpServer &server, CheckerHooks hooks) {
  server.route_get("/", [&server, hooks](const httplib::Request &req, httplib::Response &res) {
    serve_check(server, hooks, req, res);
  }, [](const httplib::Request &req) { return req.has_param("wait"); });
  server.route_get("/download", serve_download, http::HttpServer::always);
}

}  // namespace observer::checker
