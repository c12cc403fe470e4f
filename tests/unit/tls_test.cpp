// TLS on the checker port: loading a certificate and key (and saying why
// not, naming the file), swapping a reloaded context in, and the pipeline's
// limits over TLS on loopback: pipelining, heads, streamed and deferred
// answers, the slow-reader floor, the handshake's deadline and failures.
// Certificates are made here, in memory, for each test.
#include <catch2/catch.hpp>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "http/tls_context.h"
#include "http_test_server.h"

using namespace observer;
using namespace observer::http;
using namespace observer::http::testing;

namespace {
std::string pem_of(int (*write)(BIO *, void *), void *object) {
  BIO *bio = BIO_new(BIO_s_mem());
  REQUIRE(write(bio, object) == 1);
  char *data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  std::string out(data, static_cast<size_t>(n));
  BIO_free(bio);
  return out;
}

// A self-signed P-256 certificate for CN=localhost and its key, as PEM.
struct Credentials {
  std::string certificate, key;
};

Credentials make_credentials(long serial) {
  EVP_PKEY *key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  REQUIRE(key);
  X509 *x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME *name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char *>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, name);
  REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
  Credentials c;
  c.certificate = pem_of([](BIO *b, void *o) { return PEM_write_bio_X509(b, static_cast<X509 *>(o)); }, x);
  c.key = pem_of(
      [](BIO *b, void *o) {
        return PEM_write_bio_PrivateKey(b, static_cast<EVP_PKEY *>(o), nullptr, nullptr, 0, nullptr, nullptr);
      },
      key);
  X509_free(x);
  EVP_PKEY_free(key);
  return c;
}

// A temporary directory of PEM files, removed at the end of the test.
class PemDir {
 public:
  PemDir() {
    char pattern[] = "/tmp/tls_test.XXXXXX";
    REQUIRE(mkdtemp(pattern));
    dir_ = pattern;
  }
  ~PemDir() { std::filesystem::remove_all(dir_); }
  std::string write(const std::string &name, const std::string &text) const {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  const std::string &path() const { return dir_; }

 private:
  std::string dir_;
};

std::shared_ptr<TlsContextSlot> loaded_slot(const PemDir &dir, const Credentials &c) {
  auto slot =
      std::make_shared<TlsContextSlot>(TlsFiles{dir.write("cert.pem", c.certificate), dir.write("key.pem", c.key)});
  std::string error;
  REQUIRE(slot->load(error));
  return slot;
}

// A blocking TLS client on one connection, bounded by a receive timeout.
class TlsClient {
 public:
  explicit TlsClient(int fd, const char *alpn = "\x08http/1.1") : fd_(fd) {
    const timeval timeout{3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_alpn_protos(ctx_, reinterpret_cast<const unsigned char *>(alpn), static_cast<unsigned>(strlen(alpn)));
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd);
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(ctx_);
    ::close(fd_);
    ERR_clear_error();
  }
  bool handshake() { return SSL_connect(ssl_) == 1; }
  std::string alpn() const {
    const unsigned char *p = nullptr;
    unsigned n = 0;
    SSL_get0_alpn_selected(ssl_, &p, &n);
    return p ? std::string(reinterpret_cast<const char *>(p), n) : std::string();
  }
  void send(std::string_view bytes) {
    REQUIRE(SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())) == static_cast<int>(bytes.size()));
  }
  std::string read_answers(int answers, bool head_only = false) {
    std::string in;
    char buf[65536];
    while (!answers_complete(in, answers, head_only)) {
      const int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      in.append(buf, static_cast<size_t>(n));
    }
    return in;
  }
  int fd() const { return fd_; }

 private:
  int fd_;
  SSL_CTX *ctx_ = nullptr;
  SSL *ssl_ = nullptr;
};
}  // namespace

TEST_CASE("a certificate that cannot be used is one line naming the file and why", "[tls]") {
  PemDir dir;
  const Credentials good = make_credentials(1), other = make_credentials(2);
  const std::string cert = dir.write("cert.pem", good.certificate), key = dir.write("key.pem", good.key);
  const std::string other_key = dir.write("other.pem", other.key), garbage = dir.write("garbage.pem", "hello\n");
  const std::string encrypted =
      dir.write("encrypted.pem", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n");
  struct Case {
    TlsFiles files;
    std::string says;
  };
  // A loop, not GENERATE: the files live in this run's directory.
  const std::vector<Case> cases{
      {{dir.path() + "/missing.pem", key},
       "--tls-cert " + dir.path() + "/missing.pem: cannot read it: No such file or directory"},
      {{dir.path(), key}, "--tls-cert " + dir.path() + ": not a regular file"},
      {{garbage, key}, "--tls-cert " + garbage + ": no PEM certificate in it"},
      {{key, key}, "--tls-cert " + key + ": no PEM certificate in it"},
      {{cert, dir.path() + "/nokey.pem"}, "--tls-key " + dir.path() + "/nokey.pem: cannot read it"},
      {{cert, garbage}, "--tls-key " + garbage + ": no PEM private key in it"},
      {{cert, encrypted}, "--tls-key " + encrypted + ": the key is encrypted"},
      {{cert, other_key}, "--tls-key " + other_key + ": this key does not match the certificate in " + cert},
  };
  for (const auto &c : cases) {
    INFO("expected: " << c.says);
    std::string error;
    CHECK_FALSE(TlsContext::load(c.files, error));
    CHECK_THAT(error, Catch::StartsWith(c.says));
    CHECK(error.find('\n') == std::string::npos);
    CHECK(ERR_peek_error() == 0);  // nothing left for the next session on this thread
  }
  std::string error;
  CHECK(TlsContext::load({cert, key}, error));
}

TEST_CASE("a reload swaps in a new context whole, and a broken one keeps the old", "[tls]") {
  PemDir dir;
  const auto slot = loaded_slot(dir, make_credentials(0x1001));
  const auto first = slot->current();
  CHECK_THAT(first->summary(), Catch::StartsWith("subject CN=localhost, serial 1001, valid until 20"));
  CHECK_FALSE(first->expired());

  dir.write("cert.pem", "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
  std::string error;
  CHECK_FALSE(slot->load(error));
  CHECK_THAT(error, Catch::Contains("cert.pem: no PEM certificate in it"));
  CHECK(slot->current() == first);

  const Credentials next = make_credentials(0x2002);
  dir.write("cert.pem", next.certificate);
  dir.write("key.pem", next.key);
  REQUIRE(slot->load(error));
  CHECK(slot->current() != first);
  CHECK_THAT(slot->current()->summary(), Catch::Contains("serial 2002"));
  // A session made under the old context keeps it alive (SSL_new's reference).
  SSL *session = SSL_new(first->get());
  const SSL_CTX *old_ctx = first->get();
  CHECK(SSL_get_SSL_CTX(session) == old_ctx);
  SSL_free(session);
}

TEST_CASE("over TLS: ALPN http/1.1, a GET, a HEAD and pipelined requests in order", "[tls]") {
  PemDir dir;
  TestServer server({}, loaded_slot(dir, make_credentials(7)));
  TlsClient client(server.connect());
  REQUIRE(client.handshake());
  CHECK(client.alpn() == "http/1.1");
  client.send("GET /page?n=1 HTTP/1.1\r\n\r\n");
  const auto answer = client.read_answers(1);
  CHECK(answer.starts_with("HTTP/1.1 200 OK\r\nServer: test-server\r\n"));
  CHECK(answer.ends_with("Content-Length: 7\r\n\r\npage 1\n"));
  client.send("HEAD /page?n=1 HTTP/1.1\r\n\r\n");
  CHECK(client.read_answers(1, /*head_only=*/true).ends_with("Content-Length: 7\r\n\r\n"));
  // Three requests in two TLS records, the second split across them.
  client.send("GET /page?n=1 HTTP/1.1\r\n\r\nGET /nothing HTT");
  client.send("P/1.1\r\n\r\nGET /page?n=3 HTTP/1.1\r\n\r\n");
  const auto answers = client.read_answers(3);
  const size_t first = answers.find("page 1"), missing = answers.find("404 Not Found"), third = answers.find("page 3");
  REQUIRE(third != std::string::npos);
  CHECK((first < missing && missing < third));
}

TEST_CASE("over TLS: pipelined requests past what one read takes are all answered", "[tls]") {
  // The loop reads at most a head's limit and 4 KiB at a time. Past that,
  // what OpenSSL has already decrypted of the record no epoll event
  // announces: the loop must read on by itself. Here the limit is 5 KiB and
  // twenty 400-byte requests come in one record.
  PemDir dir;
  ServerLimits limits;
  limits.request.max_head = 1024;
  TestServer server(limits, loaded_slot(dir, make_credentials(7)));
  TlsClient client(server.connect());
  REQUIRE(client.handshake());
  std::string requests;
  for (int i = 0; i < 20; ++i) {
    requests += "GET /page?n=" + std::to_string(i) + " HTTP/1.1\r\nX-Pad: " + std::string(360, 'p') + "\r\n\r\n";
  }
  client.send(requests);
  const auto answers = client.read_answers(20);
  CHECK(answers.find("page 0\n") != std::string::npos);
  CHECK(answers.ends_with("page 19\n"));
}

TEST_CASE("over TLS: a deferred answer, then the next pipelined request", "[tls]") {
  PemDir dir;
  TestServer server({}, loaded_slot(dir, make_credentials(7)));
  TlsClient client(server.connect());
  REQUIRE(client.handshake());
  client.send("GET /wait HTTP/1.1\r\n\r\nGET /page?n=9 HTTP/1.1\r\n\r\n");
  const auto answers = client.read_answers(2);
  CHECK(answers.find("waited\n") != std::string::npos);
  CHECK(answers.find("page 9") > answers.find("waited\n"));
  CHECK(eventually([&] { return server.counters().waiting.load() == 0; }));
}

TEST_CASE("over TLS: a streamed body arrives whole, and a slow reader is cut", "[tls]") {
  PemDir dir;
  SECTION("whole") {
    TestServer server({}, loaded_slot(dir, make_credentials(7)));
    TlsClient client(server.connect());
    REQUIRE(client.handshake());
    client.send("GET /stream?size=3000000 HTTP/1.1\r\n\r\n");
    const auto answer = client.read_answers(1);
    const size_t body = answer.find("\r\n\r\n") + 4;
    CHECK(answer.size() - body == 3000000);
    CHECK(answer.find_first_not_of('z', body) == std::string::npos);
    CHECK(eventually([&] { return server.counters().waiting.load() == 0; }));
  }
  SECTION("slow reader") {
    ServerLimits limits;
    limits.min_stream_bytes_per_second = 1ull << 30;
    limits.stream_rate_window = 200ms;
    TestServer server(limits, loaded_slot(dir, make_credentials(7)));
    TlsClient client(server.connect());
    const int small = 4096;
    setsockopt(client.fd(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    REQUIRE(client.handshake());
    client.send("GET /stream?size=1000000000 HTTP/1.1\r\n\r\n");
    CHECK(eventually([&] { return server.counters().slow_readers.load() == 1; }));
    CHECK(eventually([&] { return server.counters().open.load() == 0 && server.counters().waiting.load() == 0; }));
  }
}

TEST_CASE("a TLS handshake that does not complete within io_timeout is closed as timed_out", "[tls]") {
  PemDir dir;
  ServerLimits limits;
  limits.io_timeout = 300ms;
  TestServer server(limits, loaded_slot(dir, make_credentials(7)));
  const int fd = server.connect();  // and says nothing
  CHECK(eventually([&] { return server.counters().timed_out.load() == 1; }));
  CHECK(server.counters().open.load() == 0);
  CHECK(server.counters().tls_handshake_failed.load() == 0);
  ::close(fd);
}

TEST_CASE("a failed TLS handshake is counted and closed", "[tls]") {
  PemDir dir;
  TestServer server({}, loaded_slot(dir, make_credentials(7)));
  SECTION("plain HTTP to the TLS port") {
    const int fd = server.connect();
    REQUIRE(::send(fd, "GET / HTTP/1.1\r\n\r\n", 18, MSG_NOSIGNAL) == 18);
    CHECK(eventually([&] { return server.counters().tls_handshake_failed.load() == 1; }));
    ::close(fd);
  }
  SECTION("a client that offers only h2") {
    TlsClient client(server.connect(), "\x02h2");
    CHECK_FALSE(client.handshake());
    CHECK(eventually([&] { return server.counters().tls_handshake_failed.load() == 1; }));
  }
  CHECK(eventually([&] { return server.counters().open.load() == 0; }));
}
