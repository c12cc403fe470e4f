#pragma once
// Asks the kernel about the MPTCP connection behind one socket: the status
// the checker reports comes from the very connection the client made.
#include "sources/getsockopt/mptcp_status.h"

namespace observer::sockopt {

MptcpStatus read_mptcp_status(int fd);

}  // namespace observer::sockopt
