#pragma once
// The checker port's HTTP server, owned end to end by its event loops:
// accept, frame and parse (request_parser.h), route, answer through one
// writer (response_writer.h). The port is open to anyone, so it serves only
// GET and HEAD of its own routes, never reads or decodes a body, and bounds
// every piece of work a client can ask for.
//
// Threads, and who owns what:
//  - "<name>-loopN": event loops (event_loop.h), one per CPU by default.
//    Each owns the connections it accepted, with no lock. Nothing a route
//    does blocks: an answer that waits (?wait) is polled on a timer, a long
//    body (a download) is sent as the socket takes it. So no thread is ever
//    held by a client, however slowly it reads.
//  - A listener is plain or TLS (Listener::tls): each connection's bytes go
//    through its Channel (channel.h), and a TLS handshake is one more state
//    of the loop, so TLS keeps every limit below.
//  - Clients are counted across loops: their open connections (at most
//    max_connections_per_client) and their answers that wait or stream
//    (WaitPermit: at most max_waiting in all, 503 past it, and
//    max_waiting_per_client, 429 past it). A client is an IPv4 address or
//    an IPv6 /64, which one host usually holds whole.
#include <array>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/defaults.h"
#include "http/connection.h"
#include "http/listen_socket.h"
#include "http/request_parser.h"
#include "http/response_writer.h"

namespace observer::http {

class EventLoop;
class HttpServer;

struct ServerLimits {
  size_t loops = 0;  // event loops; 0: one per CPU
  std::chrono::milliseconds io_timeout{10000};  // a request must arrive, or an answer move, within this
  std::chrono::milliseconds idle_timeout{30000};
  size_t max_connections = defaults::kMaxConnections;
  size_t max_connections_per_client = defaults::kMaxConnectionsPerClient;  // IPv4 address or IPv6 /64, as WaitPermit counts
  size_t max_requests_per_connection = 10000;
  RequestLimits request;
  size_t max_waiting = defaults::kMaxWaiting;
  size_t max_waiting_per_client = 4;
  // A streamed body the client reads slower than this, averaged over the
  // window, is cut: a slow reader holds its memory and a waiting slot.
  uint64_t min_stream_bytes_per_second = 64 * 1024;
  std::chrono::milliseconds stream_rate_window{10000};
};

inline constexpr size_t kRefusalKinds = static_cast<size_t>(Refusal::client_limit) + 1;

struct ServerCounters {
  std::atomic<uint64_t> accepted{0};
  std::atomic<uint64_t> rejected_over_limit{0};
  std::atomic<uint64_t> rejected_client_over_limit{0};  // max_connections_per_client
  std::atomic<uint64_t> accept_errors{0};
  std::atomic<uint64_t> idle_closed{0};
  std::atomic<uint64_t> timed_out{0};     // a request or answer that did not move within io_timeout
  std::atomic<uint64_t> slow_readers{0};  // streamed bodies cut below the rate floor
  // TLS handshakes that failed: not TLS, nothing in common, a certificate
  // the client refused, or closed before the end. One that does not end
  // within io_timeout is timed_out.
  std::atomic<uint64_t> tls_handshake_failed{0};
  std::atomic<uint64_t> open{0};
  std::atomic<uint64_t> waiting{0};  // answers that wait or stream now
  std::atomic<uint64_t> handler_errors{0};
  std::array<std::atomic<uint64_t>, kRefusalKinds> refusals{};
};

// One request and its answer, as a route sees it. A route answers exactly
// once: send(), refuse(), send_stream(), or later from defer()'s poll.
class Exchange {
 public:
  // The parsed request: only during the route's own call, not in a poll
  // (its views point into the connection's input).
  const Request &request() const { return *request_; }
  const QueryParams &params() const { return c_.pending.params; }
  bool head_only() const { return c_.pending.head_only; }
  int socket() const { return c_.fd.get(); }
  const SocketAddress &peer() const { return c_.peer; }
  const std::string &peer_text() const { return c_.peer_text; }
  const std::string &local_text() const { return c_.local_text; }
  bool stopping() const;

  void send(int status, std::span<const HeaderField> fields, std::string_view content_type, std::string_view body);
  // A one-line text answer ("404 Not Found: ..."), keeping the connection.
  void send_text(int status, std::string_view why, std::span<const HeaderField> fields = {});
  // A refusal the route decides (416): counted with the parser's.
  void refuse(Refusal refusal, std::string_view why, std::span<const HeaderField> fields = {});
  // The head now, then `length` bytes of body from `source` as the client
  // reads them; a client slower than the rate floor is cut.
  void send_stream(int status, std::span<const HeaderField> fields, std::string_view content_type,
                   uint64_t length, BodySource source);
  // No answer yet: `poll` is called every `period` until it sends one. The
  // route must make it answer in bounded time (it has its own deadline).
  void defer(std::chrono::milliseconds period, Poll poll);
  bool answered() const { return answered_; }

 private:
  friend class EventLoop;
  friend class HttpServer;
  Exchange(HttpServer &server, Connection &c, const Request *request) : server_(server), c_(c), request_(request) {}
  void begin_answer();
  void write_head(int status, std::span<const HeaderField> fields, std::string_view content_type, uint64_t length);
  HttpServer &server_;
  Connection &c_;
  const Request *request_;
  bool answered_ = false;
  bool deferred_ = false;
};

class HttpServer {
 public:
  using Handler = std::function<void(Exchange &)>;
  // Whether a request to a route waits or streams (so takes a WaitPermit).
  using Waits = std::function<bool(const QueryParams &)>;
  static bool always(const QueryParams &) { return true; }

  HttpServer(std::string name, ServerLimits limits, std::string server_header);
  ~HttpServer();
  HttpServer(const HttpServer &) = delete;
  HttpServer &operator=(const HttpServer &) = delete;

  // A page at exactly `path` (no prefix match). Before start().
  // accepts_range: a Range header is the route's to answer; on every
  // other route it is refused (416), never served.
  void route(const std::string &path, Handler handler, Waits waits = nullptr, bool accepts_range = false);

  void add_listener(Listener listener);
  const std::vector<Listener> &listeners() const { return listeners_; }
  void start();
  void stop();
  bool stopping() const { return stopping_.load(); }
  const ServerCounters &counters() const { return counters_; }
  const std::string &name() const { return name_; }

 private:
  friend class EventLoop;
  friend class Exchange;
  struct Route {
    Handler handler;
    Waits waits;
    bool accepts_range = false;
  };

  // A complete request on c: routes and answers it (or starts to).
  void serve(Connection &c, const Request &request);
  void count(Refusal r) { counters_.refusals[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
  // Takes one waiting slot for c's client, or says which limit refused.
  Refusal acquire(Connection &c);
  void release(Connection &c);
  // Counts c under its client while it is open; false past the client's cap.
  bool admit(const Connection &c);
  void leave(const Connection &c);
  void note_handler_error(const std::string &path, std::string_view what);

  std::string name_;
  ServerLimits limits_;
  std::string server_header_;
  std::vector<std::pair<std::string, Route>> routes_;  // written before start(), read-only after
  std::vector<Listener> listeners_;  // added before start(), read-only after (the loops index it)
  std::atomic<bool> stopping_{false};
  ServerCounters counters_;
  std::atomic<bool> handler_error_logged_{false};  // one line in the log, then only the counter
  std::vector<std::unique_ptr<EventLoop>> loops_;

  // Per client (Connection::client): open connections and waiting answers.
  // Taken at accept, close, and when an answer starts or stops waiting; a
  // request that is answered at once never takes it.
  struct ClientCounts {
    size_t connections = 0, waiting = 0;
  };
  std::mutex clients_mu_;  // guards clients_
  std::unordered_map<std::string, ClientCounts> clients_;
};

}  // namespace observer::http
