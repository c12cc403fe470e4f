#include "http/tls_context.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/unique_fd.h"

namespace observer::http {
namespace {
// A PEM certificate chain or key is a few KiB; anything this large is not one.
constexpr off_t kMaxPemBytes = 1 << 20;

struct FreeBio {
  void operator()(BIO *b) const { BIO_free(b); }
};
struct FreeX509 {
  void operator()(X509 *x) const { X509_free(x); }
};
struct FreeKey {
  void operator()(EVP_PKEY *k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, FreeBio>;
using X509Ptr = std::unique_ptr<X509, FreeX509>;
using KeyPtr = std::unique_ptr<EVP_PKEY, FreeKey>;

// The last error OpenSSL queued, as one phrase, and an empty queue after.
std::string openssl_reason() {
  const unsigned long e = ERR_peek_last_error();
  const char *reason = e ? ERR_reason_error_string(e) : nullptr;
  ERR_clear_error();
  return reason ? reason : "no reason given";
}

// The whole of a PEM file, or false with why: our own read, so that a
// missing or unreadable file says so in the system's words, not OpenSSL's.
bool read_pem(const std::string &path, std::string &out, std::string &why) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st{};
  if (!fd || fstat(fd.get(), &st) != 0) {
    why = std::string("cannot read it: ") + std::strerror(errno);
    return false;
  }
  if (!S_ISREG(st.st_mode)) {
    why = "not a regular file";
    return false;
  }
  if (st.st_size > kMaxPemBytes) {
    why = "larger than 1 MiB: not a PEM file";
    return false;
  }
  out.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < out.size()) {
    const ssize_t n = ::read(fd.get(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      why = std::string("cannot read it: ") + std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return true;
}

BioPtr memory_bio(const std::string &bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

// OpenSSL would prompt on the terminal for an encrypted key's passphrase; a
// daemon has no one to ask.
int refuse_passphrase(char *, int, int, void *) { return -1; }

// ALPN: HTTP/1.1 only. A client that offers only other protocols (h2) gets
// the fatal no_application_protocol alert RFC 7301 asks for.
int select_http11(SSL *, const unsigned char **out, unsigned char *out_length, const unsigned char *offered,
                  unsigned int offered_length, void *) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char *selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kHttp11, sizeof kHttp11, offered, offered_length) !=
      OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::string x509_name(const X509_NAME *name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char *data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string("(empty)");
}

std::string serial_hex(const X509 *certificate) {
  BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr);
  char *hex = bn ? BN_bn2hex(bn) : nullptr;
  std::string out = hex ? hex : "?";
  OPENSSL_free(hex);
  BN_free(bn);
  return out;
}

std::string rfc3339(const ASN1_TIME *time) {
  tm t{};
  if (!time || ASN1_TIME_to_tm(time, &t) != 1) return "?";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday,
                t.tm_hour, t.tm_min, t.tm_sec);
  return buf;
}

// The settings every checker TLS session has. TLS 1.2 at least; OpenSSL's
// default ciphers and their order; no renegotiation (a client could make
// the event loop redo the expensive half of a handshake at will); session
// tickets and the session cache as OpenSSL sets them.
void configure(SSL_CTX *ctx) {
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // A client that closes without close_notify has ended its requests, as a
  // plain client's FIN does: the checker's answers carry their length.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes and a moving buffer let the event loop send what the
  // socket takes and retry from its own buffer; idle connections give back
  // their record buffers (tens of KiB each, times --max-connections).
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                            SSL_MODE_RELEASE_BUFFERS);
  // One recv() takes a record's header and body together (else two), and
  // pipelined requests in several records arrive in one. What it reads
  // ahead is held in OpenSSL: TlsChannel says so (IoResult::drained).
  SSL_CTX_set_read_ahead(ctx, 1);
  SSL_CTX_set_alpn_select_cb(ctx, select_http11, nullptr);
}
}  // namespace

std::shared_ptr<const TlsContext> TlsContext::load(const TlsFiles &files, std::string &error) {
  ERR_clear_error();
  const std::string cert_flag = "--tls-cert " + files.certificate + ": ";
  const std::string key_flag = "--tls-key " + files.key + ": ";
  std::string cert_pem, key_pem, why;
  if (!read_pem(files.certificate, cert_pem, why)) {
    error = cert_flag + why;
    return nullptr;
  }
  if (!read_pem(files.key, key_pem, why)) {
    error = key_flag + why;
    return nullptr;
  }

  auto context = std::make_shared<TlsContext>();
  context->ctx_.reset(SSL_CTX_new(TLS_server_method()));
  SSL_CTX *ctx = context->ctx_.get();
  if (!ctx) {
    error = "TLS: cannot create a context: " + openssl_reason();
    return nullptr;
  }
  configure(ctx);

  // The server's certificate first, then the chain that leads to a root.
  BioPtr cert_bio = memory_bio(cert_pem);
  X509Ptr leaf(PEM_read_bio_X509_AUX(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!leaf) {
    error = cert_flag + "no PEM certificate in it (" + openssl_reason() + ")";
    return nullptr;
  }
  if (SSL_CTX_use_certificate(ctx, leaf.get()) != 1) {
    error = cert_flag + "OpenSSL refuses the certificate (" + openssl_reason() + ")";
    return nullptr;
  }
  while (X509 *ca = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
      X509_free(ca);
      error = cert_flag + "OpenSSL refuses a certificate of the chain (" + openssl_reason() + ")";
      return nullptr;
    }
  }
  // The chain ends where no more PEM blocks start; anything else is damage.
  const unsigned long end = ERR_peek_last_error();
  if (end && !(ERR_GET_LIB(end) == ERR_LIB_PEM && ERR_GET_REASON(end) == PEM_R_NO_START_LINE)) {
    error = cert_flag + "a damaged certificate after the first (" + openssl_reason() + ")";
    return nullptr;
  }
  ERR_clear_error();

  BioPtr key_bio = memory_bio(key_pem);
  KeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!key) {
    const std::string reason = openssl_reason();
    if (key_pem.find("ENCRYPTED") != std::string::npos) {
      error = key_flag + "the key is encrypted, and a daemon has no one to ask for its passphrase; give it "
                         "unencrypted (openssl pkey -in FILE -out NEW), readable by the daemon only";
    } else {
      error = key_flag + "no PEM private key in it (" + reason + ")";
    }
    return nullptr;
  }
  if (X509_check_private_key(leaf.get(), key.get()) != 1) {
    ERR_clear_error();
    error = key_flag + "this key does not match the certificate in " + files.certificate;
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    error = key_flag + "OpenSSL refuses the key (" + openssl_reason() + ")";
    return nullptr;
  }

  context->summary_ = "subject " + x509_name(X509_get_subject_name(leaf.get())) + ", serial " +
                      serial_hex(leaf.get()) + ", valid until " + rfc3339(X509_get0_notAfter(leaf.get()));
  context->expired_ = X509_cmp_current_time(X509_get0_notAfter(leaf.get())) < 0;
  return context;
}

bool TlsContextSlot::load(std::string &error) {
  auto loaded = TlsContext::load(files_, error);
  if (!loaded) return false;
  current_.store(std::move(loaded), std::memory_order_release);
  return true;
}

}  // namespace observer::http
