#include "http/channel.h"

#include <sys/socket.h>

#include <cerrno>

namespace observer::http {

IoResult PlainChannel::read(char *into, size_t max) {
  for (;;) {
    const ssize_t n = ::recv(fd_, into, max, MSG_DONTWAIT);
    if (n > 0) return {static_cast<size_t>(n), IoResult::Status::progress, static_cast<size_t>(n) < max};
    if (n == 0) return {0, IoResult::Status::closed};
    if (errno == EINTR) continue;
    return {0, errno == EAGAIN || errno == EWOULDBLOCK ? IoResult::Status::want_read : IoResult::Status::error};
  }
}

IoResult PlainChannel::write(const char *from, size_t size) {
  for (;;) {
    const ssize_t n = ::send(fd_, from, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) return {static_cast<size_t>(n), IoResult::Status::progress};
    if (n < 0 && errno == EINTR) continue;
    return {0, n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? IoResult::Status::want_write
                                                                  : IoResult::Status::error};
  }
}

void PlainChannel::shut_write() { ::shutdown(fd_, SHUT_WR); }

}  // namespace observer::http
