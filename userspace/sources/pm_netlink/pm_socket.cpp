#include "sources/pm_netlink/pm_socket.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

namespace observer::pm {
namespace {
// Far above the controller's description of the family.
constexpr size_t kReplyBytes = 64 * 1024;
}  // namespace

std::string errno_text(const char *what, int error) { return std::string(what) + ": " + std::strerror(error); }

PmSocket open_pm_socket() {
  PmSocket out;
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC));
  if (!fd) {
    out.why = errno_text("generic netlink socket", errno);
    return out;
  }
  const timeval timeout{2, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const auto request = family_request(1);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd.get(), request.data(), request.size(), 0, reinterpret_cast<sockaddr *>(&kernel), sizeof kernel) < 0) {
    out.why = errno_text("asking the generic netlink controller for mptcp_pm", errno);
    return out;
  }
  std::vector<uint8_t> buffer(kReplyBytes);
  ssize_t n;
  do {
    n = recv(fd.get(), buffer.data(), buffer.size(), MSG_TRUNC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    out.why = errno_text("no answer from the generic netlink controller", errno);
    return out;
  }
  const auto reply = parse_family_reply(std::span<const uint8_t>(buffer.data(), std::min<size_t>(n, buffer.size())));
  if (reply.kernel_errno == ENOENT) {
    out.why = "the kernel has no MPTCP path-manager netlink (generic netlink family mptcp_pm not found)";
    return out;
  }
  if (reply.kernel_errno) {
    out.why = errno_text("resolving generic netlink family mptcp_pm", reply.kernel_errno);
    return out;
  }
  if (!reply.family) {
    out.why = reply.error;
    return out;
  }
  out.socket = std::move(fd);
  out.family = *reply.family;
  return out;
}

}  // namespace observer::pm
