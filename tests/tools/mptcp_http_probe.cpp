// An MPTCP client that keeps one connection open and sends several GET
// requests on it, one after another, printing each response body. The first
// requests carry data, which is what makes the client's path manager open
// MP_JOIN subflows; a later "?wait=" request then sees them. An argument
// "@MS" instead of a path pauses MS milliseconds before the next request,
// for what the kernel does in between (a join tried and refused).
//
//   mptcp_http_probe [--tcp] HOST PORT PATH|@MS [PATH|@MS...]
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include <iostream>
#include <string>
#include <vector>

#include "common/unique_fd.h"

namespace {
constexpr int kIpprotoMptcp = 262;

[[noreturn]] void die(const std::string &why) {
  std::cerr << "mptcp_http_probe: " << why << "\n";
  std::exit(1);
}

observer::UniqueFd connect_to(const std::string &host, const std::string &port, bool mptcp) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *res = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    die("cannot resolve " + host + ": " + gai_strerror(rc));
  }
  observer::UniqueFd fd(socket(res->ai_family, SOCK_STREAM, mptcp ? kIpprotoMptcp : IPPROTO_TCP));
  if (!fd) die(std::string("socket: ") + std::strerror(errno));
  timeval tv{15, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd.get(), res->ai_addr, res->ai_addrlen) != 0) die(std::string("connect: ") + std::strerror(errno));
  freeaddrinfo(res);
  return fd;
}

// Reads one response with a Content-Length body; returns the body.
std::string read_response(int fd, std::string &pending) {
  char buf[65536];
  size_t header_end;
  while ((header_end = pending.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) die("connection closed before the response headers");
    pending.append(buf, static_cast<size_t>(n));
  }
  const std::string headers = pending.substr(0, header_end);
  const auto cl = headers.find("Content-Length: ");
  if (cl == std::string::npos) die("response without Content-Length");
  const size_t length = std::stoul(headers.substr(cl + 16));
  while (pending.size() < header_end + 4 + length) {
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) die("connection closed in the response body");
    pending.append(buf, static_cast<size_t>(n));
  }
  std::string body = pending.substr(header_end + 4, length);
  pending.erase(0, header_end + 4 + length);
  return body;
}
}  // namespace

int main(int argc, char **argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  bool mptcp = true;
  if (!args.empty() && args[0] == "--tcp") {
    mptcp = false;
    args.erase(args.begin());
  }
  if (args.size() < 3) die("usage: mptcp_http_probe [--tcp] HOST PORT PATH|@MS [PATH|@MS...]");
  const auto fd = connect_to(args[0], args[1], mptcp);
  const std::string host_header = args[0].find(':') != std::string::npos ? "[" + args[0] + "]" : args[0];
  std::string pending;
  std::string last_body;
  for (size_t i = 2; i < args.size(); ++i) {
    if (args[i].size() > 1 && args[i][0] == '@') {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stoul(args[i].substr(1))));
      continue;
    }
    const std::string request = "GET " + args[i] + " HTTP/1.1\r\nHost: " + host_header +
                                "\r\nUser-Agent: mptcp_http_probe\r\nAccept: */*\r\n\r\n";
    if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
      die(std::string("send: ") + std::strerror(errno));
    }
    last_body = read_response(fd.get(), pending);
  }
  std::cout << last_body << std::flush;
  return 0;
}
