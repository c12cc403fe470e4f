// Load for the benchmarks, in one process so that process start-up does not
// drown what is measured:
//
//   mptcp_load server PORT[,PORT...]              echo server (MPTCP), epoll, holds what it accepts
//   mptcp_load churn HOST PORT COUNT THREADS JOIN_MS
//       COUNT connections, THREADS at a time: connect, exchange 1 KB, wait up
//       to JOIN_MS for the path manager's join, close. Prints the rate.
//   mptcp_load hold HOST PORT[,PORT...] COUNT      open COUNT connections, print "ready", hold until stdin closes
//
// Every loop is bounded by its count and by socket timeouts.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {
constexpr int kIpprotoMptcp = 262;
constexpr int kSolMptcp = 284;
constexpr int kMptcpInfo = 1;

[[noreturn]] void die(const std::string &why) {
  std::cerr << "mptcp_load: " << why << "\n";
  std::exit(1);
}

std::vector<int> ports_of(const std::string &list) {
  std::vector<int> out;
  std::stringstream in(list);
  for (std::string p; std::getline(in, p, ',');) out.push_back(std::stoi(p));
  return out;
}

void raise_fd_limit() {
  rlimit r{1048576, 1048576};
  if (setrlimit(RLIMIT_NOFILE, &r) != 0) {
    getrlimit(RLIMIT_NOFILE, &r);
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

sockaddr_storage resolve(const std::string &host, int port, socklen_t &len) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo *res = nullptr;
  if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0) die("bad address " + host);
  sockaddr_storage ss{};
  std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
  len = res->ai_addrlen;
  freeaddrinfo(res);
  return ss;
}

int connect_mptcp(const sockaddr_storage &ss, socklen_t len) {
  const int fd = socket(ss.ss_family, SOCK_STREAM, kIpprotoMptcp);
  if (fd < 0) return -1;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<const sockaddr *>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

int extra_subflows(int fd) {
  uint8_t info[96] = {};
  socklen_t len = sizeof info;
  if (getsockopt(fd, kSolMptcp, kMptcpInfo, info, &len) != 0) return -1;
  return info[0];  // mptcpi_subflows: the joins
}

int run_server(const std::string &port_list) {
  raise_fd_limit();
  const int ep = epoll_create1(0);
  std::vector<int> listeners;
  for (const int port : ports_of(port_list)) {
    const int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, kIpprotoMptcp);
    if (fd < 0) die("MPTCP socket: " + std::string(std::strerror(errno)));
    const int one = 1, zero = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(static_cast<uint16_t>(port));
    if (bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0 || listen(fd, 65535) != 0) {
      die("listen on " + std::to_string(port) + ": " + std::strerror(errno));
    }
    epoll_event ev{EPOLLIN, {.fd = fd}};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    listeners.push_back(fd);
  }
  std::cout << "listening" << std::endl;
  std::vector<epoll_event> events(1024);
  char buf[65536];
  for (;;) {
    const int n = epoll_wait(ep, events.data(), static_cast<int>(events.size()), -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (std::find(listeners.begin(), listeners.end(), fd) != listeners.end()) {
        for (;;) {
          const int c = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK);
          if (c < 0) break;
          epoll_event ev{EPOLLIN | EPOLLRDHUP, {.fd = c}};
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
        }
        continue;
      }
      const ssize_t r = recv(fd, buf, sizeof buf, 0);
      if (r <= 0) {
        close(fd);
        continue;
      }
      ssize_t off = 0;
      while (off < r) {
        const ssize_t w = send(fd, buf + off, static_cast<size_t>(r - off), MSG_NOSIGNAL);
        if (w <= 0) break;
        off += w;
      }
    }
  }
}

int run_churn(const std::string &host, int port, long count, int threads, int join_ms) {
  socklen_t len;
  const auto ss = resolve(host, port, len);
  std::atomic<long> next{0}, done{0}, joined{0}, failed{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      char data[1000];
      std::memset(data, 'x', sizeof data);
      char back[1000];
      while (next.fetch_add(1) < count) {
        const int fd = connect_mptcp(ss, len);
        if (fd < 0) {
          ++failed;
          continue;
        }
        bool ok = send(fd, data, sizeof data, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof data);
        size_t got = 0;
        while (ok && got < sizeof back) {
          const ssize_t r = recv(fd, back + got, sizeof back - got, 0);
          if (r <= 0) ok = false;
          else got += static_cast<size_t>(r);
        }
        // The path manager opens the join after the first data; give it up
        // to join_ms so each connection carries its join, as in real use.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(join_ms);
        while (ok && join_ms > 0 && std::chrono::steady_clock::now() < deadline) {
          if (extra_subflows(fd) > 0) {
            ++joined;
            break;
          }
          std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        close(fd);
        ok ? ++done : ++failed;
      }
    });
  }
  for (auto &t : pool) t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("connections=%ld failed=%ld joined=%ld seconds=%.3f rate=%.1f\n", done.load(), failed.load(),
              joined.load(), seconds, done.load() / seconds);
  return failed.load() == 0 ? 0 : 1;
}

int run_hold(const std::string &host, const std::string &port_list, long count) {
  raise_fd_limit();
  const auto ports = ports_of(port_list);
  std::vector<std::pair<sockaddr_storage, socklen_t>> targets;
  for (const int p : ports) {
    socklen_t len;
    const auto ss = resolve(host, p, len);
    targets.emplace_back(ss, len);
  }
  std::vector<int> fds;
  fds.reserve(static_cast<size_t>(count));
  for (long i = 0; i < count; ++i) {
    const auto &[ss, len] = targets[static_cast<size_t>(i) % targets.size()];
    const int fd = connect_mptcp(ss, len);
    if (fd < 0) die("connection " + std::to_string(i) + ": " + std::strerror(errno));
    char b = 'x';
    if (send(fd, &b, 1, MSG_NOSIGNAL) != 1 || recv(fd, &b, 1, 0) != 1) die("exchange on connection " + std::to_string(i));
    fds.push_back(fd);
  }
  std::cout << "ready " << fds.size() << std::endl;
  std::string line;
  std::getline(std::cin, line);  // hold until stdin closes
  for (const int fd : fds) close(fd);
  return 0;
}
}  // namespace

int main(int argc, char **argv) {
  const std::vector<std::string> a(argv + 1, argv + argc);
  if (a.size() == 2 && a[0] == "server") return run_server(a[1]);
  if (a.size() == 6 && a[0] == "churn") return run_churn(a[1], std::stoi(a[2]), std::stol(a[3]), std::stoi(a[4]), std::stoi(a[5]));
  if (a.size() == 4 && a[0] == "hold") return run_hold(a[1], a[2], std::stol(a[3]));
  die("usage: mptcp_load server PORTS | churn HOST PORT COUNT THREADS JOIN_MS | hold HOST PORTS COUNT");
}
