#pragma once
// A generic netlink socket that knows the "mptcp_pm" family: what hearing
// path-manager events and reading the path manager's configuration both
// start with.
#include <string>

#include "common/unique_fd.h"
#include "sources/pm_netlink/pm_event_decode.h"

namespace observer::pm {

struct PmSocket {
  UniqueFd socket;
  PmFamily family;
  std::string why;  // one line, when socket is empty
};

// Opens a NETLINK_GENERIC socket in the calling thread's network namespace
// (a netlink socket belongs to the namespace it is created in), with a 2 s
// receive timeout, and resolves the mptcp_pm family on it.
PmSocket open_pm_socket();

std::string errno_text(const char *what, int error);

}  // namespace observer::pm
