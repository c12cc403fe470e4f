#pragma once
// The checker port's pipeline on a loopback TCP port with test pages, plain
// or TLS, for http_server_test.cpp and tls_test.cpp. No root, no MPTCP.
#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "http/http_server.h"

namespace observer::http::testing {

using namespace std::chrono_literals;

class TestServer {
 public:
  // With `tls`, the listener is HTTPS under that slot's context.
  explicit TestServer(ServerLimits limits = {}, std::shared_ptr<TlsContextSlot> tls = nullptr) {
    limits.loops = 1;
    server_ = std::make_unique<HttpServer>("test", limits, "test-server");
    server_->route("/page", [](Exchange &ex) {
      const auto it = ex.params().find("n");
      ex.send(200, {}, "text/plain", "page " + (it == ex.params().end() ? std::string("-") : it->second) + "\n");
    });
    server_->route("/throws", [](Exchange &) -> void { throw std::runtime_error("boom"); });
    server_->route(
        "/wait",
        [](Exchange &ex) {
          ex.defer(10ms, [polls = 0](Exchange &later) mutable {
            if (++polls == 3) later.send(200, {}, "text/plain", "waited\n");
          });
        },
        HttpServer::always);
    server_->route(
        "/hold",
        [this](Exchange &ex) {
          ex.defer(10ms, [this](Exchange &later) {
            if (released_) later.send(200, {}, "text/plain", "held\n");
          });
        },
        HttpServer::always);
    server_->route(
        "/stream",
        [](Exchange &ex) {
          const auto it = ex.params().find("size");
          const uint64_t size = it == ex.params().end() ? 1 << 20 : std::stoull(it->second);
          ex.send_stream(200, {}, "application/octet-stream", size, [](uint64_t offset, size_t max) {
            static const std::string block(4096, 'z');
            const size_t at = offset % block.size();
            return std::string_view(block).substr(at, std::min(max, block.size() - at));
          });
        },
        HttpServer::always, /*accepts_range=*/true);
    std::string error;
    auto listener = open_listener(*parse_socket_address("127.0.0.1:0", error), /*want_mptcp=*/false, error);
    REQUIRE(listener);
    listener->tls = std::move(tls);
    port_ = static_cast<uint16_t>(port_of(listener->address.get()));
    server_->add_listener(std::move(*listener));
    server_->start();
  }

  int connect() const {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port_);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0);
    return fd;
  }
  void release() { released_ = true; }
  const ServerCounters &counters() const { return server_->counters(); }
  uint64_t refusals(Refusal r) const { return counters().refusals[static_cast<size_t>(r)].load(); }

 private:
  std::unique_ptr<HttpServer> server_;
  uint16_t port_ = 0;
  std::atomic<bool> released_{false};
};

// Whether `in` holds `answers` whole answers (their Content-Length read; no
// body after a HEAD when head_only).
inline bool answers_complete(std::string_view in, int answers, bool head_only) {
  size_t pos = 0;
  for (int i = 0; i < answers; ++i) {
    const size_t end = in.find("\r\n\r\n", pos);
    if (end == std::string_view::npos) return false;
    const size_t cl = in.find("Content-Length: ", pos);
    size_t length = 0;
    if (cl != std::string_view::npos && cl < end) length = std::stoull(std::string(in.substr(cl + 16, 20)));
    pos = end + 4 + (head_only ? 0 : length);
    if (pos > in.size()) return false;
  }
  return true;
}

template <typename F>
bool eventually(F f) {
  for (int i = 0; i < 50; ++i) {
    if (f()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return f();
}

}  // namespace observer::http::testing
