#pragma once
// An HTTP server that keeps httplib for parsing, routing and writing
// responses, and owns the sockets itself. httplib 0.11 creates its listener
// with a fixed protocol and never shows a handler its socket; the checker
// needs both (an IPPROTO_MPTCP listener, and getsockopt on the accepted
// socket), so this class runs its own accept and keep-alive loop and hands
// each request to httplib's protected process_request().
//
// Threads: the "<name>-wN" workers all wait on one epoll set, where every
// socket is registered one-shot: whoever the kernel wakes accepts, or reads
// and answers one request, then re-arms the socket (leader/followers, no
// hand-off between threads on the request path). An idle keep-alive
// connection waits in epoll, not in a worker, so it never holds up another
// client's request; a slow handler (?wait, a download) holds only its own
// worker. "<name>-idle" closes connections idle for longer than idle_timeout.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "http/listen_socket.h"

namespace observer::http {

struct ServerLimits {
  size_t threads = 16;
  std::chrono::milliseconds io_timeout{10000};
  std::chrono::milliseconds idle_timeout{30000};
  size_t max_connections = 20000;
  size_t max_request_bytes = 64 * 1024;
  size_t max_requests_per_connection = 10000;
};

struct ServerCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> rejected_over_limit{0};
  std::atomic<uint64_t> accept_errors{0};
  std::atomic<uint64_t> idle_closed{0};
  std::atomic<uint64_t> open{0};
};

class HttpServer : public httplib::Server {
 public:
  HttpServer(std::string name, ServerLimits limits);
  ~HttpServer() override;

  // Registers a read-only page. Other methods on its path get 405 with an
  // Allow header; paths never registered get 404.
  void route_get(const std::string &path, Handler handler);

  void add_listener(Listener listener);
  const std::vector<Listener> &listeners() const { return listeners_; }
  void start();
  void stop();
  bool stopping() const { return stopping_.load(); }
  const ServerCounters &counters() const { return counters_; }

  // The socket of the connection whose request the calling thread is
  // serving, or -1 outside a request. Only valid inside a handler.
  static int current_socket();
  // Its peer and local addresses, read once at accept.
  static const SocketAddress &current_peer();
  static const SocketAddress &current_local();

 private:
  struct Connection;

  void worker(size_t index);
  void sweeper();
  void accept_from(size_t listener_index);
  void serve(uint64_t id);
  void arm(Connection *c, int op);
  void sweep_idle();
  void install_error_pages();
  void install_router();

  std::string name_;
  ServerLimits limits_;
  std::unordered_map<std::string, Handler> get_routes_;  // written before start(), read-only after
  std::vector<Listener> listeners_;
  UniqueFd epoll_, wakeup_;
  std::atomic<bool> stopping_{false};
  ServerCounters counters_;

  // Connections by id; ids are never reused, so an event for a connection
  // the sweeper closed meanwhile finds nothing instead of a stranger.
  std::mutex connections_mu_;  // guards connections_ and each Connection's idle state
  std::unordered_map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_id_ = 1;

  std::mutex sweeper_mu_;
  std::condition_variable sweeper_cv_;
  std::thread sweeper_thread_;
  std::vector<std::thread> workers_;
};

}  // namespace observer::http
