#include "sources/pm_netlink/pm_config_reader.h"

#include <linux/netlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <vector>

#include "sources/pm_netlink/pm_socket.h"

namespace observer::pm {
namespace {
// A dump datagram holds many endpoints; the kernel fills up to this much.
constexpr size_t kDatagramBytes = 32 * 1024;
// Endpoints are few (the kernel caps them at 255 per namespace, a few per
// datagram): past this many datagrams something is wrong.
constexpr int kMaxDumpDatagrams = 256;

bool send_to_kernel(int fd, const std::vector<uint8_t> &message) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  return sendto(fd, message.data(), message.size(), 0, reinterpret_cast<sockaddr *>(&kernel), sizeof kernel) >= 0;
}

// One datagram, or an empty span with errno set (EAGAIN after the socket's
// 2 s timeout).
std::span<const uint8_t> receive(int fd, std::vector<uint8_t> &buffer) {
  ssize_t n;
  do {
    n = recv(fd, buffer.data(), buffer.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return {};
  return std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n));
}
}  // namespace

PathManagerConfig read_path_manager_config() {
  PathManagerConfig config;
  PmSocket pm = open_pm_socket();
  if (!pm.socket) {
    config.error = pm.why;
    return config;
  }
  const int fd = pm.socket.get();
  std::vector<uint8_t> buffer(kDatagramBytes);

  if (!send_to_kernel(fd, get_limits_request(pm.family.id, 2))) {
    config.error = errno_text("asking for the path manager's limits", errno);
    return config;
  }
  const auto limits_datagram = receive(fd, buffer);
  if (limits_datagram.empty()) {
    config.error = errno_text("no answer about the path manager's limits", errno);
    return config;
  }
  const auto limits = parse_limits_reply(limits_datagram, pm.family.id);
  if (limits.limits) config.limits = limits.limits;
  else if (limits.kernel_errno) config.error = errno_text("the path manager's limits", limits.kernel_errno);
  else config.error = limits.error;

  if (!send_to_kernel(fd, get_endpoints_request(pm.family.id, 3))) {
    config.error = errno_text("asking for the path manager's endpoints", errno);
    return config;
  }
  std::vector<Endpoint> endpoints;
  for (int i = 0; i < kMaxDumpDatagrams; ++i) {
    const auto datagram = receive(fd, buffer);
    if (datagram.empty()) {
      config.error = errno_text("the endpoint dump stopped", errno);
      return config;
    }
    const auto step = add_endpoints(datagram, pm.family.id, endpoints);
    if (step.malformed) {
      config.error = "malformed reply to MPTCP_PM_CMD_GET_ADDR";
      return config;
    }
    if (step.kernel_errno) {
      config.error = errno_text("the path manager's endpoints", step.kernel_errno);
      return config;
    }
    if (step.done) {
      config.endpoints = std::move(endpoints);
      return config;
    }
  }
  config.error = "the endpoint dump did not end";
  return config;
}

}  // namespace observer::pm
