#pragma once
// How one connection's bytes cross its socket: as they are (PlainChannel)
// or inside a TLS session (TlsChannel, tls_channel.h). The listener a
// connection came from chooses. Connection (connection.h) is the only
// caller; the event loop never touches the socket's bytes itself, and arms
// epoll for what the channel says it waits for.
#include <cstddef>
#include <cstdint>
#include <string>

namespace observer::http {

// What one handshake, read or write did. Sixteen bytes: returned in
// registers, as a plain recv()'s ssize_t is.
struct IoResult {
  enum class Status : uint8_t {
    progress,    // `bytes` moved (a handshake: it is complete)
    want_read,   // nothing moves until the socket is readable
    want_write,  // nothing moves until the socket is writable; TLS can need
                 // to write to read (an alert) and the other way round
    closed,      // the peer ended its stream in order (reads only)
    error,
  };
  size_t bytes = 0;
  Status status = Status::error;
  // After a read that moved bytes: the next read would find nothing now
  // (plain: it was short; TLS: OpenSSL holds nothing more).
  bool drained = false;
  // After a read that moved bytes: input is held in user space (TLS), so
  // epoll will not announce it; read again before waiting for the socket.
  bool held = false;
};

class Channel {
 public:
  virtual ~Channel() = default;
  // Completes what the channel needs before the first request: nothing for
  // a plain one, the handshake for TLS. Call again after want_*.
  virtual IoResult handshake() = 0;
  virtual IoResult read(char *into, size_t max) = 0;
  virtual IoResult write(const char *from, size_t size) = 0;
  // Ends the sending side in order without waiting (TLS: close_notify first).
  virtual void shut_write() = 0;
  // Why the last operation failed, for the log; empty when nothing says more.
  virtual std::string why_failed() const { return {}; }
};

// The socket's bytes as they are: one recv() or send() per call, with
// nothing in between.
class PlainChannel final : public Channel {
 public:
  explicit PlainChannel(int fd) : fd_(fd) {}
  IoResult handshake() override { return {0, IoResult::Status::progress, true}; }
  IoResult read(char *into, size_t max) override;
  IoResult write(const char *from, size_t size) override;
  void shut_write() override;

 private:
  int fd_;  // owned by the connection
};

}  // namespace observer::http
