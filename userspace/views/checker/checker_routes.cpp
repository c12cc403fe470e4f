#include "views/checker/checker_routes.h"

#include <sys/socket.h>

#include <array>
#include <chrono>
#include <cstring>
#include <string>
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

constexpr const char *kTextType = "text/plain; charset=utf-8";
// A verdict depends on the Accept header; its error does not.
constexpr http::HeaderField kVary{"Vary", "Accept"};

// The headers the seed's webserver sends on every answer: one list, which
// httplib's path and the quick path both send.
std::array<http::HeaderField, 4> checker_headers(const CheckerReport &r) {
  return {{{"X-MPTCP", r.status.uses_mptcp() ? "true" : "false"},
           {"X-Client-Address", r.client},
           {"X-Timestamp", r.timestamp},
           {"Cache-Control", "no-store"}}};
}

// Set again after a ?wait: httplib's set_header adds, so replace.
void set_checker_headers(httplib::Response &res, const CheckerReport &r) {
  for (const auto &f : checker_headers(r)) {
    const std::string name(f.name);
    res.headers.erase(name);
    res.set_header(name, std::string(f.value));
  }
}

// RFC 3339 with milliseconds, as rfc3339_now() writes it, but formatting
// the date only once a second per thread: it is in every answer.
std::string timestamp_now() {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const auto second = floor<seconds>(now);
  thread_local system_clock::time_point cached_second{};
  thread_local std::string prefix;  // "2026-11-25T04:50:01."
  if (second != cached_second || prefix.empty()) {
    prefix = rfc3339(second);
    prefix.resize(prefix.size() - 4);  // drop "000Z"
    cached_second = second;
  }
  const auto millis = static_cast<int>(duration_cast<milliseconds>(now - second).count());
  std::string out;
  out.reserve(prefix.size() + 4);
  out += prefix;
  out += static_cast<char>('0' + millis / 100);
  out += static_cast<char>('0' + millis / 10 % 10);
  out += static_cast<char>('0' + millis % 10);
  out += 'Z';
  return out;
}

CheckerReport observe(int fd) {
  CheckerReport r;
  r.status = sockopt::read_mptcp_status(fd, http::HttpServer::current_peer());
  // Formatted once per connection, at accept.
  r.client = http::HttpServer::current_peer_text();
  r.server = http::HttpServer::current_local_text();
  r.timestamp = timestamp_now();
  return r;
}

// The answer to the verdict once the status is final, whichever path sends
// it: the 500 when the kernel could not say, else the page in `format`.
struct VerdictAnswer {
  int status = 200;
  const char *content_type = kTextType;
  std::string body;
};

VerdictAnswer error_answer(const CheckerReport &r) {
  return {500,
          kTextType,
          std::string("500 Internal Server Error: the kernel did not report this connection's MPTCP status: ") +
              std::strerror(r.status.error_number) + "\n"};
}

// Renders the page; the caller counts it (count_verdict) once it is sent,
// so that an answer that fails on the way is not counted.
VerdictAnswer verdict_answer(const CheckerHooks &hooks, CheckerReport &r, Format format) {
  if (hooks.enrich) hooks.enrich(r.status);
  switch (format) {
    case Format::json: return {200, "application/json", render_json(r)};
    case Format::html: return {200, "text/html; charset=utf-8", render_html(r)};
    case Format::text: break;
  }
  return {200, kTextType, render_text(r)};
}

void count_verdict(const CheckerHooks &hooks, const CheckerReport &r, Format format) {
  if (!hooks.on_answer) return;
  const char *result = r.status.verdict == Verdict::error ? "error" : r.status.uses_mptcp() ? "mptcp" : "tcp";
  hooks.on_answer(result, format_name(format));
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
  r.timestamp = timestamp_now();
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
    const auto answer = error_answer(r);
    res.status = answer.status;
    res.set_content(answer.body, answer.content_type);
    count_verdict(hooks, r, *format);
    return;
  }
  if (query->wait.count() > 0) {
    wait_for_joins(server, fd, r, query->wait);
    set_checker_headers(res, r);
  }
  auto answer = verdict_answer(hooks, r, *format);
  res.set_header(std::string(kVary.name), std::string(kVary.value));
  res.set_content(std::move(answer.body), answer.content_type);
  count_verdict(hooks, r, *format);
}

// A plain GET or HEAD of "/" (no query, so no ?wait): the same answer as
// serve_check gives it, written without httplib. Counted only once sent:
// if anything before throws, httplib serves the request again, and that
// answer is the one counted.
void serve_check_quickly(const CheckerHooks &hooks, const http::QuickRequest &req, http::QuickResponder &out) {
  CheckerReport r = observe(http::HttpServer::current_socket());
  std::string error;
  const auto format = choose_format(std::nullopt, req.accept, error);
  if (!format) return;  // cannot happen without ?format=; httplib's path says why if it does
  const auto fields = checker_headers(r);
  if (r.status.verdict == Verdict::error) {
    const auto answer = error_answer(r);
    out.send(answer.status, fields, answer.content_type, answer.body);
    count_verdict(hooks, r, *format);
    return;
  }
  const auto answer = verdict_answer(hooks, r, *format);
  const std::array<http::HeaderField, 5> with_vary{fields[0], fields[1], fields[2], fields[3], kVary};
  out.send(answer.status, with_vary, answer.content_type, answer.body);
  count_verdict(hooks, r, *format);
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
  server.route_get_quick("/", [hooks](const http::QuickRequest &req, http::QuickResponder &out) {
    serve_check_quickly(hooks, req, out);
  });
  server.route_get("/download", serve_download, http::HttpServer::always);
}

}  // namespace observer::checker
