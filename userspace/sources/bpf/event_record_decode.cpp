#include "sources/bpf/event_record_decode.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "mptcp_events.h"

namespace observer::bpf {
namespace {
// A dual-stack socket talking to an IPv4 peer is AF_INET6 with ::ffff:a.b.c.d
// addresses; users and metrics call that IPv4.
bool v4_mapped(const mpo_u8 *a) {
  static const mpo_u8 prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a, prefix, sizeof prefix) == 0;
}

// Into a's zeroed storage, where the address stays: no copy of a
// sockaddr_storage per address.
void fill_address(SocketAddress &a, int family, const mpo_u8 *addr, uint16_t port) {
  if (family == AF_INET) {
    auto *in = reinterpret_cast<sockaddr_in *>(&a.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, addr, 4);
    a.length = sizeof(sockaddr_in);
  } else {
    auto *in6 = reinterpret_cast<sockaddr_in6 *>(&a.storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, addr, 16);
    a.length = sizeof(sockaddr_in6);
  }
}

}  // namespace

bool decode_event(std::span<const std::byte> record, MptcpEvent &e) {
  mpo_event raw{};
  if (record.size() != sizeof raw) return false;
  std::memcpy(&raw, record.data(), sizeof raw);
  switch (raw.type) {
    case MPO_EV_SUBFLOW_CREATED: e.type = EventType::subflow_created; break;
    case MPO_EV_SUBFLOW_ESTABLISHED: e.type = EventType::subflow_established; break;
    case MPO_EV_SUBFLOW_CLOSED: e.type = EventType::subflow_closed; break;
    case MPO_EV_JOIN_FAILED: e.type = EventType::join_failed; break;
    case MPO_EV_FALLBACK: e.type = EventType::fallback; break;
    case MPO_EV_LISTENER: e.type = EventType::listener; break;
    default: return false;
  }
  if (raw.direction > MPO_DIR_PASSIVE || raw.kind > MPO_KIND_JOIN || raw.reason >= MPO_REASON_COUNT) return false;
  if (raw.family != AF_INET && raw.family != AF_INET6) return false;
  e.direction = raw.direction == MPO_DIR_ACTIVE ? Direction::outbound : Direction::inbound;
  e.kind = raw.kind == MPO_KIND_INITIAL ? SubflowKind::initial : SubflowKind::join;
  e.reason = static_cast<Reason>(raw.reason);
  e.timestamp_ns = raw.timestamp_ns;
  e.cookie = raw.cookie;
  e.duration_ns = raw.duration_ns;
  e.netns = raw.netns;
  e.token = raw.token;
  e.ifindex = raw.ifindex;
  e.tcp_error = raw.tcp_error;
  e.reset_reason = raw.reset_reason;
  e.local_id = raw.local_id;
  e.remote_id = raw.remote_id;
  e.backup = raw.backup != 0;
  e.reset_seen = raw.reset_seen != 0;
  int family = raw.family;
  const mpo_u8 *local = raw.local_addr, *remote = raw.remote_addr;
  if (family == AF_INET6 && v4_mapped(raw.remote_addr)) {
    family = AF_INET;
    local += 12;
    remote += 12;
  }
  fill_address(e.local, family, local, raw.local_port);
  fill_address(e.remote, family, remote, raw.remote_port);
  return true;
}

}  // namespace observer::bpf
