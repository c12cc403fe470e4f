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

  void watch_listener(int fd);
  void start();
  void stop();  // after HttpServer::stopping_ is set; joins the thread

 private:
  void run();
  void accept_from(int listen_fd);
  void on_ready(Connection *c, uint32_t events);
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
  std::vector<int> listener_fds_;
  std::vector<std::pair<int, Clock::time_point>> paused_listeners_;  // fd, listen again at
};

}  // namespace observer::http
