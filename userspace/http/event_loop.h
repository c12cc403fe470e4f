#pragma once
// One thread, one epoll set, the connections it accepted. Every listener is
// in every loop's set with EPOLLEXCLUSIVE, so the kernel wakes one loop per
// new connection; the connection then stays on that loop (no lock on the
// request path). See http_server.h for the whole picture.
#include <sys/epoll.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/unique_fd.h"
#include "http/connection_stream.h"

namespace observer::http {

class HttpServer;

struct Connection {
  using Clock = std::chrono::steady_clock;
  enum class State {
    reading,  // waiting for (the rest of) a request; idle when nothing is buffered
    writing,  // an answer is held until the socket takes it
    away,     // a worker has it; the loop does not touch it
    closing,  // answered and shut for writing; what the client still sends is read and dropped
  };

  ConnectionStream stream;
  State state = State::reading;
  Clock::time_point deadline;  // when waiting in this state ends it
  bool waiting_for_request = false;  // deadline counts from the first byte of a request
  bool close_when_written = false;
  uint32_t armed = 0;          // the epoll events asked for now
  size_t requests = 0;
  size_t head_scanned = 0;     // how far the search for the end of the next request's head got
  bool close_after_request = false;  // its body's length is unknown: nothing after it can be trusted
  size_t request_length = 0;   // of the request a worker is to answer; 0: not framed

  Connection(UniqueFd fd, std::chrono::milliseconds io_timeout) : stream(std::move(fd), io_timeout) {}
};

class EventLoop {
 public:
  EventLoop(HttpServer &server, size_t index);
  ~EventLoop();

  void watch_listener(int fd);
  void start();
  void stop();  // after HttpServer::stopping_ is set; joins the thread

  // From a worker: the connection comes back to this loop (kept or closed).
  void give_back(Connection *c, bool keep);

 private:
  void run();
  void accept_from(int listen_fd);
  void on_ready(Connection *c, uint32_t events);
  // Answers what is buffered, reads more, and leaves c armed for what it
  // needs next, or closes it.
  void drive(Connection *c, bool peer_closed);
  void take_back();
  void send_to_worker(Connection *c, size_t request_length);
  void sweep(Connection::Clock::time_point now);
  void resume_listeners(Connection::Clock::time_point now);
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
  std::vector<int> listener_fds_;
  std::vector<std::pair<int, Connection::Clock::time_point>> paused_listeners_;  // fd, listen again at

  std::mutex returned_mu_;  // guards returned_
  std::vector<std::pair<Connection *, bool>> returned_;
};

}  // namespace observer::http
