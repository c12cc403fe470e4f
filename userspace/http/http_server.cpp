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

struct HttpServer::EpollTag {
  enum Kind { listener, wakeup, connection } kind;
  int fd = -1;
  Connection *owner = nullptr;  // for connection tags
};

struct HttpServer::Connection {
  EpollTag tag{EpollTag::connection, -1, this};
  ConnectionStream stream;
  std::chrono::steady_clock::time_point idle_since;
  bool idle = false;  // waiting in epoll; guarded by connections_mu_
  size_t requests = 0;

  Connection(UniqueFd fd, const ServerLimits &limits)
      : stream(std::move(fd), limits.io_timeout, limits.max_request_bytes) {
    tag.fd = stream.socket();
  }
};

int HttpServer::current_socket() { return tl_current_socket; }

HttpServer::HttpServer(std::string name, ServerLimits limits)
    : name_(std::move(name)), limits_(limits) {
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  wakeup_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll_ || !wakeup_) throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
  static EpollTag wake_tag{EpollTag::wakeup, -1, nullptr};
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &wake_tag;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wakeup_.get(), &ev);

  const auto idle_seconds = std::chrono::duration_cast<std::chrono::seconds>(limits_.idle_timeout);
  set_keep_alive_timeout(std::max<time_t>(1, idle_seconds.count()));
  set_payload_max_length(limits_.max_request_bytes);
  set_keep_alive_max_count(limits_.max_requests_per_connection);
  install_error_pages();
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
  set_pre_routing_handler([this](const httplib::Request &req, httplib::Response &res) {
    if (req.method == "GET" || req.method == "HEAD") return HandlerResponse::Unhandled;
    if (std::find(get_paths_.begin(), get_paths_.end(), req.path) == get_paths_.end()) {
      return HandlerResponse::Unhandled;  // httplib answers 404
    }
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("405 Method Not Allowed: " + req.method.substr(0, 16) + " " + req.path +
                        " (use GET or HEAD)\n",
                    "text/plain; charset=utf-8");
    return HandlerResponse::Handled;
  });
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

void HttpServer::route_get(const std::string &path, Handler handler) {
  get_paths_.push_back(path);
  Get(path, std::move(handler));
}

void HttpServer::add_listener(Listener listener) {
  auto tag = std::make_unique<EpollTag>(EpollTag{EpollTag::listener, listener.fd.get(), nullptr});
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = tag.get();
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, listener.fd.get(), &ev) != 0) {
    throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  listener_tags_.push_back(std::move(tag));
  listeners_.push_back(std::move(listener));
}

void HttpServer::start() {
  // httplib's streaming responses stop as soon as svr_sock_ is invalid (its
  // "shutting down" test); it must name a live socket while we serve.
  if (!listeners_.empty()) svr_sock_ = listeners_.front().fd.get();
  loop_thread_ = std::thread([this] { loop(); });
  for (size_t i = 0; i < limits_.threads; ++i) workers_.emplace_back([this, i] { worker(i); });
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) return;
  svr_sock_ = INVALID_SOCKET;  // ends streaming responses in progress
  uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wakeup_.get(), &one, sizeof one);
  if (loop_thread_.joinable()) loop_thread_.join();
  queue_cv_.notify_all();
  for (auto &w : workers_) w.join();
  workers_.clear();
  std::lock_guard lock(connections_mu_);
  connections_.clear();
}

void HttpServer::loop() {
  name_thread(name_ + "-loop");
  std::array<epoll_event, 256> events;
  auto next_sweep = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (!stopping_) {
    const int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 1000);
    if (n < 0 && errno != EINTR) {
      log::error(name_, std::string("epoll_wait: ") + std::strerror(errno));
      break;
    }
    for (int i = 0; i < n; ++i) {
      auto *tag = static_cast<EpollTag *>(events[i].data.ptr);
      if (tag->kind == EpollTag::listener) {
        accept_from(tag->fd);
      } else if (tag->kind == EpollTag::connection) {
        Connection *c = tag->owner;
        {
          std::lock_guard lock(connections_mu_);
          c->idle = false;
        }
        {
          std::lock_guard lock(queue_mu_);
          ready_.push_back(c);
        }
        queue_cv_.notify_one();
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_sweep) {
      sweep_idle();
      next_sweep = now + std::chrono::seconds(1);
    }
  }
}

void HttpServer::accept_from(int listen_fd) {
  for (;;) {
    UniqueFd fd(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC));
    if (!fd) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of fds or memory: count it, let the backlog hold the client,
      // and give the rest of the daemon a moment instead of spinning.
      const auto count = ++counters_.accept_errors;
      if ((count & (count - 1)) == 0) log::warn(name_, std::string("accept: ") + std::strerror(errno) + " (seen " + std::to_string(count) + " times)");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return;
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

    auto conn = std::make_unique<Connection>(std::move(fd), limits_);
    Connection *c = conn.get();
    {
      std::lock_guard lock(connections_mu_);
      connections_.emplace(c, std::move(conn));
      ++counters_.open;
    }
    // A new connection waits in epoll like an idle one, so a client that
    // connects and says nothing never occupies a worker.
    rearm(c);
  }
}

void HttpServer::worker(size_t index) {
  name_thread(name_ + "-w" + std::to_string(index));
  for (;;) {
    Connection *c = nullptr;
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return stopping_ || !ready_.empty(); });
      if (stopping_) return;
      c = ready_.front();
      ready_.pop_front();
    }
    serve(c);
  }
}

void HttpServer::serve(Connection *c) {
  tl_current_socket = c->stream.socket();
  for (;;) {
    c->stream.begin_request();
    tl_close_after_response = false;
    bool client_closes = false;
    const bool last = stopping_ || ++c->requests >= limits_.max_requests_per_connection;
    const bool ok = process_request(c->stream, last, client_closes, nullptr);
    if (!ok || client_closes || tl_close_after_response || last) {
      close_connection(c);
      break;
    }
    if (c->stream.has_buffered_input()) continue;  // a pipelined request is already here
    rearm(c);
    break;
  }
  tl_current_socket = -1;
}

void HttpServer::rearm(Connection *c) {
  std::lock_guard lock(connections_mu_);
  c->idle = true;
  c->idle_since = std::chrono::steady_clock::now();
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.ptr = &c->tag;
  // After this call another thread may own c: nothing touches it below.
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, c->tag.fd, &ev) != 0 && errno == EEXIST) {
    epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, c->tag.fd, &ev);
  }
}

void HttpServer::close_connection(Connection *c) {
  std::lock_guard lock(connections_mu_);
  // close() in the destructor also drops it from epoll; a disarmed one-shot
  // entry has no event pending.
  connections_.erase(c);
  --counters_.open;
}

void HttpServer::sweep_idle() {
  const auto deadline = std::chrono::steady_clock::now() - limits_.idle_timeout;
  std::lock_guard lock(connections_mu_);
  for (auto it = connections_.begin(); it != connections_.end();) {
    Connection *c = it->first;
    if (c->idle && c->idle_since < deadline) {
      epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c->tag.fd, nullptr);
      it = connections_.erase(it);
      --counters_.open;
      ++counters_.idle_closed;
    } else {
      ++it;
    }
  }
}

}  // namespace observer::http
