#pragma once
// One accepted HTTP connection as httplib sees it. httplib reads requests a
// byte at a time, so reads are buffered here; the buffer lives as long as the
// connection, so a pipelined request is never lost between two requests.
#include <httplib.h>

#include <array>
#include <chrono>
#include <string>

#include "common/socket_address.h"
#include "common/unique_fd.h"

namespace observer::http {

class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(UniqueFd fd, std::chrono::milliseconds io_timeout, size_t max_request_bytes);

  // Resets the per-request read budget: a request (line, headers and body)
  // larger than max_request_bytes fails the read instead of growing memory.
  void begin_request() { request_bytes_ = 0; }
  bool has_buffered_input() const { return pos_ < len_; }
  const SocketAddress &remote_address() const { return remote_; }
  const SocketAddress &local_address() const { return local_; }

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char *ptr, size_t size) override;
  ssize_t write(const char *ptr, size_t size) override;
  void get_remote_ip_and_port(std::string &ip, int &port) const override;
  void get_local_ip_and_port(std::string &ip, int &port) const override;
  socket_t socket() const override { return fd_.get(); }

 private:
  UniqueFd fd_;
  int io_timeout_ms_;
  size_t max_request_bytes_;
  size_t request_bytes_ = 0;
  std::array<char, 16384> buffer_{};
  size_t pos_ = 0, len_ = 0;
  SocketAddress remote_, local_;
  std::string remote_ip_, local_ip_;
  int remote_port_ = 0, local_port_ = 0;
};

}  // namespace observer::http
