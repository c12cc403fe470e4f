#include "http/event_loop.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "http/http_server.h"
#include "http/tls_channel.h"
#include "http/tls_context.h"

namespace observer::http {
namespace {
// epoll data: a connection is its (user-space, so top-bit-clear) address;
// listeners carry the top bit and their index in the server's listeners_;
// the wake-up fd is all ones.
constexpr uint64_t kListenerBit = 1ull << 63;
constexpr uint64_t kWakeupId = ~0ull;
// Requests answered for one connection before the loop turns to the others.
constexpr int kRequestsPerTurn = 32;
// Body bytes sent to one streaming connection before the loop turns to the others.
constexpr size_t kStreamBytesPerTurn = 256 * 1024;
// After an answer that ends a connection, what the client still sends is
// read and dropped (a close with unread input sends a reset, which can
// destroy answers the client has not read yet, pipelined ones above all):
// until it closes, or is quiet for a second, or for five seconds at most.
constexpr auto kDrainQuiet = std::chrono::seconds(1);
constexpr auto kDrainMax = std::chrono::seconds(5);
constexpr size_t kDrainBytesPerTurn = 256 * 1024;
// How long a loop stops accepting after accept() failed for want of fds or memory.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
// A deferred answer's own deadline ends it; this only backs it up.
constexpr auto kDeferredBackstop = std::chrono::seconds(120);
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

void EventLoop::watch_listener(size_t index, int fd) {
  epoll_event ev{};
  // One loop is woken per new connection, not all of them.
  ev.events = EPOLLIN | EPOLLEXCLUSIVE;
  ev.data.u64 = kListenerBit | index;
  if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) != 0) {
    throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
  }
}

void EventLoop::start() {
  thread_ = std::thread([this] { run(); });
}

void EventLoop::stop() {
  const uint64_t one = 1;
  [[maybe_unused]] auto ignored = ::write(wakeup_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void EventLoop::run() {
  const std::string name = server_.name_ + "-loop" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  epoll_event events[64];
  auto next_sweep = Clock::now() + std::chrono::seconds(1);
  while (!server_.stopping()) {
    auto timeout = std::chrono::milliseconds(paused_listeners_.empty() ? 1000 : 20);
    if (!deferred_.empty()) timeout = std::min(timeout, time_to_next_poll(Clock::now()));
    const int n = epoll_wait(epoll_.get(), events, 64, static_cast<int>(timeout.count()));
    if (n < 0 && errno != EINTR) {
      log::error(server_.name_, std::string("epoll_wait: ") + std::strerror(errno));
      return;
    }
    for (int i = 0; i < n && !server_.stopping(); ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kWakeupId) {
        uint64_t count;
        [[maybe_unused]] auto ignored = ::read(wakeup_.get(), &count, sizeof count);
      } else if (id & kListenerBit) {
        accept_from(static_cast<size_t>(id & ~kListenerBit));
      } else {
        on_ready(reinterpret_cast<Connection *>(id), events[i].events);
      }
    }
    const auto now = Clock::now();
    if (!deferred_.empty()) run_polls(now);
    resume_listeners(now);
    if (now >= next_sweep) {
      sweep(now);
      next_sweep = now + std::chrono::seconds(1);
    }
  }
  for (auto &[c, owned] : connections_) {
    server_.release(*c);
    server_.leave(*c);
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
    ev.data.u64 = kListenerBit | it->first;
    epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, server_.listeners_[it->first].fd.get(), &ev);
    it = paused_listeners_.erase(it);
  }
}

void EventLoop::accept_from(size_t index) {
  const Listener &listener = server_.listeners_[index];
  const int listen_fd = listener.fd.get();
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
      paused_listeners_.emplace_back(index, Clock::now() + kAcceptPause);
      return;
    }
    ++counters.accepted;
    if (counters.open.load() >= limits.max_connections) {
      ++counters.rejected_over_limit;
      continue;  // closes it: the client sees a reset instead of a hang
    }
    const int one = 1;
    setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::unique_ptr<Channel> channel;
    if (listener.tls) {
      channel = TlsChannel::accept(*listener.tls->current(), fd.get());
      if (!channel) {
        ++counters.tls_handshake_failed;
        continue;
      }
    } else {
      channel = std::make_unique<PlainChannel>(fd.get());
    }
    auto conn = std::make_unique<Connection>(std::move(fd), std::move(channel));
    if (!server_.admit(*conn)) {
      ++counters.rejected_client_over_limit;
      continue;  // a reset, as past --max-connections
    }
    Connection *c = conn.get();
    if (listener.tls) {
      // The handshake must end within io_timeout, not idle_timeout: until
      // it does, the client holds a connection slot and a TLS session
      // without having asked anything.
      c->state = Connection::State::handshaking;
      c->deadline = Clock::now() + limits.io_timeout;
    } else {
      // A new connection waits like an idle one: a client that connects and
      // says nothing costs only its socket.
      c->deadline = Clock::now() + limits.idle_timeout;
    }
    connections_.emplace(c, std::move(conn));
    ++counters.open;
    arm(c, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
  }
}

void EventLoop::on_ready(Connection *c, uint32_t events) {
  switch (c->state) {
    case Connection::State::handshaking: return handshake(c);
    case Connection::State::closing:
      switch (c->drop_incoming(kDrainBytesPerTurn)) {
        case Connection::Fill::more:
        case Connection::Fill::again:
          c->deadline = std::min(Clock::now() + kDrainQuiet, c->drain_end);
          return;
        default: return close(c);  // the client closed, or failed
      }
    case Connection::State::deferred:
      // Only a hang-up is asked for: the client left before its answer.
      if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) close(c);
      return;
    case Connection::State::streaming: return push_stream(c);
    case Connection::State::writing:
      switch (c->flush()) {
        case Connection::Flush::again:
          c->deadline = Clock::now() + server_.limits_.io_timeout;  // it moved, or will say why not
          arm(c, EPOLLOUT);  // a TLS write may now wait the other way
          return;
        case Connection::Flush::error: return close(c);
        case Connection::Flush::done:
          if (finish_answer(c)) drive(c, false);
          return;
      }
      return;
    case Connection::State::reading: return drive(c, events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR));
  }
}

void EventLoop::handshake(Connection *c) {
  switch (c->handshake()) {
    case Connection::Handshake::again: return arm(c, EPOLLIN | EPOLLRDHUP);
    case Connection::Handshake::failed:
      ++server_.counters_.tls_handshake_failed;
      // Scanners and clients that distrust the certificate fail all day:
      // the counter says how often, the debug log why.
      log::debug(server_.name_, "TLS handshake with " + c->peer_text + " failed: " + c->channel->why_failed());
      return close(c);
    case Connection::Handshake::done:
      // Its first request may have come with the handshake's last flight.
      c->state = Connection::State::reading;
      return drive(c, false);
  }
}

bool EventLoop::finish_answer(Connection *c) {
  switch (c->flush()) {
    case Connection::Flush::error: close(c); return false;
    case Connection::Flush::again:
      c->state = Connection::State::writing;
      c->deadline = Clock::now() + server_.limits_.io_timeout;
      arm(c, EPOLLOUT);
      return false;
    case Connection::Flush::done: break;
  }
  if (c->close_when_written) {
    close_after_answer(c);
    return false;
  }
  c->state = Connection::State::reading;
  arm(c, EPOLLIN | EPOLLRDHUP);
  return true;
}

void EventLoop::push_stream(Connection *c) {
  switch (c->push_stream(kStreamBytesPerTurn)) {
    case Connection::Flush::error: return close(c);
    case Connection::Flush::again: return arm(c, EPOLLOUT);
    case Connection::Flush::done:
      server_.release(*c);
      c->pending.source = nullptr;
      if (finish_answer(c)) drive(c, false);
      return;
  }
}

void EventLoop::drive(Connection *c, bool peer_closed) {
  const auto &limits = server_.limits_;
  // Pipelined requests are read together; one more read can complete a head.
  const size_t input_limit = limits.request.max_head + 4096;
  bool filled = false;
  for (int turn = 0; turn < kRequestsPerTurn;) {
    const ParsedHead parsed = parse_request_head(c->unanswered(), limits.request, c->scan);
    if (parsed.status == ParsedHead::Status::incomplete && (!filled || c->input_held)) {
      // Read only when what is buffered is not a whole request: a pipelined
      // one costs no system call. Read again when the last read stopped at
      // the limit with input still in the channel (TLS), which no epoll
      // event would bring back.
      filled = true;
      switch (c->fill(input_limit)) {
        case Connection::Fill::error: return close(c);
        case Connection::Fill::closed: peer_closed = true; break;
        default: break;
      }
      continue;
    }
    if (parsed.status == ParsedHead::Status::incomplete) {
      if (peer_closed) return close(c);
      arm(c, EPOLLIN | EPOLLRDHUP);
      const auto now = Clock::now();
      if (c->unanswered().empty()) {
        c->waiting_for_request = false;
        c->deadline = now + limits.idle_timeout;
        c->trim();
      } else if (!c->waiting_for_request) {
        // The whole head must arrive within io_timeout of its first byte.
        c->waiting_for_request = true;
        c->deadline = now + limits.io_timeout;
      }
      return;
    }
    c->waiting_for_request = false;
    if (parsed.status == ParsedHead::Status::refused) {
      // The rest of the byte stream cannot be trusted: answer and close.
      server_.count(parsed.refusal);
      append_text_answer(c->out, refusal_status(parsed.refusal), parsed.why, server_.server_header_, {},
                         /*close=*/true, /*head_only=*/false);
      c->close_when_written = true;
      c->drain_before_close = true;
      c->discard_input();
      finish_answer(c);
      return;
    }
    server_.serve(*c, parsed.request);
    c->consume(parsed.length);
    ++turn;
    if (c->pending.poll) return enter_deferred(c);
    if (c->pending.source) {
      c->state = Connection::State::streaming;
      c->pending.window_start = Clock::now();
      return push_stream(c);
    }
    server_.release(*c);  // answered at once, though it could have waited
    if (!finish_answer(c)) return;
  }
  // Many pipelined requests: the rest waits for this loop's next turn. The
  // socket may be empty, so no event would come: ask for one.
  arm(c, EPOLLIN | EPOLLOUT | EPOLLRDHUP);
}

void EventLoop::enter_deferred(Connection *c) {
  c->state = Connection::State::deferred;
  c->deadline = Clock::now() + kDeferredBackstop;
  // What the client sends meanwhile stays in the socket until the answer.
  arm(c, EPOLLRDHUP);
  deferred_.push_back(c);
}

std::chrono::milliseconds EventLoop::time_to_next_poll(Clock::time_point now) const {
  auto next = Clock::time_point::max();
  for (const Connection *c : deferred_) next = std::min(next, c->pending.next_poll);
  if (next <= now) return std::chrono::milliseconds(0);
  // Rounded up: waking a moment early would only wait again.
  return std::chrono::ceil<std::chrono::milliseconds>(next - now);
}

void EventLoop::run_polls(Clock::time_point now) {
  // A poll may answer, and finishing an answer may close: collect first.
  std::vector<Connection *> due;
  for (Connection *c : deferred_) {
    if (c->pending.next_poll <= now) due.push_back(c);
  }
  for (Connection *c : due) {
    Exchange ex(server_, *c, nullptr);
    try {
      c->pending.poll(ex);
    } catch (const std::exception &e) {
      server_.note_handler_error("(deferred answer)", e.what());
    } catch (...) {
      server_.note_handler_error("(deferred answer)", "not a std::exception");
    }
    if (!ex.answered() && server_.stopping()) {
      ex.send_text(503, "shutting down");
    } else if (!ex.answered()) {
      c->pending.next_poll = now + c->pending.period;
      continue;
    }
    std::erase(deferred_, c);
    c->pending.poll = nullptr;
    server_.release(*c);
    if (finish_answer(c)) drive(c, false);
  }
}

void EventLoop::sweep(Clock::time_point now) {
  const auto &limits = server_.limits_;
  std::vector<Connection *> expired, slow;
  for (const auto &[c, owned] : connections_) {
    // A streamed body is judged by the rate floor alone: a client that
    // reads nothing falls under it within one window.
    if (c->state != Connection::State::streaming) {
      if (c->deadline < now) expired.push_back(c);
      continue;
    }
    auto &p = c->pending;
    if (now - p.window_start < limits.stream_rate_window) continue;
    const auto seconds = std::chrono::duration<double>(now - p.window_start).count();
    const uint64_t delivered = c->stream_delivered();
    if (static_cast<double>(delivered - p.window_delivered) <
        static_cast<double>(limits.min_stream_bytes_per_second) * seconds) {
      slow.push_back(c);
    } else {
      p.window_start = now;
      p.window_delivered = delivered;
    }
  }
  for (Connection *c : expired) {
    if (c->state != Connection::State::closing) {
      const bool idle = c->state == Connection::State::reading && !c->waiting_for_request;
      ++(idle ? server_.counters_.idle_closed : server_.counters_.timed_out);
    }
    close(c);
  }
  for (Connection *c : slow) {
    ++server_.counters_.slow_readers;
    close(c);
  }
}

void EventLoop::arm(Connection *c, uint32_t events, int op) {
  if (c->read_waits_for_write || c->write_waits_for_read) [[unlikely]] {
    const uint32_t wanted = events;
    events &= ~(EPOLLIN | EPOLLOUT);
    if (wanted & EPOLLIN) events |= c->read_waits_for_write ? EPOLLOUT : EPOLLIN;
    if (wanted & EPOLLOUT) events |= c->write_waits_for_read ? EPOLLIN : EPOLLOUT;
  }
  if (op == EPOLL_CTL_MOD && c->armed == events) return;
  c->armed = events;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = reinterpret_cast<uint64_t>(c);
  epoll_ctl(epoll_.get(), op, c->fd.get(), &ev);
}

void EventLoop::close_after_answer(Connection *c) {
  c->shut_write();
  // A client that asked for the close (Connection: close, HTTP/1.0) sends
  // nothing after it: with nothing unread, here or in the socket, the
  // close sends no reset and needs no drain. Waiting for its FIN instead
  // would hold the connection for the drain's quiet second whenever MPTCP
  // does not report the peer's DATA_FIN as readable, as happens to about
  // one close in ten under load.
  if (!c->drain_before_close && c->unanswered().empty()) {
    switch (c->drop_incoming(kDrainBytesPerTurn)) {
      case Connection::Fill::more: break;  // it did send more: drain it
      default: return close(c);
    }
  }
  c->discard_input();
  c->state = Connection::State::closing;
  c->drain_end = Clock::now() + kDrainMax;
  c->deadline = Clock::now() + kDrainQuiet;
  arm(c, EPOLLIN | EPOLLRDHUP);
}

void EventLoop::close(Connection *c) {
  if (c->state == Connection::State::deferred) std::erase(deferred_, c);
  server_.release(*c);
  server_.leave(*c);
  // Closing the fd also takes it out of the epoll set.
  if (connections_.erase(c)) --server_.counters_.open;
}

}  // namespace observer::http
