#include "http/connection_stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/socket_address.h"

namespace observer::http {

ConnectionStream::ConnectionStream(UniqueFd fd, std::chrono::milliseconds io_timeout,
                                   size_t max_request_bytes)
    : fd_(std::move(fd)),
      io_timeout_ms_(static_cast<int>(io_timeout.count())),
      max_request_bytes_(max_request_bytes) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd_.get(), reinterpret_cast<sockaddr *>(&ss), &len) == 0) {
    remote_ = SocketAddress::from(reinterpret_cast<sockaddr *>(&ss), len);
    remote_ip_ = format_ip(reinterpret_cast<sockaddr *>(&ss));
    remote_port_ = port_of(reinterpret_cast<sockaddr *>(&ss));
  }
  len = sizeof ss;
  if (getsockname(fd_.get(), reinterpret_cast<sockaddr *>(&ss), &len) == 0) {
    local_ = SocketAddress::from(reinterpret_cast<sockaddr *>(&ss), len);
    local_ip_ = format_ip(reinterpret_cast<sockaddr *>(&ss));
    local_port_ = port_of(reinterpret_cast<sockaddr *>(&ss));
  }
}

bool ConnectionStream::is_readable() const {
  if (pos_ < len_) return true;
  pollfd p{fd_.get(), POLLIN, 0};
  return ::poll(&p, 1, io_timeout_ms_) > 0;
}

bool ConnectionStream::is_writable() const {
  pollfd p{fd_.get(), POLLOUT, 0};
  return ::poll(&p, 1, io_timeout_ms_) > 0 && !(p.revents & (POLLERR | POLLHUP));
}

ssize_t ConnectionStream::read(char *ptr, size_t size) {
  if (request_bytes_ >= max_request_bytes_) return -1;
  size = std::min(size, max_request_bytes_ - request_bytes_);
  if (pos_ == len_) {
    if (!is_readable()) return -1;
    ssize_t n;
    do {
      n = ::recv(fd_.get(), buffer_.data(), buffer_.size(), 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return n;
    pos_ = 0;
    len_ = static_cast<size_t>(n);
  }
  const size_t take = std::min(size, len_ - pos_);
  std::memcpy(ptr, buffer_.data() + pos_, take);
  pos_ += take;
  request_bytes_ += take;
  return static_cast<ssize_t>(take);
}

ssize_t ConnectionStream::write(const char *ptr, size_t size) {
  if (!is_writable()) return -1;
  ssize_t n;
  do {
    n = ::send(fd_.get(), ptr, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

void ConnectionStream::get_remote_ip_and_port(std::string &ip, int &port) const {
  ip = remote_ip_;
  port = remote_port_;
}

void ConnectionStream::get_local_ip_and_port(std::string &ip, int &port) const {
  ip = local_ip_;
  port = local_port_;
}

}  // namespace observer::http
