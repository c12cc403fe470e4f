#include "http/http_server.h"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include "common/log.h"
#include "http/event_loop.h"

namespace observer::http {

bool Exchange::stopping() const { return server_.stopping(); }

void Exchange::begin_answer() {
  if (answered_) throw std::logic_error("a request is answered once");
  answered_ = true;
}

void Exchange::write_head(int status, std::span<const HeaderField> fields, std::string_view content_type,
                          uint64_t length) {
  begin_answer();
  ResponseHead head;
  head.status = status;
  head.server = server_.server_header_;
  head.fields = fields;
  head.content_type = content_type;
  head.content_length = length;
  head.close = !c_.pending.keep_alive;
  head.http10_keep_alive = c_.pending.http10;
  append_response_head(c_.out, head);
  c_.close_when_written = head.close;
}

void Exchange::send(int status, std::span<const HeaderField> fields, std::string_view content_type,
                    std::string_view body) {
  // Room for the head and the body at once: a new connection's buffer
  // would otherwise grow by doubling, a copy each time.
  constexpr size_t kHeadRoom = 512;
  c_.out.reserve(c_.out.size() + kHeadRoom + (c_.pending.head_only ? 0 : body.size()));
  write_head(status, fields, content_type, body.size());
  if (!c_.pending.head_only) c_.out.append(body);
}

void Exchange::send_text(int status, std::string_view why, std::span<const HeaderField> fields) {
  begin_answer();
  append_text_answer(c_.out, status, why, server_.server_header_, fields, !c_.pending.keep_alive,
                     c_.pending.head_only);
  c_.close_when_written = !c_.pending.keep_alive;
}

void Exchange::refuse(Refusal refusal, std::string_view why, std::span<const HeaderField> fields) {
  server_.count(refusal);
  send_text(refusal_status(refusal), why, fields);
}

void Exchange::send_stream(int status, std::span<const HeaderField> fields, std::string_view content_type,
                           uint64_t length, BodySource source) {
  write_head(status, fields, content_type, length);
  if (c_.pending.head_only) return;
  c_.pending.source = std::move(source);
  c_.pending.offset = 0;
  c_.pending.end = length;
}

void Exchange::defer(std::chrono::milliseconds period, Poll poll) {
  if (answered_ || deferred_) throw std::logic_error("a request is answered once");
  deferred_ = true;
  c_.pending.poll = std::move(poll);
  c_.pending.period = period;
  c_.pending.next_poll = Clock::now() + period;
}

HttpServer::HttpServer(std::string name, ServerLimits limits, std::string server_header)
    : name_(std::move(name)), limits_(limits), server_header_(std::move(server_header)) {
  if (limits_.loops == 0) limits_.loops = std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 64);
  for (size_t i = 0; i < limits_.loops; ++i) loops_.push_back(std::make_unique<EventLoop>(*this, i));
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(const std::string &path, Handler handler, Waits waits, bool accepts_range) {
  routes_.emplace_back(path, Route{std::move(handler), std::move(waits), accepts_range});
}

void HttpServer::add_listener(Listener listener) {
  for (auto &loop : loops_) loop->watch_listener(listeners_.size(), listener.fd.get());
  listeners_.push_back(std::move(listener));
}

void HttpServer::start() {
  for (auto &loop : loops_) loop->start();
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  for (auto &loop : loops_) loop->stop();
  loops_.clear();
}

void HttpServer::serve(Connection &c, const Request &request) {
  c.pending = Connection::Pending{};
  c.pending.head_only = request.method == Method::head;
  c.pending.http10 = request.minor_version == 0 && request.keep_alive;
  // Say "Connection: close" whenever we are going to close.
  c.pending.keep_alive = request.keep_alive && !stopping() && ++c.requests < limits_.max_requests_per_connection;
  Exchange ex(*this, c, &request);

  std::string error;
  auto params = parse_query(request.query, error);
  if (!params) return ex.refuse(Refusal::malformed, error);
  c.pending.params = std::move(*params);
  // Exact paths, a handful: comparing them costs less than hashing the path.
  const auto route = std::find_if(routes_.begin(), routes_.end(), [&](const auto &r) { return r.first == request.path; });
  if (route == routes_.end()) return ex.send_text(404, "no page at " + std::string(request.path.substr(0, 200)));
  if (request.has_range && !route->second.accepts_range) {
    return ex.refuse(Refusal::range, "this page is not served in ranges");
  }
  if (route->second.waits && route->second.waits(c.pending.params)) {
    const Refusal refused = acquire(c);
    if (refused == Refusal::busy) return ex.refuse(refused, "too many requests wait or download now; retry shortly");
    if (refused == Refusal::client_limit) {
      return ex.refuse(refused, "at most " + std::to_string(limits_.max_waiting_per_client) +
                                    " requests that wait or download at once per client");
    }
  }
  try {
    route->second.handler(ex);
  } catch (const std::exception &e) {
    note_handler_error(route->first, e.what());
  } catch (...) {
    note_handler_error(route->first, "not a std::exception");
  }
  if (!ex.answered() && !ex.deferred_) {
    c.out.clear();
    ex.send_text(500, "the page failed; the error is logged");
  }
}

Refusal HttpServer::acquire(Connection &c) {
  if (counters_.waiting.fetch_add(1) >= limits_.max_waiting) {
    counters_.waiting.fetch_sub(1);
    return Refusal::busy;
  }
  {
    std::lock_guard lock(clients_mu_);
    size_t &n = clients_[c.client].waiting;
    if (n >= limits_.max_waiting_per_client) {
      counters_.waiting.fetch_sub(1);
      return Refusal::client_limit;
    }
    ++n;
  }
  c.pending.permit.held = true;
  return Refusal::none;
}

void HttpServer::release(Connection &c) {
  if (!c.pending.permit.held) return;
  c.pending.permit.held = false;
  counters_.waiting.fetch_sub(1);
  std::lock_guard lock(clients_mu_);
  const auto it = clients_.find(c.client);
  if (it != clients_.end()) --it->second.waiting;
}

bool HttpServer::admit(const Connection &c) {
  std::lock_guard lock(clients_mu_);
  size_t &n = clients_[c.client].connections;
  if (n >= limits_.max_connections_per_client) return false;
  ++n;
  return true;
}

void HttpServer::leave(const Connection &c) {
  std::lock_guard lock(clients_mu_);
  const auto it = clients_.find(c.client);
  if (it == clients_.end()) return;
  --it->second.connections;
  // A client's entry lives as long as it holds a connection.
  if (it->second.connections == 0) clients_.erase(it);
}

void HttpServer::note_handler_error(const std::string &path, std::string_view what) {
  counters_.handler_errors.fetch_add(1, std::memory_order_relaxed);
  // One line, not one per request: a page that always throws would flood
  // the log at the request rate. The counter says how often.
  if (handler_error_logged_.exchange(true)) return;
  log::error(name_, "page " + path + " failed: " + std::string(what) +
                        "; later failures are only counted (mptcp_observer_http_handler_errors_total)");
}

}  // namespace observer::http
