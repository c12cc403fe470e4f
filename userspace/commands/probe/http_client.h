#pragma once
// The probe's side of an HTTP exchange: a connected socket (MPTCP when
// asked, bound to an interface or a source address when asked), and a GET
// with a deadline. Small and blocking: the probe makes a few requests, one
// at a time, and reports on each socket afterwards.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "commands/probe/probe_target.h"
#include "common/socket_address.h"
#include "common/unique_fd.h"

namespace observer::probe {

using Deadline = std::chrono::steady_clock::time_point;

struct ConnectOptions {
  bool mptcp = true;
  std::string interface;                // SO_BINDTODEVICE when set
  std::optional<SocketAddress> source;  // bind() to it (port 0) when set
  std::chrono::milliseconds timeout{5000};
};

struct Connected {
  UniqueFd fd;
  SocketAddress local, peer;
};

// Resolves the target and connects to its first address that answers.
// `socket_errno` is socket()'s errno when the socket itself could not be
// made (ENOPROTOOPT: MPTCP is disabled here), else 0.
std::optional<Connected> connect_to(const ProbeTarget &target, const ConnectOptions &options, std::string &error,
                                    int &socket_errno);

struct HttpAnswer {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> fields;  // names in lower case
  std::string body;          // at most the `keep` bytes asked for
  uint64_t body_bytes = 0;   // all that arrived
  double body_seconds = 0;   // from the first body byte to the last
  bool closes = false;       // the server said it closes the connection
  std::string field(std::string_view lower_name) const;
};

// Sends "GET path" and reads the answer: its body by Content-Length, or
// until the server closes. nullopt with a one-line `error` on a timeout, a
// malformed answer or a closed connection.
std::optional<HttpAnswer> http_get(int fd, const ProbeTarget &target, const std::string &path, std::string_view accept,
                                   Deadline deadline, size_t keep, std::string &error);

}  // namespace observer::probe
