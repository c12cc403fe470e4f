#include "http/tls_channel.h"

#include <openssl/err.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "http/tls_context.h"

namespace observer::http {

std::unique_ptr<TlsChannel> TlsChannel::accept(const TlsContext &context, int fd) {
  SSL *ssl = SSL_new(context.get());
  if (!ssl) {
    ERR_clear_error();
    return nullptr;
  }
  std::unique_ptr<TlsChannel> channel(new TlsChannel(ssl, fd));
  if (SSL_set_fd(ssl, fd) != 1) {
    ERR_clear_error();
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return channel;
}

IoResult TlsChannel::stopped(int ret) {
  const int saved_errno = errno;
  switch (SSL_get_error(ssl_.get(), ret)) {
    case SSL_ERROR_WANT_READ: return {0, IoResult::Status::want_read};
    case SSL_ERROR_WANT_WRITE: return {0, IoResult::Status::want_write};
    // close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a bare FIN.
    case SSL_ERROR_ZERO_RETURN: ERR_clear_error(); return {0, IoResult::Status::closed};
    case SSL_ERROR_SYSCALL:
      why_ = saved_errno ? std::strerror(saved_errno) : "the connection ended";
      break;
    case SSL_ERROR_SSL: {
      // e.g. "http request" (plain HTTP to this port), "no shared cipher",
      // "tlsv1 alert unknown ca" (the client does not trust the certificate).
      const unsigned long e = ERR_peek_last_error();
      const char *reason = e ? ERR_reason_error_string(e) : nullptr;
      why_ = reason ? reason : "a TLS protocol error";
      break;
    }
    default: why_ = "a TLS error"; break;
  }
  // The queue is per thread, and the loop's next session must start clean.
  ERR_clear_error();
  return {0, IoResult::Status::error};
}

IoResult TlsChannel::handshake() {
  const int r = SSL_do_handshake(ssl_.get());
  if (r == 1) return {0, IoResult::Status::progress, true};
  IoResult result = stopped(r);
  if (result.status == IoResult::Status::closed) {
    why_ = "the client closed the connection before the handshake completed";
    result.status = IoResult::Status::error;
  }
  return result;
}

IoResult TlsChannel::read(char *into, size_t max) {
  const int n = SSL_read(ssl_.get(), into, static_cast<int>(std::min<size_t>(max, INT_MAX)));
  // Read-ahead can leave whole records in OpenSSL that epoll will never
  // announce: drained only when it holds nothing.
  if (n > 0) {
    const bool held = SSL_has_pending(ssl_.get()) != 0;
    return {static_cast<size_t>(n), IoResult::Status::progress, !held, held};
  }
  return stopped(n);
}

IoResult TlsChannel::write(const char *from, size_t size) {
  // With SSL_MODE_ENABLE_PARTIAL_WRITE this returns after each record the
  // socket took; after WANT_WRITE the caller retries with the same bytes at
  // least (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER: they may have moved).
  const int n = SSL_write(ssl_.get(), from, static_cast<int>(std::min<size_t>(size, INT_MAX)));
  if (n > 0) return {static_cast<size_t>(n), IoResult::Status::progress};
  return stopped(n);
}

void TlsChannel::shut_write() {
  // close_notify tells the client the answer is whole; best effort: a full
  // socket drops it, and the FIN that follows still ends the stream.
  if (SSL_is_init_finished(ssl_.get())) SSL_shutdown(ssl_.get());
  ERR_clear_error();
  ::shutdown(fd_, SHUT_WR);
}

}  // namespace observer::http
