#pragma once
// The admin listener: cpp-httplib, through its public API only. It serves
// loopback clients at a low rate, and holds a thread per event stream,
// which httplib's thread-per-connection model fits. A guard before routing
// refuses what no admin page takes (other methods, bodies, ranges), so the
// library never reads, decodes or slices anything for it.
#include <httplib.h>

#include <atomic>
#include <string>
#include <thread>

#include "common/socket_address.h"

namespace observer::http {

class HttplibServer {
 public:
  // `threads`: connections served at once; more wait in httplib's queue.
  HttplibServer(std::string name, std::string server_header, size_t threads);
  ~HttplibServer();
  HttplibServer(const HttplibServer &) = delete;
  HttplibServer &operator=(const HttplibServer &) = delete;

  // A read-only page: GET and HEAD at exactly `path`.
  void get(const std::string &path, httplib::Server::Handler handler);

  // Binds (port 0 picks one); nullopt with a one-line `error`.
  std::optional<SocketAddress> bind(const SocketAddress &address, std::string &error);
  void start();
  void stop();
  bool stopping() const { return stopping_.load(); }

 private:
  void install_guard();
  void install_error_pages();

  std::string name_;
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

}  // namespace observer::http
