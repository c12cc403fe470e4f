// The checker port's pipeline end to end on loopback TCP: routing, keep-alive
// and pipelining, refusals that close, answers that wait or stream, and the
// limits on them. No root, no MPTCP: the routes here are test pages.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "http_test_server.h"

using namespace observer;
using namespace observer::http;
using namespace std::chrono_literals;

namespace {
using namespace observer::http::testing;

void send_all(int fd, std::string_view bytes) { REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size())); }

// Reads until `answers` whole answers are here (their Content-Length read;
// no body after a HEAD when head_only), the peer closes, or 3 s pass.
std::string read_answers(int fd, int answers, bool head_only = false, bool *closed = nullptr) {
  std::string in;
  const auto deadline = std::chrono::steady_clock::now() + 3s;
  while (!answers_complete(in, answers, head_only) && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[65536];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      break;
    }
    in.append(buf, static_cast<size_t>(n));
  }
  return in;
}

bool peer_closes(int fd) {
  char buf[4096];
  for (int i = 0; i < 30; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a GET is answered, a HEAD gets the same head without the body", "[http_server]") {
  TestServer server;
  const int fd = server.connect();
  send_all(fd, "GET /page?n=1 HTTP/1.1\r\n\r\n");
  const auto answer = read_answers(fd, 1);
  CHECK(answer.starts_with("HTTP/1.1 200 OK\r\nServer: test-server\r\n"));
  CHECK(answer.ends_with("Content-Length: 7\r\n\r\npage 1\n"));
  send_all(fd, "HEAD /page?n=1 HTTP/1.1\r\n\r\n");
  CHECK(read_answers(fd, 1, /*head_only=*/true).ends_with("Content-Length: 7\r\n\r\n"));
  ::close(fd);
}

TEST_CASE("pipelined requests are answered in order on one connection", "[http_server]") {
  TestServer server;
  const int fd = server.connect();
  send_all(fd, "GET /page?n=1 HTTP/1.1\r\n\r\nGET /nothing HTTP/1.1\r\n\r\nGET /page?n=3 HTTP/1.1\r\n\r\n");
  const auto answers = read_answers(fd, 3);
  const size_t first = answers.find("page 1"), missing = answers.find("404 Not Found: no page at /nothing"),
               third = answers.find("page 3");
  REQUIRE(first != std::string::npos);
  REQUIRE(missing != std::string::npos);
  REQUIRE(third != std::string::npos);
  CHECK((first < missing && missing < third));
  ::close(fd);
}

TEST_CASE("a refused request is answered and its connection closed, its body never read", "[http_server]") {
  TestServer server;
  const int fd = server.connect();
  send_all(fd, "POST /page HTTP/1.1\r\nContent-Encoding: br\r\nContent-Length: 100000000\r\n\r\n");
  bool closed = false;
  const auto answer = read_answers(fd, 1, false, &closed);
  CHECK(answer.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
  CHECK(answer.find("Connection: close\r\n") != std::string::npos);
  CHECK((closed || peer_closes(fd)));
  CHECK(server.refusals(Refusal::method) == 1);
  ::close(fd);
}

TEST_CASE("a Range is refused on a page that is not served in ranges", "[http_server]") {
  TestServer server;
  const int fd = server.connect();
  send_all(fd, "GET /page HTTP/1.1\r\nRange: bytes=-,-,-,-\r\n\r\nGET /page?n=2 HTTP/1.1\r\n\r\n");
  const auto answers = read_answers(fd, 2);
  CHECK(answers.starts_with("HTTP/1.1 416 Range Not Satisfiable\r\n"));
  CHECK(answers.find("page 2") != std::string::npos);  // kept alive
  CHECK(server.refusals(Refusal::range) == 1);
  ::close(fd);
}

TEST_CASE("a page that fails is answered 500 and counted", "[http_server]") {
  TestServer server;
  const int fd = server.connect();
  send_all(fd, "GET /throws HTTP/1.1\r\n\r\n");
  CHECK(read_answers(fd, 1).starts_with("HTTP/1.1 500 Internal Server Error\r\n"));
  CHECK(server.counters().handler_errors.load() == 1);
  ::close(fd);
}

TEST_CASE("a deferred answer is polled until it is sent, and the connection goes on", "[http_server]") {
  TestServer server;
  const int fd = server.connect();
  send_all(fd, "GET /wait HTTP/1.1\r\n\r\nGET /page?n=9 HTTP/1.1\r\n\r\n");
  const auto answers = read_answers(fd, 2);
  CHECK(answers.find("waited\n") != std::string::npos);
  CHECK(answers.find("page 9") > answers.find("waited\n"));
  CHECK(eventually([&] { return server.counters().waiting.load() == 0; }));
  ::close(fd);
}

TEST_CASE("waiting answers are capped per client and in all", "[http_server]") {
  ServerLimits limits;
  limits.max_waiting_per_client = 2;
  SECTION("per client: 429") {
    TestServer server(limits);
    const int a = server.connect(), b = server.connect(), c = server.connect();
    send_all(a, "GET /hold HTTP/1.1\r\n\r\n");
    send_all(b, "GET /hold HTTP/1.1\r\n\r\n");
    REQUIRE(eventually([&] { return server.counters().waiting.load() == 2; }));
    send_all(c, "GET /hold HTTP/1.1\r\n\r\n");
    const auto refused = read_answers(c, 1);
    CHECK(refused.starts_with("HTTP/1.1 429 Too Many Requests\r\n"));
    CHECK(refused.find("Retry-After: 1\r\n") != std::string::npos);
    CHECK(server.refusals(Refusal::client_limit) == 1);
    server.release();
    CHECK(read_answers(a, 1).find("held\n") != std::string::npos);
    CHECK(read_answers(b, 1).find("held\n") != std::string::npos);
    CHECK(eventually([&] { return server.counters().waiting.load() == 0; }));
    for (const int fd : {a, b, c}) ::close(fd);
  }
  SECTION("in all: 503") {
    limits.max_waiting_per_client = 10;
    limits.max_waiting = 1;
    TestServer server(limits);
    const int a = server.connect(), b = server.connect();
    send_all(a, "GET /hold HTTP/1.1\r\n\r\n");
    REQUIRE(eventually([&] { return server.counters().waiting.load() == 1; }));
    send_all(b, "GET /hold HTTP/1.1\r\n\r\n");
    CHECK(read_answers(b, 1).starts_with("HTTP/1.1 503 Service Unavailable\r\n"));
    CHECK(server.refusals(Refusal::busy) == 1);
    // A client that hangs up frees its slot.
    ::close(a);
    CHECK(eventually([&] { return server.counters().waiting.load() == 0; }));
    ::close(b);
  }
}

TEST_CASE("a streamed body arrives whole, and a slow reader is cut", "[http_server]") {
  SECTION("whole") {
    TestServer server;
    const int fd = server.connect();
    send_all(fd, "GET /stream?size=3000000 HTTP/1.1\r\n\r\n");
    const auto answer = read_answers(fd, 1);
    const size_t body = answer.find("\r\n\r\n") + 4;
    CHECK(answer.size() - body == 3000000);
    CHECK(answer.find_first_not_of('z', body) == std::string::npos);
    CHECK(eventually([&] { return server.counters().waiting.load() == 0; }));
    ::close(fd);
  }
  SECTION("slow reader") {
    ServerLimits limits;
    limits.min_stream_bytes_per_second = 1ull << 30;  // nobody reading nothing keeps up with that
    limits.stream_rate_window = 200ms;
    TestServer server(limits);
    const int fd = server.connect();
    const int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    send_all(fd, "GET /stream?size=1000000000 HTTP/1.1\r\n\r\n");
    CHECK(eventually([&] { return server.counters().slow_readers.load() == 1; }));
    CHECK(eventually([&] { return server.counters().open.load() == 0 && server.counters().waiting.load() == 0; }));
    ::close(fd);
  }
}

TEST_CASE("one client holds at most its share of connections", "[http_server]") {
  ServerLimits limits;
  limits.max_connections_per_client = 2;
  TestServer server(limits);
  const int a = server.connect(), b = server.connect();
  REQUIRE(eventually([&] { return server.counters().open.load() == 2; }));
  const int c = server.connect();
  send_all(c, "GET /page HTTP/1.1\r\n\r\n");
  CHECK(peer_closes(c));
  CHECK(server.counters().rejected_client_over_limit.load() == 1);
  ::close(a);
  REQUIRE(eventually([&] { return server.counters().open.load() == 1; }));
  const int d = server.connect();  // a slot is free again
  send_all(d, "GET /page?n=4 HTTP/1.1\r\n\r\n");
  CHECK(read_answers(d, 1).find("page 4") != std::string::npos);
  for (const int fd : {b, c, d}) ::close(fd);
}
