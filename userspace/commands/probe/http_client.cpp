#include "commands/probe/http_client.h"

#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "common/text.h"
#include "common/version.h"
#include "sources/getsockopt/mptcp_abi.h"

namespace observer::probe {
namespace {
using Clock = std::chrono::steady_clock;
constexpr size_t kMaxHead = 64 * 1024;

int ms_until(Deadline deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool wait_for(int fd, short events, Deadline deadline) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = ::poll(&p, 1, ms_until(deadline));
  } while (n < 0 && errno == EINTR);
  return n > 0;
}

SocketAddress address_of(int fd, int (*get)(int, sockaddr *, socklen_t *)) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (get(fd, reinterpret_cast<sockaddr *>(&ss), &len) != 0) return {};
  return SocketAddress::from(reinterpret_cast<sockaddr *>(&ss), len);
}

std::optional<Connected> connect_one(const addrinfo *ai, const ConnectOptions &o, std::string &error,
                                     int &socket_errno) {
  Connected c;
  c.fd.reset(::socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                      o.mptcp ? abi::kIpprotoMptcp : IPPROTO_TCP));
  if (!c.fd) {
    socket_errno = errno;
    error = std::string("cannot make ") + (o.mptcp ? "an MPTCP" : "a TCP") + " socket: " + std::strerror(errno);
    return std::nullopt;
  }
  if (!o.interface.empty() &&
      setsockopt(c.fd.get(), SOL_SOCKET, SO_BINDTODEVICE, o.interface.c_str(),
                 static_cast<socklen_t>(o.interface.size())) != 0) {
    error = "cannot bind to interface " + o.interface + ": " + std::strerror(errno);
    return std::nullopt;
  }
  if (o.source && ::bind(c.fd.get(), o.source->get(), o.source->length) != 0) {
    error = "cannot bind to " + format_ip(o.source->get()) + ": " + std::strerror(errno);
    return std::nullopt;
  }
  const Deadline deadline = Clock::now() + o.timeout;
  if (::connect(c.fd.get(), ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) {
    error = "cannot connect: " + std::string(std::strerror(errno));
    return std::nullopt;
  }
  if (!wait_for(c.fd.get(), POLLOUT, deadline)) {
    error = "no answer to the connection attempt within " + std::to_string(o.timeout.count()) + " ms";
    return std::nullopt;
  }
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c.fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    error = "cannot connect: " + std::string(std::strerror(err));
    return std::nullopt;
  }
  c.local = address_of(c.fd.get(), ::getsockname);
  c.peer = address_of(c.fd.get(), ::getpeername);
  return c;
}

bool send_all(int fd, std::string_view bytes, Deadline deadline) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN && wait_for(fd, POLLOUT, deadline)) continue;
    return false;
  }
  return true;
}

// 0 at the peer's FIN, -1 on an error or the deadline.
ssize_t receive(int fd, char *buf, size_t size, Deadline deadline) {
  for (;;) {
    const ssize_t n = ::recv(fd, buf, size, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN && wait_for(fd, POLLIN, deadline)) continue;
    return -1;
  }
}

bool parse_head(std::string_view head, HttpAnswer &a, std::string &error) {
  const size_t line_end = head.find("\r\n");
  const std::string_view line = head.substr(0, line_end);
  if (!line.starts_with("HTTP/1.") || line.size() < 12 || line[8] != ' ') {
    error = "the server's answer is not HTTP/1.x";
    return false;
  }
  const auto [end, ec] = std::from_chars(line.data() + 9, line.data() + 12, a.status);
  if (ec != std::errc()) {
    error = "the server's status line has no status code";
    return false;
  }
  for (size_t pos = line_end + 2; pos < head.size();) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = head.size();
    const std::string_view field = head.substr(pos, eol - pos);
    pos = eol + 2;
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;
    std::string name = ascii_lowered(field.substr(0, colon));
    std::string_view value = field.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    a.fields.emplace_back(std::move(name), std::string(value));
  }
  a.closes = equals_ignoring_case(a.field("connection"), "close") || line.starts_with("HTTP/1.0");
  return true;
}
}  // namespace

std::string HttpAnswer::field(std::string_view lower_name) const {
  for (const auto &[name, value] : fields) {
    if (name == lower_name) return value;
  }
  return {};
}

std::optional<Connected> connect_to(const ProbeTarget &target, const ConnectOptions &options, std::string &error,
                                    int &socket_errno) {
  socket_errno = 0;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  if (options.source) hints.ai_family = options.source->family();
  addrinfo *found = nullptr;
  const std::string port = std::to_string(target.port);
  if (const int rc = getaddrinfo(target.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    error = "cannot resolve " + target.host + ": " + gai_strerror(rc);
    return std::nullopt;
  }
  std::optional<Connected> c;
  for (const addrinfo *ai = found; ai && !c && socket_errno == 0; ai = ai->ai_next) {
    c = connect_one(ai, options, error, socket_errno);
  }
  freeaddrinfo(found);
  return c;
}

std::optional<HttpAnswer> http_get(int fd, const ProbeTarget &target, const std::string &path, std::string_view accept,
                                   Deadline deadline, size_t keep, std::string &error) {
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + target.host_field + "\r\nUser-Agent: mptcp-observer-probe/" +
                              kVersion + "\r\nAccept: " + std::string(accept) + "\r\n\r\n";
  if (!send_all(fd, request, deadline)) {
    error = "cannot send the request: " + std::string(std::strerror(errno));
    return std::nullopt;
  }
  HttpAnswer a;
  std::string in;
  char buf[65536];
  size_t head_end;
  while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
    if (in.size() > kMaxHead) {
      error = "the server's answer head is over 64 KiB";
      return std::nullopt;
    }
    const ssize_t n = receive(fd, buf, sizeof buf, deadline);
    if (n <= 0) {
      error = n == 0 ? "the server closed the connection before answering" : "no answer before the deadline";
      return std::nullopt;
    }
    in.append(buf, static_cast<size_t>(n));
  }
  if (!parse_head(std::string_view(in).substr(0, head_end), a, error)) return std::nullopt;
  if (!a.field("transfer-encoding").empty()) {
    error = "the server's answer is chunked, which the probe does not read";
    return std::nullopt;
  }
  std::optional<uint64_t> length;
  if (const std::string cl = a.field("content-length"); !cl.empty()) {
    uint64_t v = 0;
    const auto [end, ec] = std::from_chars(cl.data(), cl.data() + cl.size(), v);
    if (ec != std::errc() || end != cl.data() + cl.size()) {
      error = "the server's Content-Length is unreadable";
      return std::nullopt;
    }
    length = v;
  }
  const auto take = [&](std::string_view bytes) {
    a.body_bytes += bytes.size();
    if (a.body.size() < keep) a.body.append(bytes.substr(0, keep - a.body.size()));
  };
  const auto first = Clock::now();
  take(std::string_view(in).substr(head_end + 4, length ? static_cast<size_t>(*length) : std::string::npos));
  while (!length || a.body_bytes < *length) {
    const size_t want = length ? static_cast<size_t>(std::min<uint64_t>(sizeof buf, *length - a.body_bytes)) : sizeof buf;
    const ssize_t n = receive(fd, buf, want, deadline);
    if (n == 0 && !length) break;  // the body ends with the connection
    if (n <= 0) {
      error = n == 0 ? "the server closed the connection in the middle of its answer" : "the answer did not finish before the deadline";
      return std::nullopt;
    }
    take(std::string_view(buf, static_cast<size_t>(n)));
  }
  a.body_seconds = std::chrono::duration<double>(Clock::now() - first).count();
  if (!length) a.closes = true;
  return a;
}

}  // namespace observer::probe
