#pragma once
// A connection's bytes inside a TLS session on its own socket: the same
// MPTCP socket the verdict is read from, so the client's MPTCP connection
// ends here, not at a proxy. Non-blocking: every call does what the socket
// allows now, and OpenSSL's WANT_READ / WANT_WRITE come back as
// IoResult::want_read / want_write for the event loop to arm.
#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "http/channel.h"

namespace observer::http {

class TlsContext;

class TlsChannel final : public Channel {
 public:
  // A server session on `fd` (not owned) under `context`; nullptr when
  // OpenSSL cannot make one (out of memory).
  static std::unique_ptr<TlsChannel> accept(const TlsContext &context, int fd);

  IoResult handshake() override;
  IoResult read(char *into, size_t max) override;
  IoResult write(const char *from, size_t size) override;
  void shut_write() override;
  std::string why_failed() const override { return why_; }

 private:
  struct Free {
    void operator()(SSL *ssl) const { SSL_free(ssl); }
  };
  TlsChannel(SSL *ssl, int fd) : ssl_(ssl), fd_(fd) {}
  // What a call that returned `ret` <= 0 means.
  IoResult stopped(int ret);

  std::unique_ptr<SSL, Free> ssl_;
  int fd_;
  std::string why_;
};

}  // namespace observer::http
