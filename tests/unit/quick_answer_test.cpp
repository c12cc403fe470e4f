// A quick answer (written without httplib) and httplib's answer to the same
// page must be the same bytes. One HttpServer on loopback TCP serves a page
// both ways: a plain request takes the quick path, the same request with a
// query string is left to httplib, and the transcripts are compared.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "http/http_server.h"
#include "views/checker/checker_routes.h"

using namespace observer;
using namespace observer::http;

namespace {
constexpr std::string_view kBody = "You are using MPTCP.\n";
constexpr std::array<HeaderField, 3> kPageFields{{{"X-MPTCP", "true"}, {"Cache-Control", "no-store"}, {"Vary", "Accept"}}};

// Sends `requests` on one connection to 127.0.0.1:port and returns all it
// gets until the server closes.
std::string exchange_with(uint16_t port, const std::string &requests) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr *>(&sa), sizeof sa) == 0);
  REQUIRE(::send(fd, requests.data(), requests.size(), 0) == static_cast<ssize_t>(requests.size()));
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return got;
}

class PageServer {
 public:
  // `quick`: the quick route's handler; by default the same page as httplib's.
  explicit PageServer(size_t max_requests = 10000, HttpServer::QuickHandler quick = nullptr) {
    ServerLimits limits;
    limits.loops = 1;
    limits.workers = 1;
    limits.max_requests_per_connection = max_requests;
    server_ = std::make_unique<HttpServer>("test", limits);
    server_->set_default_headers({{"Server", "mptcp-observer/test"}});
    // The same answer both ways: the route's fields, then the body.
    server_->route_get("/page", [this](const httplib::Request &, httplib::Response &res) {
      ++httplib_answers;
      res.set_header("X-MPTCP", "true");
      res.set_header("Cache-Control", "no-store");
      res.set_header("Vary", "Accept");
      res.set_content(std::string(kBody), "text/plain; charset=utf-8");
    });
    // Any status, for comparing status lines with httplib's.
    server_->route_get("/status", [](const httplib::Request &req, httplib::Response &res) {
      res.status = std::stoi(req.get_param_value("code"));
      res.set_content("x", "text/plain");
    });
    if (!quick) {
      quick = [this](const QuickRequest &, QuickResponder &out) {
        ++quick_answers;
        out.send(200, kPageFields, "text/plain; charset=utf-8", kBody);
      };
    }
    server_->route_get_quick("/page", std::move(quick));
    std::string error;
    auto listener = open_listener(*parse_socket_address("127.0.0.1:0", error), /*want_mptcp=*/false, error);
    REQUIRE(listener);
    port_ = static_cast<uint16_t>(port_of(listener->address.get()));
    server_->add_listener(std::move(*listener));
    server_->start();
  }
  ~PageServer() { server_->stop(); }

  // Sends `requests` on one connection and returns all it gets until the server closes.
  std::string exchange(const std::string &requests) const { return exchange_with(port_, requests); }

  const ServerCounters &counters() const { return server_->counters(); }

  std::atomic<int> quick_answers{0};
  std::atomic<int> httplib_answers{0};

 private:
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
};

// The same requests with "?q" after each path: httplib's path.
std::string with_query(std::string requests) {
  for (size_t at = 0; (at = requests.find("/page ", at)) != std::string::npos; at += 8) requests.replace(at, 6, "/page?q ");
  return requests;
}
}  // namespace

TEST_CASE("a quick answer is byte for byte httplib's: keep-alive, HEAD, Connection: close, pipelined") {
  PageServer server;
  const std::string requests =
      "GET /page HTTP/1.1\r\nHost: a\r\n\r\n"
      "HEAD /page HTTP/1.1\r\nHost: a\r\n\r\n"
      "GET /page HTTP/1.1\r\nConnection: Close\r\n\r\n"  // httplib keeps this one open
      "GET /page HTTP/1.1\r\nconnection: close\r\n\r\n";
  const std::string quick = server.exchange(requests);
  CHECK(server.quick_answers == 4);
  const std::string slow = server.exchange(with_query(requests));
  CHECK(server.quick_answers == 4);
  CHECK(quick == slow);
  CHECK(quick.find("Keep-Alive: timeout=30, max=10000\r\n") != std::string::npos);
  CHECK(quick.find("Accept-Ranges: bytes\r\n") != std::string::npos);
  CHECK(quick.ends_with("Connection: close\r\nContent-Length: 21\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "Server: mptcp-observer/test\r\nVary: Accept\r\nX-MPTCP: true\r\n\r\nYou are using MPTCP.\n"));
}

TEST_CASE("a quick answer says Connection: close on a connection's last allowed request, as httplib does") {
  PageServer server(/*max_requests=*/2);
  const std::string requests = "GET /page HTTP/1.1\r\n\r\nGET /page HTTP/1.1\r\n\r\nGET /page HTTP/1.1\r\n\r\n";
  const std::string quick = server.exchange(requests);
  const std::string slow = server.exchange(with_query(requests));
  CHECK(quick == slow);
  CHECK(server.quick_answers == 2);  // the third request is never read
}

TEST_CASE("requests a quick route does not take still get httplib's answers") {
  PageServer server;
  const std::string answer = server.exchange(
      "GET /page HTTP/1.0\r\n\r\n");
  CHECK(answer.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(server.quick_answers == 0);
  CHECK(server.exchange("POST /page HTTP/1.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 405"));
  CHECK(server.exchange("GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n").starts_with("HTTP/1.1 404"));
  CHECK(server.quick_answers == 0);
}

TEST_CASE("a header line too long for httplib gets httplib's 400 on both paths; one byte shorter, the same page") {
  PageServer server;
  // httplib rejects a header line longer than 8192 bytes counting its CRLF.
  const auto request = [](size_t line_length) {
    return "GET /page HTTP/1.1\r\nX: " + std::string(line_length - 3, 'a') + "\r\n\r\n";
  };
  const std::string longest_taken = request(8190);
  const std::string quick = server.exchange(longest_taken + "GET /page HTTP/1.1\r\nConnection: close\r\n\r\n");
  CHECK(server.quick_answers == 2);
  CHECK(quick == server.exchange(with_query(longest_taken) + "GET /page?q HTTP/1.1\r\nConnection: close\r\n\r\n"));
  CHECK(quick.starts_with("HTTP/1.1 200 OK\r\n"));

  for (const size_t too_long : {8191, 8192}) {
    INFO(too_long);
    const std::string answer = server.exchange(request(too_long) + "GET /page HTTP/1.1\r\n\r\n");
    CHECK(server.quick_answers == 2);  // neither request: the connection ends at the 400
    CHECK(answer == server.exchange(with_query(request(too_long)) + "GET /page?q HTTP/1.1\r\n\r\n"));
    CHECK(answer.starts_with("HTTP/1.1 400 Bad Request\r\n"));
    CHECK(answer.find("Connection: close\r\n") != std::string::npos);
  }
}

TEST_CASE("status_message is httplib's reason phrase for every status the server sends") {
  PageServer server;
  for (const int status : {200, 400, 404, 405, 413, 414, 416, 417, 431, 500, 503}) {
    INFO(status);
    const std::string answer =
        server.exchange("GET /status?code=" + std::to_string(status) + " HTTP/1.1\r\nConnection: close\r\n\r\n");
    CHECK(answer.substr(0, answer.find("\r\n")) ==
          "HTTP/1.1 " + std::to_string(status) + " " + status_message(status));
  }
  // The error pages say the same.
  CHECK(server.exchange("GET /nope HTTP/1.1\r\nConnection: close\r\n\r\n").ends_with("\r\n\r\n404 Not Found: no page at /nope\n"));
}

TEST_CASE("a quick handler that throws before its answer leaves the request to httplib, counted") {
  int calls = 0;
  PageServer server(10000, [&](const QuickRequest &, QuickResponder &) {
    ++calls;
    throw std::runtime_error("no status for this connection");
  });
  const std::string requests = "GET /page HTTP/1.1\r\n\r\nGET /page HTTP/1.1\r\nConnection: close\r\n\r\n";
  const std::string answer = server.exchange(requests);
  CHECK(calls == 2);
  CHECK(server.httplib_answers == 2);
  CHECK(server.counters().quick_handler_errors == 2);
  CHECK(answer == server.exchange(with_query(requests)));
}

TEST_CASE("a quick handler that throws after its answer keeps that answer: the handler runs once") {
  int calls = 0;
  PageServer server(10000, [&](const QuickRequest &, QuickResponder &out) {
    ++calls;
    out.send(200, kPageFields, "text/plain; charset=utf-8", kBody);
    throw std::runtime_error("counting failed");
  });
  const std::string requests = "GET /page HTTP/1.1\r\nConnection: close\r\n\r\n";
  const std::string answer = server.exchange(requests);
  CHECK(calls == 1);
  CHECK(server.httplib_answers == 0);
  CHECK(server.counters().quick_handler_errors == 1);
  CHECK(answer == server.exchange(with_query(requests)));
}

TEST_CASE("the checker's quick answer is counted once, even when counting it throws") {
  ServerLimits limits;
  limits.loops = 1;
  limits.workers = 1;
  HttpServer server("test", limits);
  int counted = 0;
  checker::CheckerHooks hooks;
  hooks.on_answer = [&](std::string_view, std::string_view) {
    if (++counted == 1) throw std::runtime_error("metrics registry unavailable");
  };
  checker::install_checker_routes(server, hooks);
  std::string error;
  auto listener = open_listener(*parse_socket_address("127.0.0.1:0", error), /*want_mptcp=*/false, error);
  REQUIRE(listener);
  const auto port = static_cast<uint16_t>(port_of(listener->address.get()));
  server.add_listener(std::move(*listener));
  server.start();
  const std::string answer = exchange_with(port, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n");
  server.stop();
  CHECK(counted == 1);
  CHECK(server.counters().quick_handler_errors == 1);
  CHECK(answer.starts_with("HTTP/1.1 "));
  CHECK(answer.find("X-MPTCP: ") != std::string::npos);
}

// HttpServer's own setters are the only way to change what the quick path
// copies from httplib's settings: httplib's are not reachable through it.
static_assert(!std::is_convertible_v<HttpServer *, httplib::Server *>,
              "httplib::Server's non-virtual setters would bypass HttpServer's copies");
