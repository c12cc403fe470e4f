#include "http/http_server.h"

#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <stdexcept>

#include "common/log.h"
#include "http/connection_stream.h"
#include "http/event_loop.h"

namespace observer::http {
namespace {
// What the handler of the request this thread serves may ask about.
thread_local int tl_current_socket = -1;
thread_local ConnectionStream *tl_current_stream = nullptr;
thread_local const SocketAddress *tl_current_peer = nullptr;
thread_local const SocketAddress *tl_current_local = nullptr;
thread_local bool tl_on_worker = false;
// Set by the router when a request must be answered on a worker.
thread_local bool tl_needs_worker = false;
// Set by the error page when httplib could not parse a request: the rest of
// the byte stream cannot be trusted, so the connection is closed after it.
thread_local bool tl_close_after_response = false;
const SocketAddress kNoAddress{};
const std::string kNoAddressText = format_endpoint(kNoAddress);

void name_thread(const std::string &name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace

int HttpServer::current_socket() { return tl_current_socket; }
const SocketAddress &HttpServer::current_peer() { return tl_current_peer ? *tl_current_peer : kNoAddress; }
const SocketAddress &HttpServer::current_local() { return tl_current_local ? *tl_current_local : kNoAddress; }
const std::string &HttpServer::current_peer_text() {
  return tl_current_stream ? tl_current_stream->remote_endpoint_text() : kNoAddressText;
}
const std::string &HttpServer::current_local_text() {
  return tl_current_stream ? tl_current_stream->local_endpoint_text() : kNoAddressText;
}

HttpServer::HttpServer(std::string name, ServerLimits limits) : name_(std::move(name)), limits_(limits) {
  if (limits_.loops == 0) limits_.loops = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 64);
  limits_.workers = std::max<size_t>(1, limits_.workers);
  const auto idle_seconds = std::chrono::duration_cast<std::chrono::seconds>(limits_.idle_timeout);
  set_keep_alive_timeout(std::max<time_t>(1, idle_seconds.count()));
  set_payload_max_length(limits_.max_request_bytes);
  set_keep_alive_max_count(limits_.max_requests_per_connection);
  // As httplib's write_response_core formats it. Final: the keep-alive
  // setters cannot be reached from outside (private base).
  keep_alive_value_ = "timeout=" + std::to_string(keep_alive_timeout_sec_) + ", max=" + std::to_string(keep_alive_max_count_);
  install_error_pages();
  install_close_notice();
  install_router();
  for (size_t i = 0; i < limits_.loops; ++i) loops_.push_back(std::make_unique<EventLoop>(*this, i));
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::install_error_pages() {
  // Every error answer is one line a person can read; httplib's own errors
  // (unparsable request, unknown path) come without a body, ours with one.
  set_error_handler(HandlerWithResponse([](const httplib::Request &req, httplib::Response &res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string line = std::to_string(res.status) + " " + status_message(res.status);
    if (res.status == 404) line += ": no page at " + req.path;
    if (res.status == 400 || res.status == 414) {
      line += ": malformed HTTP request";
      tl_close_after_response = true;
    }
    res.set_content(line + "\n", "text/plain; charset=utf-8");
    return httplib::Server::HandlerResponse::Handled;
  }));
  set_exception_handler([this](const httplib::Request &req, httplib::Response &res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception &e) {
      what = e.what();
    } catch (...) {
    }
    log::error(name_, "request " + req.method + " " + req.path + " failed: " + what);
    res.status = 500;
    res.set_content("500 Internal Server Error\n", "text/plain; charset=utf-8");
  });
}

void HttpServer::route_get(const std::string &path, Handler handler, NeedsWorker needs_worker) {
  get_routes_[path] = Route{std::move(handler), std::move(needs_worker)};
}

HttpServer &HttpServer::set_default_headers(httplib::Headers headers) {
  default_headers_copy_ = headers;
  httplib::Server::set_default_headers(std::move(headers));
  return *this;
}

void HttpServer::route_get_quick(const std::string &path, QuickHandler handler) {
  quick_routes_.emplace_back(path, std::move(handler));
}

void QuickResponder::send(int status, std::span<const HeaderField> fields, std::string_view content_type,
                          std::string_view body) {
  if (sent_) throw std::logic_error("a quick answer is sent once");
  // What httplib's write_response_core adds to a routed answer, from the
  // same settings (default headers, keep-alive timeout and count), so that
  // both paths send the same head for the same answer.
  std::array<HeaderField, 24> all;
  size_t n = 0;
  const auto add = [&](std::string_view name, std::string_view value) {
    if (n == all.size()) throw std::logic_error("too many header fields for a quick answer");
    all[n++] = {name, value};
  };
  for (const auto &[name, value] : server_.default_headers_copy_) add(name, value);
  for (const auto &f : fields) add(f.name, f.value);
  char length[24];
  const auto [end, ec] = std::to_chars(length, length + sizeof length, body.size());
  add("Content-Type", content_type);
  add("Content-Length", std::string_view(length, static_cast<size_t>(end - length)));
  if (close_) add("Connection", "close");
  else add("Keep-Alive", server_.keep_alive_value_);
  if (head_) add("Accept-Ranges", "bytes");
  std::string &out = stream_.held_output();
  append_response_head(out, status, std::span(all.data(), n));
  if (!head_) out.append(body);
  sent_ = true;
}

void HttpServer::install_close_notice() {
  // httplib promises keep-alive unless told to close before it answers; a
  // request it could not parse is known only in its error page, after.
  set_post_routing_handler([](const httplib::Request &, httplib::Response &res) {
    if (!tl_close_after_response) return;
    res.headers.erase("Keep-Alive");
    res.headers.erase("Connection");
    res.set_header("Connection", "close");
  });
}

void HttpServer::install_router() {
  // Our routes are exact paths: one hash lookup here replaces httplib's
  // regex match per route per request. Unknown paths fall through to
  // httplib, which answers 404.
  set_pre_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
    const auto route = get_routes_.find(req.path);
    if (route == get_routes_.end()) return HandlerResponse::Unhandled;
    if (req.method == "GET" || req.method == "HEAD") {
      // Decided on the parsed request, so an encoded path or parameter
      // name cannot smuggle a waiting request onto a loop.
      if (!tl_on_worker && route->second.needs_worker && route->second.needs_worker(req)) {
        tl_needs_worker = true;
        return HandlerResponse::Handled;
      }
      route->second.handler(req, res);
      // No body in memory: a content provider streams it, and what it
      // writes must leave at once, not wait for the end of the request.
      if (res.body.empty() && tl_current_stream) tl_current_stream->set_write_through();
      return HandlerResponse::Handled;
    }
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("405 Method Not Allowed: " + req.method.substr(0, 16) + " " + req.path + " (use GET or HEAD)\n",
                    "text/plain; charset=utf-8");
    return HandlerResponse::Handled;
  });
}

void HttpServer::add_listener(Listener listener) {
  for (auto &loop : loops_) loop->watch_listener(listener.fd.get());
  listeners_.push_back(std::move(listener));
}

void HttpServer::start() {
  // httplib's streaming responses stop as soon as svr_sock_ is invalid (its
  // "shutting down" test); it must name a live socket while we serve.
  if (!listeners_.empty()) svr_sock_ = listeners_.front().fd.get();
  for (size_t i = 0; i < limits_.workers; ++i) workers_.emplace_back([this, i] { worker(i); });
  for (auto &loop : loops_) loop->start();
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  svr_sock_ = INVALID_SOCKET;  // ends streaming responses in progress
  {
    // Under the lock: orders the flag before any worker's next wait. A
    // worker waiting for a client that does not read would hold shutdown
    // for its whole I/O timeout; a shut socket ends that wait at once.
    std::lock_guard lock(work_mu_);
    for (const int fd : answering_) ::shutdown(fd, SHUT_RDWR);
  }
  work_cv_.notify_all();
  // Workers first: the connections they hold belong to the loops.
  for (auto &w : workers_) w.join();
  workers_.clear();
  for (auto &loop : loops_) loop->stop();
  loops_.clear();
}

HttpServer::Served HttpServer::serve_one(Connection &c, size_t length, bool on_worker) {
  c.stream.begin_request(length, on_worker);
  tl_current_socket = c.stream.socket();
  tl_current_stream = &c.stream;
  tl_current_peer = &c.stream.remote_address();
  tl_current_local = &c.stream.local_address();
  tl_on_worker = on_worker;
  tl_needs_worker = false;
  tl_close_after_response = false;
  bool client_closes = false;
  // Say "Connection: close" whenever we are going to close.
  const bool last = stopping_ || ++c.requests >= limits_.max_requests_per_connection || c.close_after_request;
  const std::optional<Served> quick = on_worker ? std::nullopt : serve_quickly(c, length, last);
  bool ok = true;
  if (!quick) {
    ok = process_request(c.stream, last, client_closes, nullptr);
    // A worker sends the answer while it may still wait for the socket.
    if (on_worker && !tl_needs_worker) ok = c.stream.flush() == ConnectionStream::Flush::done && ok;
  }
  tl_current_socket = -1;
  tl_current_stream = nullptr;
  tl_current_peer = tl_current_local = nullptr;
  if (quick) return *quick;
  if (tl_needs_worker) {
    c.stream.rewind_request();
    --c.requests;
    return Served::to_worker;
  }
  c.stream.end_request();
  if (!ok || client_closes || tl_close_after_response || last) return Served::close;
  return Served::keep;
}

std::optional<HttpServer::Served> HttpServer::serve_quickly(Connection &c, size_t length, bool last) {
  if (quick_routes_.empty()) return std::nullopt;
  const auto request = parse_quick_request(c.stream.buffered_input().substr(0, length));
  if (!request) return std::nullopt;
  const auto route = std::find_if(quick_routes_.begin(), quick_routes_.end(),
                                  [&](const auto &r) { return r.first == request->path; });
  if (route == quick_routes_.end()) return std::nullopt;
  // httplib closes after a request that says "Connection: close" (its
  // HTTP/1.1 rule; HTTP/1.0 never comes here), and says so in the answer.
  QuickResponder responder(*this, c.stream, request->head, last || request->connection_close);
  try {
    route->second(*request, responder);
  } catch (const std::exception &e) {
    note_quick_handler_error(route->first, responder.sent(), e.what());
  } catch (...) {
    note_quick_handler_error(route->first, responder.sent(), "not a std::exception");
  }
  // Not sent (declined, or threw first): httplib serves it again, and
  // answers an error as it always has. Sent: send() wrote the whole answer
  // at once, so it stands even if the handler threw afterwards; serving it
  // again would run the handler twice (and count the answer twice).
  if (!responder.sent()) {
    c.stream.rewind_request();
    c.stream.begin_request(length, /*may_wait=*/false);
    return std::nullopt;
  }
  c.stream.end_request();
  return responder.closes() ? Served::close : Served::keep;
}

void HttpServer::note_quick_handler_error(const std::string &path, bool answered, std::string_view what) {
  counters_.quick_handler_errors.fetch_add(1, std::memory_order_relaxed);
  // One line, not one per request: a handler that always throws would
  // flood the log at the request rate. The counter says how often.
  if (quick_handler_error_logged_.exchange(true)) return;
  log::error(name_, "quick answer on " + path + " failed: " + std::string(what) +
                        (answered ? " (after its answer was sent; kept)" : " (httplib answered instead)") +
                        "; later failures are only counted (quick_handler_errors)");
}

void HttpServer::enqueue_work(EventLoop *loop, Connection *c) {
  {
    std::lock_guard lock(work_mu_);
    work_.emplace_back(loop, c);
  }
  work_cv_.notify_one();
}

void HttpServer::worker(size_t index) {
  name_thread(name_ + "-w" + std::to_string(index));
  for (;;) {
    std::pair<EventLoop *, Connection *> job;
    {
      std::unique_lock lock(work_mu_);
      work_cv_.wait(lock, [&] { return stopping_ || !work_.empty(); });
      if (stopping_) return;  // the loops close what is still queued
      job = work_.front();
      work_.pop_front();
      answering_.insert(job.second->stream.socket());
    }
    auto [loop, c] = job;
    const bool keep = serve_one(*c, c->request_length, /*on_worker=*/true) == Served::keep;
    {
      std::lock_guard lock(work_mu_);
      answering_.erase(c->stream.socket());
    }
    loop->give_back(c, keep);
  }
}

}  // namespace observer::http
