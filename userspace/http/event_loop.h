#pragma once
// One thread, one epoll set, the connections it accepted. Every listener is
// in every loop's set with EPOLLEXCLUSIVE, so the kernel wakes one loop per
// new connection; the connection then stays on that loop (no lock on the
// request path). See http_server.h for the whole picture.
#include <sys/epoll.h>

#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/unique_fd.h"
#include "http/connection.h"

namespace observer::http {

class HttpServer;

class EventLoop {
 public:
  EventLoop(HttpServer &server, size_t index);
  ~EventLoop();

  // The server's listeners_[index], whose socket is fd.
  void watch_listener(size_t index, int fd);
  void start();
  void stop();  // after HttpServer::stopping_ is set; joins the thread

 private:
  void run();
  void accept_from(size_t listener);
  void on_ready(Connection *c, uint32_t events);
  // Moves a TLS handshake on; once complete, reads the first request.
  void handshake(Connection *c);
  // Answers what is buffered, reads more, and leaves c armed for what it
  // needs next, or closes it.
  void drive(Connection *c, bool peer_closed);
  // After an answer is held in c.out (and its stream, if any, is sent):
  // sends it, then reads on or closes. false: c is gone or must wait.
  bool finish_answer(Connection *c);
  void push_stream(Connection *c);
  void enter_deferred(Connection *c);
  void run_polls(Clock::time_point now);
  std::chrono::milliseconds time_to_next_poll(Clock::time_point now) const;
  void sweep(Clock::time_point now);
  void resume_listeners(Clock::time_point now);
  // Asks epoll for `events` as the connection's I/O sees them: EPOLLIN to
  // read on, EPOLLOUT to write on. A channel that waits the other way
  // (Connection::read_waits_for_write, write_waits_for_read) gets that.
  void arm(Connection *c, uint32_t events, int op = EPOLL_CTL_MOD);
  void close(Connection *c);
  // Closes after an answer: closing a socket with unread input sends a
  // reset, which can destroy the answer before the client reads it, so
  // shut the sending side and drain what arrives until the client closes,
  // or for a second.
  void close_after_answer(Connection *c);

  HttpServer &server_;
  size_t index_;
  UniqueFd epoll_, wakeup_;
  std::thread thread_;
  std::unordered_map<Connection *, std::unique_ptr<Connection>> connections_;  // loop thread only
  std::vector<Connection *> deferred_;  // connections whose answer waits (few: --max-waiting)
  std::vector<std::pair<size_t, Clock::time_point>> paused_listeners_;  // listener, listen again at
};

}  // namespace observer::http
