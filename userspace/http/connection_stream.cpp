#include "http/connection_stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace observer::http {
namespace {
// What a worker holds back before sending, so a response is one segment.
constexpr size_t kHeldWriteLimit = 16 * 1024;
// One read's worth: most requests arrive whole in one.
constexpr size_t kReadChunk = 4096;
}  // namespace

ConnectionStream::ConnectionStream(UniqueFd fd, std::chrono::milliseconds io_timeout)
    : fd_(std::move(fd)), io_timeout_ms_(static_cast<int>(io_timeout.count())) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getpeername(fd_.get(), reinterpret_cast<sockaddr *>(&ss), &len) == 0) {
    remote_ = SocketAddress::from(reinterpret_cast<sockaddr *>(&ss), len);
    remote_ip_ = format_ip(reinterpret_cast<sockaddr *>(&ss));
    remote_port_ = port_of(reinterpret_cast<sockaddr *>(&ss));
  }
  remote_text_ = format_endpoint(remote_);
  len = sizeof ss;
  if (getsockname(fd_.get(), reinterpret_cast<sockaddr *>(&ss), &len) == 0) {
    local_ = SocketAddress::from(reinterpret_cast<sockaddr *>(&ss), len);
    local_ip_ = format_ip(reinterpret_cast<sockaddr *>(&ss));
    local_port_ = port_of(reinterpret_cast<sockaddr *>(&ss));
  }
  local_text_ = format_endpoint(local_);
}

bool ConnectionStream::wait_for(short events) const {
  pollfd p{fd_.get(), events, 0};
  int n;
  do {
    n = ::poll(&p, 1, io_timeout_ms_);
  } while (n < 0 && errno == EINTR);
  return n > 0 && !(p.revents & POLLERR) && (p.revents & (events | POLLHUP));
}

ConnectionStream::Fill ConnectionStream::fill(size_t limit) {
  // Drop what earlier requests consumed before the buffer grows.
  if (in_pos_ > 0) {
    in_.erase(0, in_pos_);
    request_start_ -= std::min(request_start_, in_pos_);
    request_end_ -= std::min(request_end_, in_pos_);
    in_pos_ = 0;
  }
  char chunk[kReadChunk];
  while (in_.size() < limit) {
    const size_t want = std::min(sizeof chunk, limit - in_.size());
    const ssize_t n = ::recv(fd_.get(), chunk, want, MSG_DONTWAIT);
    if (n > 0) {
      in_.append(chunk, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < want) return Fill::more;  // the socket is drained
      continue;
    }
    if (n == 0) return Fill::closed;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? Fill::again : Fill::error;
  }
  return Fill::more;
}

void ConnectionStream::begin_request(size_t length, bool may_wait) {
  request_start_ = in_pos_;
  request_end_ = in_pos_ + length;
  out_mark_ = out_.size();
  may_wait_ = may_wait;
  write_through_ = false;
}

void ConnectionStream::end_request() {
  in_pos_ = std::max(in_pos_, std::min(request_end_, in_.size()));
  request_end_ = in_pos_;
  may_wait_ = false;
}

void ConnectionStream::rewind_request() {
  in_pos_ = request_start_;
  out_.resize(out_mark_);
  request_end_ = in_pos_;
  write_through_ = false;
}

bool ConnectionStream::is_readable() const { return in_pos_ < std::min(request_end_, in_.size()); }

bool ConnectionStream::is_writable() const {
  // A loop holds the whole response; a worker waits for room.
  return !may_wait_ || wait_for(POLLOUT);
}

ssize_t ConnectionStream::read(char *ptr, size_t size) {
  // Every request is whole in the buffer before httplib sees it: reading
  // past its frame is an error, never a wait.
  const size_t end = std::min(request_end_, in_.size());
  if (in_pos_ >= end) return -1;
  const size_t take = std::min(size, end - in_pos_);
  std::memcpy(ptr, in_.data() + in_pos_, take);
  in_pos_ += take;
  return static_cast<ssize_t>(take);
}

bool ConnectionStream::send_now(const char *ptr, size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd_.get(), ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      ptr += n;
      size -= static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(POLLOUT)) continue;
    return false;
  }
  return true;
}

ssize_t ConnectionStream::write(const char *ptr, size_t size) {
  if (!may_wait_ || (!write_through_ && out_.size() - out_pos_ + size <= kHeldWriteLimit)) {
    out_.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  if (flush() != Flush::done || !send_now(ptr, size)) return -1;
  return static_cast<ssize_t>(size);
}

ConnectionStream::Flush ConnectionStream::flush() {
  if (may_wait_) {
    const bool ok = send_now(out_.data() + out_pos_, out_.size() - out_pos_);
    out_.clear();
    out_pos_ = out_mark_ = 0;
    return ok ? Flush::done : Flush::error;
  }
  while (out_pos_ < out_.size()) {
    const ssize_t n = ::send(fd_.get(), out_.data() + out_pos_, out_.size() - out_pos_, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      out_pos_ += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? Flush::again : Flush::error;
  }
  out_.clear();
  out_pos_ = out_mark_ = 0;
  return Flush::done;
}

void ConnectionStream::trim() {
  if (in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  }
  // Keep small buffers for the next request; give back large ones.
  if (in_.empty() && in_.capacity() > 2 * kReadChunk) std::string().swap(in_);
  if (out_.empty() && out_.capacity() > 2 * kReadChunk) std::string().swap(out_);
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
