#include "sources/sock_diag/diag_messages.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/mptcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "common/netlink_walk.h"
#include "sources/getsockopt/mptcp_abi.h"

namespace observer::diag {
namespace {
using netlink::Bytes;

constexpr uint8_t kTcpListen = 10;
constexpr uint32_t kAllStates = 0xffffffffu;

std::vector<uint8_t> dump_request(int family, uint32_t seq, bool mptcp) {
  struct {
    nlmsghdr nlh;
    inet_diag_req_v2 req;
    nlattr protocol_attr;
    uint32_t protocol;
  } msg{};
  static_assert(sizeof msg == NLMSG_LENGTH(sizeof(inet_diag_req_v2)) + NLA_HDRLEN + sizeof(uint32_t));
  msg.nlh.nlmsg_len = static_cast<uint32_t>(mptcp ? sizeof msg : NLMSG_LENGTH(sizeof msg.req));
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  msg.nlh.nlmsg_seq = seq;
  msg.req.sdiag_family = static_cast<uint8_t>(family);
  // sdiag_protocol is a u8; IPPROTO_MPTCP (262) goes in an attribute (5.9+).
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = kAllStates;
  msg.req.idiag_ext = 1 << (INET_DIAG_INFO - 1);
  msg.protocol_attr.nla_len = NLA_HDRLEN + sizeof(uint32_t);
  msg.protocol_attr.nla_type = INET_DIAG_REQ_PROTOCOL;
  msg.protocol = abi::kIpprotoMptcp;
  const auto *bytes = reinterpret_cast<const uint8_t *>(&msg);
  return std::vector<uint8_t>(bytes, bytes + msg.nlh.nlmsg_len);
}

Endpoint endpoint_of(uint8_t family, const uint32_t addr[4], uint16_t port_be) {
  // inet_diag answers only the two families we asked for.
  return Endpoint::from(SocketAddress::from_bytes(family == AF_INET ? AF_INET : AF_INET6, addr, port_be));
}

// Calls f(type, payload) for each attribute of `area`. A malformed one
// ends the walk; what came before it is kept: a reply's other fields are
// still worth having.
template <typename F>
void for_each_attr(Bytes area, F &&f) {
  netlink::for_each_attribute(area, [&](uint16_t type, Bytes payload) {
    f(type, payload);
    return true;
  });
}

// As much of a T as the payload holds, the rest zero: struct mptcp_info
// grows with the kernel, so a newer kernel's is longer than this build's
// and an older one's shorter.
template <typename T>
T read_as(Bytes payload) {
  T v{};
  std::memcpy(&v, payload.data(), std::min(sizeof v, payload.size()));
  return v;
}

std::string error_text(Bytes payload) {
  if (const auto error = netlink::error_of(payload)) return std::string("sock_diag: ") + std::strerror(*error);
  int raw = 0;  // nlmsgerr.error
  if (payload.size() < sizeof raw) return "sock_diag: error message with no errno";
  std::memcpy(&raw, payload.data(), sizeof raw);
  return "sock_diag: error message with no errno (" + std::to_string(raw) + ")";
}

// Walks netlink messages, calling f(inet_diag_msg, attributes) for each reply.
template <typename F>
void for_each_reply(Bytes buffer, ParseState &state, F &&f) {
  const bool whole = netlink::for_each_message(buffer, [&](const nlmsghdr &h, Bytes payload) {
    if (h.nlmsg_type == NLMSG_DONE) {
      state.done = true;
      return false;
    }
    if (h.nlmsg_type == NLMSG_ERROR) {
      state.error = error_text(payload);
      state.done = true;
      return false;
    }
    if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY && payload.size() >= sizeof(inet_diag_msg)) {
      inet_diag_msg msg;
      std::memcpy(&msg, payload.data(), sizeof msg);
      const size_t attributes_at = NLMSG_ALIGN(sizeof msg);
      f(msg, payload.size() > attributes_at ? payload.subspan(attributes_at) : Bytes{});
    }
    return true;
  });
  if (!whole) {
    state.error = "truncated netlink message";
    state.done = true;
  }
}
}  // namespace

std::vector<uint8_t> mptcp_dump_request(int family, uint32_t seq) { return dump_request(family, seq, true); }
std::vector<uint8_t> tcp_dump_request(int family, uint32_t seq) { return dump_request(family, seq, false); }

void parse_mptcp_reply(std::span<const uint8_t> buffer, std::vector<MptcpSocket> &out, ParseState &state) {
  for_each_reply(buffer, state, [&](const inet_diag_msg &msg, Bytes attributes) {
    MptcpSocket s;
    s.state = msg.idiag_state;
    s.local = endpoint_of(msg.idiag_family, msg.id.idiag_src, msg.id.idiag_sport);
    s.remote = endpoint_of(msg.idiag_family, msg.id.idiag_dst, msg.id.idiag_dport);
    for_each_attr(attributes, [&](uint16_t type, Bytes payload) {
      if (type != INET_DIAG_INFO) return;
      const auto info = read_as<abi::mptcp_info>(payload);
      s.token = info.token;
      s.fallback = (info.flags & abi::kMptcpInfoFlagFallback) != 0;
      s.remote_key_received = (info.flags & abi::kMptcpInfoFlagRemoteKeyReceived) != 0;
    });
    out.push_back(s);
  });
}

void parse_subflow_reply(std::span<const uint8_t> buffer, std::vector<DiagSubflow> &out, ParseState &state) {
  for_each_reply(buffer, state, [&](const inet_diag_msg &msg, Bytes attributes) {
    if (msg.idiag_state == kTcpListen) return;
    DiagSubflow sf;
    bool is_mptcp = false;
    uint32_t flags = 0;
    for_each_attr(attributes, [&](uint16_t type, Bytes payload) {
      if (type != INET_DIAG_ULP_INFO) return;
      for_each_attr(payload, [&](uint16_t ulp_type, Bytes ulp) {
        if (ulp_type == INET_ULP_INFO_NAME) {
          is_mptcp = netlink::string_of(ulp) == "mptcp";
        } else if (ulp_type == INET_ULP_INFO_MPTCP) {
          for_each_attr(ulp, [&](uint16_t a, Bytes v) {
            switch (a) {
              case MPTCP_SUBFLOW_ATTR_TOKEN_LOC: sf.token = read_as<uint32_t>(v); break;
              case MPTCP_SUBFLOW_ATTR_FLAGS: flags = read_as<uint32_t>(v); break;
              case MPTCP_SUBFLOW_ATTR_ID_LOC: sf.local_id = read_as<uint8_t>(v); break;
              case MPTCP_SUBFLOW_ATTR_ID_REM: sf.remote_id = read_as<uint8_t>(v); break;
              default: break;
            }
          });
        }
      });
    });
    if (!is_mptcp || sf.token == 0) return;
    // A join we opened is a subflow only once the peer has accepted it
    // (fully established: it acknowledged our third ACK); until then the
    // peer may still reset it, as a server at its subflow limit does.
    // The BPF source reports it established at that moment, not before.
    if ((flags & MPTCP_SUBFLOW_FLAG_JOIN_LOC) && !(flags & MPTCP_SUBFLOW_FLAG_FULLY_ESTABLISHED)) return;
    sf.cookie = static_cast<uint64_t>(msg.id.idiag_cookie[0]) | (static_cast<uint64_t>(msg.id.idiag_cookie[1]) << 32);
    sf.local = endpoint_of(msg.idiag_family, msg.id.idiag_src, msg.id.idiag_sport);
    sf.remote = endpoint_of(msg.idiag_family, msg.id.idiag_dst, msg.id.idiag_dport);
    sf.kind = (flags & (MPTCP_SUBFLOW_FLAG_JOIN_REM | MPTCP_SUBFLOW_FLAG_JOIN_LOC)) ? SubflowKind::join : SubflowKind::initial;
    sf.backup = (flags & (MPTCP_SUBFLOW_FLAG_BKUP_REM | MPTCP_SUBFLOW_FLAG_BKUP_LOC)) != 0;
    out.push_back(sf);
  });
}

std::vector<DiagConnection> assemble(const std::vector<MptcpSocket> &sockets,
                                     const std::vector<DiagSubflow> &subflows) {
  std::unordered_set<uint16_t> listening_ports;
  for (const auto &s : sockets) {
    if (s.state == kTcpListen) listening_ports.insert(s.local.port);
  }
  std::unordered_map<uint32_t, size_t> index;
  std::vector<DiagConnection> out;
  for (const auto &s : sockets) {
    if (s.state == kTcpListen || s.token == 0) continue;
    DiagConnection c;
    c.token = s.token;
    c.local = s.local;
    c.remote = s.remote;
    c.fallback = s.fallback;
    c.fallback_in_handshake = s.fallback && !s.remote_key_received;
    c.direction = listening_ports.count(s.local.port) ? Direction::inbound : Direction::outbound;
    index[s.token] = out.size();
    out.push_back(std::move(c));
  }
  for (const auto &sf : subflows) {
    const auto it = index.find(sf.token);
    if (it != index.end()) out[it->second].subflows.push_back(sf);
  }
  return out;
}

}  // namespace observer::diag
