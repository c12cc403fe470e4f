#include "sources/sock_diag/diag_reader.h"

#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "common/unique_fd.h"
#include "sources/sock_diag/diag_messages.h"

namespace observer::diag {
namespace {
constexpr uint8_t kTcpListenState = 10;

template <typename Parse>
bool dump(const std::vector<uint8_t> &request, Parse &&parse, std::string &error) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!fd) {
    error = std::string("sock_diag socket: ") + std::strerror(errno);
    return false;
  }
  const timeval tv{2, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), request.data(), request.size(), 0, reinterpret_cast<sockaddr *>(&kernel), sizeof kernel) < 0) {
    error = std::string("sock_diag send: ") + std::strerror(errno);
    return false;
  }
  std::vector<uint8_t> buffer(64 * 1024);
  ParseState state;
  while (!state.done) {
    const ssize_t n = recv(fd.get(), buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = std::string("sock_diag recv: ") + std::strerror(errno);
      return false;
    }
    if (n == 0) break;
    parse(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)), state);
  }
  if (!state.error.empty()) {
    error = state.error;
    return false;
  }
  return true;
}
}  // namespace

std::optional<Snapshot> snapshot(std::string &error) {
  std::vector<MptcpSocket> sockets;
  std::vector<DiagSubflow> subflows;
  uint32_t seq = 1;
  for (const int family : {AF_INET, AF_INET6}) {
    if (!dump(mptcp_dump_request(family, seq++),
              [&](std::span<const uint8_t> b, ParseState &s) { parse_mptcp_reply(b, sockets, s); }, error)) {
      return std::nullopt;
    }
    if (!dump(tcp_dump_request(family, seq++),
              [&](std::span<const uint8_t> b, ParseState &s) { parse_subflow_reply(b, subflows, s); }, error)) {
      return std::nullopt;
    }
  }
  Snapshot out;
  out.connections = assemble(sockets, subflows);
  for (const auto &s : sockets) {
    if (s.state == kTcpListenState) out.mptcp_listener_ports.push_back(s.local.port);
  }
  return out;
}

}  // namespace observer::diag
