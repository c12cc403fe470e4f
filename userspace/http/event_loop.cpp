#include "http/event_loop.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "http/http_server.h"
#include "http/request_head.h"
#include "http/response_head.h"

namespace observer::http {
namespace {
using Clock = Connection::Clock;
// epoll data: a connection is its (user-space, so top-bit-clear) address;
// listeners carry the top bit and their fd; the wake-up fd is all ones.
constexpr uint64_t kListenerBit = 1ull << 63;
constexpr uint64_t kWakeupId = ~0ull;
// Requests answered for one connection before the loop turns to the others.
constexpr int kRequestsPerTurn = 32;
// After an answer that ends a connection: how long, and how much, to drain.
constexpr auto kDrainTime = std::chrono::seconds(1);
constexpr size_t kDrainBytes = 64 * 1024;
// How long a loop stops accepting after accept() failed for want of fds or memory.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);

// Answers the loop writes itself, for requests httplib is never shown.
std::string refusal(int status, const std::string &why) {
  const char *reason = status_message(status);
  const std::string body = std::to_string(status) + " " + reason + ": " + why + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reason +
         "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}
}  // namespace

EventLoop::EventLoop(HttpServer &server, size_t index) : server_(server), index_(index) {
  epoll_.reset(epoll_create1(EPOLL_CLOEXEC));
  wakeup_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!epoll_ || !wakeup_) throw std::runtime_error(std::string("epoll: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeupId;
  epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, wakeup_.get(), &ev);
}

EventLoop::~EventLoop() { stop(); }

void EventLoop::watch_listener(int fd) {
  epoll_event ev{};
  // One loop is woken per new connection, not all of them.
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.u64 = kListenerBit | static_cast<uint32_t>(fd);
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  listener_fds_.push_back(fd);
}

void EventLoop::start() {
  thread_ = std::thread([this] { run(); });
}

void EventLoop::stop() {
  const uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wakeup_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void EventLoop::give_back(Connection *c, bool keep) {
  {
    std::lock_guard lock(returned_mu_);
    returned_.emplace_back(c, keep);
  }
  const uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wakeup_.get(), &one, sizeof one);
}

void EventLoop::run() {
  const std::string name = server_.name_ + "-loop" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  epoll_event events[64];
  auto next_sweep = Clock::now() + std::chrono::seconds(1);
  while (!server_.stopping()) {
    const int n = epoll_wait(epoll_.get(), events, 64, paused_listeners_.empty() ? 1000 : 20);
    if (n < 0 && errno != EINTR) {
      log::error(server_.name_, std::string("epoll_wait: ") + std::strerror(errno));
      return;
    }
    for (int i = 0; i < n && !server_.stopping(); ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kWakeupId) {
        uint64_t count;
        [[maybe_unused]] auto ignored = ::read(wakeup_.get(), &count, sizeof count);
        take_back();
      } else if (id & kListenerBit) {
        accept_from(static_cast<int>(id & 0xffffffffu));
      } else {
        on_ready(reinterpret_cast<Connection *>(id), events[i].events);
      }
    }
    const auto now = Clock::now();
    resume_listeners(now);
    if (now >= next_sweep) {
      sweep(now);
      next_sweep = now + std::chrono::seconds(1);
    }
  }
}

void EventLoop::resume_listeners(Clock::time_point now) {
  for (auto it = paused_listeners_.begin(); it != paused_listeners_.end();) {
    if (it->second > now) {
      ++it;
      continue;
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    ev.data.u64 = kListenerBit | static_cast<uint32_t>(it->first);
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, it->first, &ev);
    it = paused_listeners_.erase(it);
  }
}

void EventLoop::accept_from(int listen_fd) {
  const auto &limits = server_.limits_;
  auto &counters = server_.counters_;
  // A bounded batch: the loop's other connections wait meanwhile.
  for (int batch = 0; batch < 64; ++batch) {
    UniqueFd fd(accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      // Out of fds or memory: count it, let the backlog hold the client,
      // and stop listening on this loop for a moment. The listener stays
      // readable, so without the pause every loop would retry at once.
      const auto count = ++counters.accept_errors;
      if ((count & (count - 1)) == 0) {
        log::warn(server_.name_, std::string("accept: ") + std::strerror(errno) + " (seen " + std::to_string(count) + " times)");
      }
      epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listen_fd, nullptr);
      paused_listeners_.emplace_back(listen_fd, Clock::now() + kAcceptPause);
      return;
    }
    ++counters.accepted;
    if (counters.open.load() >= limits.max_connections) {
      ++counters.rejected_over_limit;
      continue;  // closes it: the client sees a reset instead of a hang
    }
    const int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto conn = std::make_unique<Connection>(std::move(fd), limits.io_timeout);
    Connection *c = conn.get();
    // A new connection waits like an idle one: a client that connects and
    // says nothing costs only its socket.
    c->deadline = Clock::now() + limits.idle_timeout;
    connections_.emplace(c, std::move(conn));
    ++counters.open;
    arm(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
  }
}

void EventLoop::on_ready(Connection *c, uint32_t events) {
  if (c->state == Connection::State::closing) {
    switch (c->stream.fill(kDrainBytes)) {
      case ConnectionStream::Fill::again: c->stream.discard_input(); return;
      default: return close(c);  // the client closed (or failed, or sent too much)
    }
  }
  if (c->state == Connection::State::writing) {
    switch (c->stream.flush()) {
      case ConnectionStream::Flush::again:
        c->deadline = Clock::now() + server_.limits_.io_timeout;  // it moved, or will say why not
        return;
      case ConnectionStream::Flush::error: return close(c);
      case ConnectionStream::Flush::done:
        if (c->close_when_written) return close_after_answer(c);
        c->state = Connection::State::reading;
        arm(c, EPOLLIN | EPOLLRDHUP);
        return drive(c, false);
    }
  }
  if (c->state == Connection::State::reading) drive(c, events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
}

void EventLoop::drive(Connection *c, bool peer_closed) {
  const auto &limits = server_.limits_;
  bool filled = false;
  for (int turn = 0; turn < kRequestsPerTurn;) {
    RequestHead head = find_request(c->stream.buffered_input(), limits.max_request_bytes, c->head_scanned);
    if (head.status == HeadStatus::incomplete && !filled) {
      // Read only when what is buffered is not a whole request: a pipelined
      // one costs no system call.
      filled = true;
      switch (c->stream.fill(limits.max_request_bytes)) {
        case ConnectionStream::Fill::error: return close(c);
        case ConnectionStream::Fill::closed: peer_closed = true; break;
        default: break;
      }
      continue;
    }
    switch (head.status) {
      case HeadStatus::incomplete: {
        if (peer_closed) return close(c);
        arm(c, EPOLLIN | EPOLLRDHUP);
        const auto now = Clock::now();
        if (!c->stream.has_buffered_input()) {
          c->waiting_for_request = false;
          c->deadline = now + limits.idle_timeout;
          c->stream.trim();
        } else if (!c->waiting_for_request) {
          // The whole request must arrive within io_timeout of its first byte.
          c->waiting_for_request = true;
          c->deadline = now + limits.io_timeout;
        }
        return;
      }
      case HeadStatus::too_large:
      case HeadStatus::body_too_large:
      case HeadStatus::bad_length: {
        const std::string limit = std::to_string(limits.max_request_bytes);
        const std::string answer =
            head.status == HeadStatus::too_large
                ? refusal(431, "a request head may be at most " + limit + " bytes")
            : head.status == HeadStatus::body_too_large
                ? refusal(413, "a request may be at most " + limit + " bytes")
                : refusal(400, "unreadable or conflicting Content-Length");
        c->stream.begin_request(0, false);
        c->stream.write(answer.data(), answer.size());
        c->close_when_written = true;
        break;
      }
      case HeadStatus::body_unknown:
      case HeadStatus::complete: {
        c->waiting_for_request = false;
        c->head_scanned = 0;
        c->close_after_request = head.status == HeadStatus::body_unknown;
        const auto served = server_.serve_one(*c, head.length, /*on_worker=*/false);
        if (served == HttpServer::Served::to_worker) return send_to_worker(c, head.length);
        c->close_when_written = served == HttpServer::Served::close;
        // No new read for the next request: what the socket holds now,
        // level-triggered epoll reports. A read here would mostly be an
        // EAGAIN, one system call per request for nothing.
        ++turn;
        break;
      }
    }
    switch (c->stream.flush()) {
      case ConnectionStream::Flush::error: return close(c);
      case ConnectionStream::Flush::again:
        c->state = Connection::State::writing;
        c->deadline = Clock::now() + limits.io_timeout;
        return arm(c, EPOLLOUT);
      case ConnectionStream::Flush::done:
        if (c->close_when_written) return close_after_answer(c);
        break;
    }
  }
  // Many pipelined requests: the rest waits for this loop's next turn. The
  // socket may be empty, so no event would come: ask for one.
  arm(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
}

void EventLoop::take_back() {
  std::vector<std::pair<Connection *, bool>> back;
  {
    std::lock_guard lock(returned_mu_);
    back.swap(returned_);
  }
  for (const auto &[c, keep] : back) {
    if (!keep || server_.stopping()) {
      server_.stopping() ? close(c) : close_after_answer(c);
      continue;
    }
    c->state = Connection::State::reading;
    c->deadline = Clock::now() + server_.limits_.idle_timeout;
    arm(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
    if (c->stream.has_buffered_input()) drive(c, false);
  }
}

void EventLoop::sweep(Clock::time_point now) {
  std::vector<Connection *> expired;
  for (const auto &[c, owned] : connections_) {
    if (c->state != Connection::State::away && c->deadline < now) expired.push_back(c);
  }
  for (Connection *c : expired) {
    if (c->state != Connection::State::closing) {
      const bool idle = c->state == Connection::State::reading && !c->waiting_for_request;
      ++(idle ? server_.counters_.idle_closed : server_.counters_.timed_out);
    }
    close(c);
  }
}

void EventLoop::send_to_worker(Connection *c, size_t request_length) {
  // Out of the epoll set while away: the worker alone reads and writes.
  epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, c->stream.socket(), nullptr);
  c->armed = 0;
  c->state = Connection::State::away;
  c->request_length = request_length;
  server_.enqueue_work(this, c);
}

void EventLoop::arm(Connection *c, uint32_t events, int op) {
  if (op == EPOLL_CTL_MOD && c->armed == events) return;
  c->armed = events;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = reinterpret_cast<uint64_t>(c);
  epoll_ctl(epoll_.get(), op, c->stream.socket(), &ev);
}

void EventLoop::close_after_answer(Connection *c) {
  ::shutdown(c->stream.socket(), SHUT_WR);
  c->stream.discard_input();
  c->state = Connection::State::closing;
  c->deadline = Clock::now() + kDrainTime;
  arm(c, EPOLLIN | EPOLLRDHUP, c->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD);
}

void EventLoop::close(Connection *c) {
  // Closing the fd also takes it out of the epoll set.
  if (connections_.erase(c)) --server_.counters_.open;
}

}  // namespace observer::http
