#pragma once
// The certificate, key and settings every TLS connection of the checker
// starts from, as one OpenSSL SSL_CTX. TLS is terminated here, on the
// checker's own MPTCP socket, because a terminating proxy in front would end
// the client's MPTCP connection and the verdict would describe the proxy's.
//
// A reload (SIGHUP) builds a whole new context and swaps it in
// (TlsContextSlot): a connection takes the context that is current when it
// is accepted, and SSL_new's reference keeps that context alive for as long
// as the connection lasts, so a swap never touches a session in progress.
#include <openssl/ssl.h>

#include <atomic>
#include <memory>
#include <string>

namespace observer::http {

struct TlsFiles {
  std::string certificate;  // PEM: the server's certificate, then its chain
  std::string key;          // PEM: its private key, unencrypted
};

class TlsContext {
 public:
  // Reads both files and checks that they belong together; nullptr with a
  // one-line `error` that names the file and why (unreadable, not PEM, a key
  // that does not match the certificate).
  static std::shared_ptr<const TlsContext> load(const TlsFiles &files, std::string &error);

  SSL_CTX *get() const { return ctx_.get(); }
  // "subject CN=..., serial 1A2B..., valid until 2027-12-01T10:00:00Z"
  const std::string &summary() const { return summary_; }
  bool expired() const { return expired_; }

 private:
  struct Free {
    void operator()(SSL_CTX *ctx) const { SSL_CTX_free(ctx); }
  };
  std::unique_ptr<SSL_CTX, Free> ctx_;
  std::string summary_;
  bool expired_ = false;
};

// The context new connections get, replaced whole by load(). Read by every
// event loop at each TLS accept, written by the thread that handles SIGHUP.
class TlsContextSlot {
 public:
  explicit TlsContextSlot(TlsFiles files) : files_(std::move(files)) {}
  // Loads the files into a new context and makes it current. On failure the
  // current context stays, and `error` says why in one line.
  bool load(std::string &error);
  std::shared_ptr<const TlsContext> current() const { return current_.load(std::memory_order_acquire); }
  const TlsFiles &files() const { return files_; }

 private:
  TlsFiles files_;
  std::atomic<std::shared_ptr<const TlsContext>> current_;
};

}  // namespace observer::http
