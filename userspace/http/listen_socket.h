#pragma once
// Listening sockets that speak MPTCP where the kernel lets them.
#include <memory>
#include <optional>
#include <string>

#include "common/socket_address.h"
#include "common/unique_fd.h"

namespace observer::http {

class TlsContextSlot;

enum class Transport { mptcp, tcp };

struct Listener {
  UniqueFd fd;
  SocketAddress address;  // as bound (the real port if 0 was asked for)
  Transport transport = Transport::tcp;
  std::string fallback_reason;  // why MPTCP was wanted but TCP is used
  // Set: HTTPS, each connection a TLS session under the slot's current
  // context. Null: plain HTTP.
  std::shared_ptr<TlsContextSlot> tls;
};

// Binds and listens. With want_mptcp, a kernel without MPTCP or with
// net.mptcp.enabled=0 gives a TCP listener and a fallback_reason, not an
// error: the checker still serves, and tells every client "not MPTCP".
std::optional<Listener> open_listener(const SocketAddress &address, bool want_mptcp,
                                      std::string &error);

}  // namespace observer::http
