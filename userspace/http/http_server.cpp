#include "http/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "http/connection_stream.h"

namespace observer::http {
namespace {
thread_local int tl_current_socket = -1;
thread_local const SocketAddress *tl_current_peer = nullptr;
thread_local const SocketAddress *tl_current_local = nullptr;
const SocketAddress kNoAddress{};
// epoll data: listeners are marked by the top bit, the wake-up fd by ~0.
constexpr uint64_t kListenerBit = 1ull << 63;
constexpr uint64_t kWakeupId = ~0ull;
// Set by the error page when httplib could not parse a request: the rest of
// the byte stream cannot be trusted, so the connection is closed after it.
thread_local bool tl_close_after_response = false;

void name_thread(const std::string &name) {
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

std::string reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}
}  // namespace

struct HttpServer::Connection {
  uint64_t id;
  ConnectionStream stream;
  std::chrono::steady_clock::time_point idle_since;
  bool idle;  // waiting in epoll; guarded by connections_mu_
  size_t requests = 0;

  Connection(uint64_t id_, UniqueFd fd, const ServerLimits &limits)
      : id(id_),
        stream(std::move(fd), limits.io_timeout, limits.max_request_bytes),
        idle_since(std::chrono::steady_clock::now()),
        idle(true) {}
};

int HttpServer::current_socket() { return tl_current_socket; }
const SocketAddress &HttpServer::current_peer() { return tl_current_peer ? *tl_current_peer : kNoAddress; }
const SocketAddress &HttpServer::current_local() { return tl_current_local ? *tl_current_local : kNoAddress; }

HttpServer::HttpServer(std::string name, ServerLimits limits)
    : name_(std::move(name)), limits_(limits) {
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  wakeup_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll_ || !wakeup_) throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
  // Level-triggered and never read: once written, it wakes every worker.
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeupId;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wakeup_.get(), &ev);

  const auto idle_seconds = std::chrono::duration_cast<std::chrono::seconds>(limits_.idle_timeout);
  set_keep_alive_timeout(std::max<time_t>(1, idle_seconds.count()));
  set_payload_max_length(limits_.max_request_bytes);
  set_keep_alive_max_count(limits_.max_requests_per_connection);
  install_error_pages();
  install_router();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::install_error_pages() {
  // Every error answer is one line a person can read; httplib's own errors
  // (unparsable request, unknown path) come without a body, ours with one.
  set_error_handler(HandlerWithResponse([](const httplib::Request &req, httplib::Response &res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    std::string line = std::to_string(res.status) + " " + reason_phrase(res.status);
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

void HttpServer::route_get(const std::string &path, Handler handler) { get_routes_[path] = std::move(handler); }

void HttpServer::install_router() {
  // Our routes are exact paths: one hash lookup here replaces httplib's
  // regex match per route per request. Unknown paths fall through to
  // httplib, which answers 404.
  set_pre_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
    const auto route = get_routes_.find(req.path);
    if (route == get_routes_.end()) return HandlerResponse::Unhandled;
    if (req.method == "GET" || req.method == "HEAD") {
      route->second(req, res);
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
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;  // one worker accepts at a time
  ev.data.u64 = kListenerBit | listeners_.size();
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener.fd.get(), &ev) != 0) {
    throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  listeners_.push_back(std::move(listener));
}

void HttpServer::start() {
  // httplib's streaming responses stop as soon as svr_sock_ is invalid (its
  // "shutting down" test); it must name a live socket while we serve.
  if (!listeners_.empty()) svr_sock_ = listeners_.front().fd.get();
  for (size_t i = 0; i < limits_.threads; ++i) workers_.emplace_back([this, i] { worker(i); });
  sweeper_thread_ = std::thread([this] { sweeper(); });
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  svr_sock_ = INVALID_SOCKET;  // ends streaming responses in progress
  uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wakeup_.get(), &one, sizeof one);
  sweeper_cv_.notify_all();
  for (auto &w : workers_) w.join();
  workers_.clear();
  if (sweeper_thread_.joinable()) sweeper_thread_.join();
  std::lock_guard lock(connections_mu_);
  connections_.clear();
}

void HttpServer::sweeper() {
  name_thread(name_ + "-idle");
  std::unique_lock lock(sweeper_mu_);
  while (!sweeper_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_.load(); })) sweep_idle();
}

void HttpServer::accept_from(size_t listener_index) {
  const int listen_fd = listeners_[listener_index].fd.get();
  // A bounded batch, then re-arm: other workers keep serving meanwhile.
  for (int batch = 0; batch < 64; ++batch) {
    UniqueFd fd(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of fds or memory: count it, let the backlog hold the client,
      // and give the rest of the daemon a moment instead of spinning.
      const auto count = ++counters_.accept_errors;
      if ((count & (count - 1)) == 0) {
        log::warn(name_, std::string("accept: ") + std::strerror(errno) + " (seen " + std::to_string(count) + " times)");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      break;
    }
    ++counters_.accepted;
    if (counters_.open.load() >= limits_.max_connections) {
      ++counters_.rejected_over_limit;
      continue;  // closes it: the client sees a reset instead of a hang
    }
    const timeval tv{static_cast<time_t>(limits_.io_timeout.count() / 1000),
                     static_cast<suseconds_t>((limits_.io_timeout.count() % 1000) * 1000)};
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    const int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    std::lock_guard lock(connections_mu_);
    const uint64_t id = next_id_++;
    auto conn = std::make_unique<Connection>(id, std::move(fd), limits_);
    // A new connection waits in epoll like an idle one, so a client that
    // connects and says nothing never occupies a worker.
    arm(conn.get(), EPOLL_CTL_ADD);
    connections_.emplace(id, std::move(conn));
    ++counters_.open;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.u64 = kListenerBit | listener_index;
  epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, listen_fd, &ev);
}

void HttpServer::worker(size_t index) {
  name_thread(name_ + "-w" + std::to_string(index));
  epoll_event event{};
  while (!stopping_) {
    // One event per wake-up: a second one would wait behind this request.
    const int n = epoll_wait(epoll_.get(), &event, 1, 1000);
    if (n < 0 && errno != EINTR) {
      log::error(name_, std::string("epoll_wait: ") + std::strerror(errno));
      return;
    }
    if (n <= 0 || stopping_ || event.data.u64 == kWakeupId) continue;
    if (event.data.u64 & kListenerBit) {
      accept_from(static_cast<size_t>(event.data.u64 & ~kListenerBit));
    } else {
      serve(event.data.u64);
    }
  }
}

void HttpServer::serve(uint64_t id) {
  Connection *c;
  {
    std::lock_guard lock(connections_mu_);
    const auto it = connections_.find(id);
    if (it == connections_.end()) return;  // the sweeper closed it meanwhile
    c = it->second.get();
    c->idle = false;
  }
  tl_current_socket = c->stream.socket();
  tl_current_peer = &c->stream.remote_address();
  tl_current_local = &c->stream.local_address();
  bool keep = false;
  for (;;) {
    c->stream.begin_request();
    tl_close_after_response = false;
    bool client_closes = false;
    const bool last = stopping_ || ++c->requests >= limits_.max_requests_per_connection;
    const bool ok = process_request(c->stream, last, client_closes, nullptr);
    if (!ok || client_closes || tl_close_after_response || last) break;
    if (c->stream.has_buffered_input()) continue;  // a pipelined request is already here
    keep = true;
    break;
  }
  tl_current_socket = -1;
  tl_current_peer = tl_current_local = nullptr;
  std::lock_guard lock(connections_mu_);
  if (keep) {
    c->idle = true;
    c->idle_since = std::chrono::steady_clock::now();
    // After this call another worker may own c: nothing touches it below.
    arm(c, EPOLL_CTL_MOD);
  } else {
    connections_.erase(id);  // closing the fd also drops it from epoll
    --counters_.open;
  }
}

// Caller holds connections_mu_.
void HttpServer::arm(Connection *c, int op) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.u64 = c->id;
  epoll_ctl(epoll_.get(), op, c->stream.socket(), &ev);
}

void HttpServer::sweep_idle() {
  const auto deadline = std::chrono::steady_clock::now() - limits_.idle_timeout;
  std::lock_guard lock(connections_mu_);
  for (auto it = connections_.begin(); it != connections_.end();) {
    Connection *c = it->second.get();
    if (c->idle && c->idle_since < deadline) {
      epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c->stream.socket(), nullptr);
      it = connections_.erase(it);
      --counters_.open;
      ++counters_.idle_closed;
    } else {
      ++it;
    }
  }
}

}  // namespace observer::http
