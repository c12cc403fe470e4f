#pragma once
// An HTTP server that keeps httplib for parsing, routing and writing
// responses, and owns the sockets itself. httplib 0.11 creates its listener
// with a fixed protocol and never shows a handler its socket; the checker
// needs both (an IPPROTO_MPTCP listener, and getsockopt on the accepted
// socket), so this class runs its own accept and keep-alive loops and hands
// each request to httplib's protected process_request().
//
// Threads, and who owns what:
//  - "<name>-loopN": event loops (event_loop.h), one per CPU by default.
//    Each owns the connections it accepted, with no lock: it reads without
//    waiting, answers quick requests itself, many per wake-up, and closes
//    connections idle too long. A client that sends a request slowly, or
//    reads its answer slowly, holds nothing but its own buffers.
//  - "<name>-wN": workers for requests that wait (?wait, downloads, event
//    streams: a route says which). A loop hands such a connection over,
//    and the worker hands it back when the answer is sent.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "http/listen_socket.h"
#include "http/quick_request.h"
#include "http/response_head.h"

namespace observer::http {

class EventLoop;
struct Connection;
class ConnectionStream;
class HttpServer;

// How a quick route (HttpServer::route_get_quick) answers: with the same
// head httplib would have written for the same answer.
class QuickResponder {
 public:
  // Sends `body` with the route's own `fields` and what httplib adds to
  // every answer: Content-Type, Content-Length, the server's default
  // headers (set_default_headers), Keep-Alive or "Connection: close", and
  // "Accept-Ranges: bytes" to a HEAD, which gets no body. At most once.
  void send(int status, std::span<const HeaderField> fields, std::string_view content_type, std::string_view body);
  bool sent() const { return sent_; }
  bool closes() const { return close_; }

 private:
  friend class HttpServer;
  QuickResponder(const HttpServer &server, ConnectionStream &stream, bool head, bool close)
      : server_(server), stream_(stream), head_(head), close_(close) {}
  const HttpServer &server_;
  ConnectionStream &stream_;
  bool head_, close_;
  bool sent_ = false;
};

struct ServerLimits {
  size_t loops = 0;  // event loops; 0: one per CPU
  size_t workers = 16;
  std::chrono::milliseconds io_timeout{10000};  // a request must arrive, or an answer leave, within this
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
  std::atomic<uint64_t> timed_out{0};  // a request or answer that did not move within io_timeout
  std::atomic<uint64_t> open{0};
  // A quick handler threw (route_get_quick): before its answer was sent,
  // httplib served the request instead; after, the answer stood.
  std::atomic<uint64_t> quick_handler_errors{0};
};

// Privately an httplib::Server: callers see only what is declared here.
// The quick path sends what httplib's settings say (default headers,
// keep-alive), so those settings must not change behind its back: its
// non-virtual setters, or listen() and Get() on sockets and routes this
// class does not own, cannot be reached through an httplib::Server&.
class HttpServer : private httplib::Server {
 public:
  using Handler = httplib::Server::Handler;
  // Decides, from the parsed request, whether answering it may wait.
  using NeedsWorker = std::function<bool(const httplib::Request &)>;
  static bool always(const httplib::Request &) { return true; }

  HttpServer(std::string name, ServerLimits limits);
  ~HttpServer() override;

  // Registers a read-only page. Other methods on its path get 405 with an
  // Allow header; paths never registered get 404.
  void route_get(const std::string &path, Handler handler, NeedsWorker needs_worker = nullptr);
  // The same page as route_get(path), for the plain requests that need no
  // httplib (quick_request.h), answered on the loop. The handler may
  // decline by not sending; httplib then serves the request as usual, as
  // it does every request parse_quick_request leaves to it. If it throws
  // before sending, the same; after, the answer it sent stands (so what it
  // counted is not counted again). Either way the error is counted in
  // counters().quick_handler_errors and the first is logged.
  using QuickHandler = std::function<void(const QuickRequest &, QuickResponder &)>;
  void route_get_quick(const std::string &path, QuickHandler handler);

  // httplib's, remembered here too: it keeps them private, and quick
  // answers send them as well. Before start().
  HttpServer &set_default_headers(httplib::Headers headers);

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
  // The same as "ip:port" (format_endpoint), also formatted once at accept.
  static const std::string &current_peer_text();
  static const std::string &current_local_text();

 private:
  friend class EventLoop;
  friend class QuickResponder;
  struct Route {
    Handler handler;
    NeedsWorker needs_worker;
  };
  enum class Served { keep, close, to_worker };

  // Answers the request framed in c's stream (on a loop: it is complete).
  Served serve_one(Connection &c, size_t length, bool on_worker);
  // Answers the framed request without httplib when it is a quick one;
  // nullopt (and nothing consumed or written) when httplib must.
  std::optional<Served> serve_quickly(Connection &c, size_t length, bool last);
  // Counts a quick handler's exception, and logs the first one.
  void note_quick_handler_error(const std::string &path, bool answered, std::string_view what);
  void enqueue_work(EventLoop *loop, Connection *c);
  void worker(size_t index);
  void install_error_pages();
  void install_router();
  void install_close_notice();

  std::string name_;
  ServerLimits limits_;
  std::unordered_map<std::string, Route> get_routes_;  // written before start(), read-only after
  std::vector<std::pair<std::string, QuickHandler>> quick_routes_;  // likewise; few, so a list
  httplib::Headers default_headers_copy_;
  std::string keep_alive_value_;  // httplib's Keep-Alive value, from the settings the constructor made
  std::vector<Listener> listeners_;
  std::atomic<bool> stopping_{false};
  ServerCounters counters_;
  std::atomic<bool> quick_handler_error_logged_{false};  // one line in the log, then only the counter
  std::vector<std::unique_ptr<EventLoop>> loops_;

  std::mutex work_mu_;  // guards work_ and answering_
  std::condition_variable work_cv_;
  std::deque<std::pair<EventLoop *, Connection *>> work_;
  std::unordered_set<int> answering_;  // sockets workers are answering now: stop() shuts them
  std::vector<std::thread> workers_;
};

}  // namespace observer::http
