#include "http/httplib_server.h"

#include <pthread.h>
#include <sys/socket.h>

#include <algorithm>
#include <regex>

#include "common/log.h"
#include "http/response_writer.h"

namespace observer::http {
namespace {
using HandlerResponse = httplib::Server::HandlerResponse;

HandlerResponse refuse(httplib::Response &res, int status, const std::string &why) {
  res.status = status;
  res.set_header("Connection", "close");
  if (status == 405) res.set_header("Allow", "GET, HEAD");
  res.set_content(std::to_string(status) + " " + status_message(status) + ": " + why + "\n",
                  "text/plain; charset=utf-8");
  return HandlerResponse::Handled;
}

std::string escape_regex(const std::string &path) {
  static const std::regex special(R"([.^$|()\[\]{}*+?\\])");
  return std::regex_replace(path, special, R"(\$&)");
}
}  // namespace

HttplibServer::HttplibServer(std::string name, std::string server_header, size_t threads) : name_(std::move(name)) {
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_.set_default_headers({{"Server", server_header}});
  // httplib's default also sets SO_REUSEPORT, which would let another
  // process of the same user bind this port beside us and take its clients.
  server_.set_socket_options([](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  server_.set_keep_alive_timeout(30);
  server_.set_read_timeout(10);
  server_.set_write_timeout(10);
  server_.set_payload_max_length(64 * 1024);
  // Never invite a body: no admin page takes one.
  server_.set_expect_100_continue_handler([](const httplib::Request &, httplib::Response &) { return 417; });
  install_guard();
  install_error_pages();
}

HttplibServer::~HttplibServer() { stop(); }

void HttplibServer::install_guard() {
  server_.set_pre_routing_handler([](const httplib::Request &req, httplib::Response &res) {
    if (req.method != "GET" && req.method != "HEAD") {
      return refuse(res, 405, "only GET and HEAD are served");
    }
    const std::string length = req.get_header_value("Content-Length");
    if (req.has_header("Transfer-Encoding") || (!length.empty() && length != "0")) {
      return refuse(res, 413, "no admin page takes a request body");
    }
    if (req.has_header("Range")) return refuse(res, 416, "no admin page is served in ranges");
    return HandlerResponse::Unhandled;
  });
}

void HttplibServer::install_error_pages() {
  // Every error answer is one line a person can read; httplib's own errors
  // come without a body.
  server_.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request &req, httplib::Response &res) {
    if (!res.body.empty()) return HandlerResponse::Unhandled;
    std::string line = std::to_string(res.status) + " " + status_message(res.status);
    if (res.status == 404) line += ": no page at " + one_line(req.path, 200);
    res.set_content(line + "\n", "text/plain; charset=utf-8");
    return HandlerResponse::Handled;
  }));
  server_.set_exception_handler([this](const httplib::Request &req, httplib::Response &res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception &e) {
      what = e.what();
    } catch (...) {
    }
    log::error(name_, "request " + one_line(req.method, 16) + " " + one_line(req.path, 200) + " failed: " + what);
    res.status = 500;
    res.set_content("500 Internal Server Error\n", "text/plain; charset=utf-8");
  });
}

void HttplibServer::get(const std::string &path, httplib::Server::Handler handler) {
  // httplib matches patterns as regular expressions; ours are plain paths.
  server_.Get(escape_regex(path), std::move(handler));
}

std::optional<SocketAddress> HttplibServer::bind(const SocketAddress &address, std::string &error) {
  const std::string host = format_ip(address.get());
  const int port = port_of(address.get());
  server_.set_address_family(address.family());
  const int bound = port == 0 ? server_.bind_to_any_port(host) : (server_.bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    error = "cannot listen on " + format_endpoint(address) + " (in use, or not an address of this host)";
    return std::nullopt;
  }
  SocketAddress actual = address;
  auto *sa = reinterpret_cast<sockaddr_in *>(&actual.storage);  // sin_port and sin6_port share their offset
  sa->sin_port = htons(static_cast<uint16_t>(bound));
  return actual;
}

void HttplibServer::start() {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), (name_ + "-listen").substr(0, 15).c_str());
    server_.listen_after_bind();
  });
}

void HttplibServer::stop() {
  if (stopping_.exchange(true)) return;
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace observer::http
