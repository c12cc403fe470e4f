// sock_diag dump replies, as the reconciler reads them: the MPTCP sockets'
// dump in one part, the TCP subflows' dump in the next (fuzz_input.h), then
// the snapshot assembled from both.
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "fuzz_input.h"
#include "sources/sock_diag/diag_messages.h"

using namespace observer;
using observer::fuzz::InputParts;

namespace {
// A reply is counted only when its message holds a whole inet_diag_msg, and
// messages do not overlap: a buffer of n bytes yields at most this many.
size_t most_replies(size_t buffer_size) { return buffer_size / NLMSG_LENGTH(sizeof(inet_diag_msg)); }

bool is_ip(const Endpoint &e) { return e.family == AF_INET || e.family == AF_INET6; }

void check_state(const diag::ParseState &state) {
  // An error always ends the dump; the reader would otherwise wait for more.
  if (!state.error.empty()) FUZZ_CHECK(state.done);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  InputParts parts(data, size);
  const auto mptcp_buffer = parts.next();
  const auto subflow_buffer = parts.rest();

  std::vector<diag::MptcpSocket> sockets;
  diag::ParseState mptcp_state;
  diag::parse_mptcp_reply(mptcp_buffer, sockets, mptcp_state);
  check_state(mptcp_state);
  FUZZ_CHECK(sockets.size() <= most_replies(mptcp_buffer.size()));
  for (const auto &s : sockets) {
    FUZZ_CHECK(is_ip(s.local) && is_ip(s.remote));
    (void)s.local.to_string();
  }

  std::vector<DiagSubflow> subflows;
  diag::ParseState subflow_state;
  diag::parse_subflow_reply(subflow_buffer, subflows, subflow_state);
  check_state(subflow_state);
  FUZZ_CHECK(subflows.size() <= most_replies(subflow_buffer.size()));
  for (const auto &sf : subflows) {
    // Only MPTCP subflows that know their connection are kept.
    FUZZ_CHECK(sf.token != 0);
    FUZZ_CHECK(is_ip(sf.local) && is_ip(sf.remote));
    (void)sf.remote.to_string();
  }

  const auto connections = diag::assemble(sockets, subflows);
  FUZZ_CHECK(connections.size() <= sockets.size());
  size_t grouped = 0;
  for (const auto &c : connections) {
    FUZZ_CHECK(c.token != 0);
    for (const auto &sf : c.subflows) FUZZ_CHECK(sf.token == c.token);
    grouped += c.subflows.size();
  }
  // Each subflow joins at most one connection, even when a dump names a
  // token twice.
  FUZZ_CHECK(grouped <= subflows.size());
  return 0;
}
