#pragma once
// One accepted HTTP connection as httplib sees it, on a non-blocking socket.
//
// Input is buffered here for the life of the connection, so a pipelined
// request is never lost between two requests. The event loop fills the
// buffer and lets httplib read only a request it knows is complete
// (request_head.h): a read never waits for the network. On a worker (a
// request that waits) writes may wait for the client, each wait bounded by
// io_timeout.
//
// Output is held until flush(): httplib writes a response's headers and its
// body separately, and on a TCP_NODELAY socket two writes are two segments,
// two wake-ups of the client and twice the kernel's work. A streamed
// response (a download, an event stream) asks for write-through instead, so
// each piece leaves as soon as it is written.
#include <httplib.h>

#include <chrono>
#include <string>

#include "common/socket_address.h"
#include "common/unique_fd.h"

namespace observer::http {

class ConnectionStream final : public httplib::Stream {
 public:
  ConnectionStream(UniqueFd fd, std::chrono::milliseconds io_timeout);

  enum class Fill { more, again, closed, error };
  // Reads what the socket has without waiting, up to `limit` bytes held in
  // all: `again` when it has nothing more now, `closed` at the peer's FIN.
  Fill fill(size_t limit);
  std::string_view buffered_input() const { return std::string_view(in_).substr(in_pos_); }
  bool has_buffered_input() const { return in_pos_ < in_.size(); }
  void discard_input() {
    in_.clear();
    in_pos_ = request_start_ = request_end_ = 0;
  }

  // Frames one request for httplib: it may read exactly `length` bytes;
  // end_request() then moves past them, whatever httplib left unread of a
  // body it did not want. rewind_request() forgets the attempt, input and
  // output alike, so that a worker can serve the same request again.
  void begin_request(size_t length, bool may_wait);
  void end_request();
  void rewind_request();

  void set_write_through() { write_through_ = true; }
  // Where writes on a loop are held until flush(): a quick answer is
  // written into it directly. Not for a worker, whose writes may go out.
  std::string &held_output() { return out_; }
  // Sends what writes have held. On a loop: without waiting, `again` when
  // the socket is full (the rest stays held). On a worker: waits.
  enum class Flush { done, again, error };
  Flush flush();
  // Gives back memory an idle connection does not need.
  void trim();

  const SocketAddress &remote_address() const { return remote_; }
  const SocketAddress &local_address() const { return local_; }
  // format_endpoint() of each, done once: every checker answer names them.
  const std::string &remote_endpoint_text() const { return remote_text_; }
  const std::string &local_endpoint_text() const { return local_text_; }

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char *ptr, size_t size) override;
  ssize_t write(const char *ptr, size_t size) override;
  void get_remote_ip_and_port(std::string &ip, int &port) const override;
  void get_local_ip_and_port(std::string &ip, int &port) const override;
  socket_t socket() const override { return fd_.get(); }

 private:
  bool wait_for(short events) const;
  bool send_now(const char *ptr, size_t size);

  UniqueFd fd_;
  int io_timeout_ms_;
  std::string in_;
  size_t in_pos_ = 0;
  size_t request_start_ = 0, request_end_ = 0;  // in_ offsets of the framed request
  std::string out_;
  size_t out_pos_ = 0, out_mark_ = 0;
  bool may_wait_ = false;
  bool write_through_ = false;
  SocketAddress remote_, local_;
  std::string remote_ip_, local_ip_;
  std::string remote_text_, local_text_;
  int remote_port_ = 0, local_port_ = 0;
};

}  // namespace observer::http
