#pragma once
// Asks the kernel about the MPTCP connection behind one socket: the status
// the checker reports comes from the very connection the client made.
#include "sources/getsockopt/mptcp_status.h"

namespace observer::sockopt {

// `peer` is the socket's peer address (the initial subflow's remote end),
// known to the caller since accept.
MptcpStatus read_mptcp_status(int fd, const SocketAddress &peer);

}  // namespace observer::sockopt
