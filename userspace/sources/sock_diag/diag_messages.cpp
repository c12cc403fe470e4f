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

#include "common/netlink_error.h"
#include "sources/getsockopt/mptcp_abi.h"

namespace observer::diag {
namespace {
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

// Walks the attributes after an inet_diag_msg, calling f(type, payload).
template <typename F>
void for_each_attr(const uint8_t *p, size_t len, F &&f) {
  while (len >= NLA_HDRLEN) {
    nlattr a;
    std::memcpy(&a, p, sizeof a);
    if (a.nla_len < NLA_HDRLEN || a.nla_len > len) return;
    f(static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK), std::span<const uint8_t>(p + NLA_HDRLEN, a.nla_len - NLA_HDRLEN));
    const size_t step = NLA_ALIGN(a.nla_len);
    if (step >= len) return;
    p += step;
    len -= step;
  }
}

template <typename T>
T read_as(std::span<const uint8_t> payload) {
  T v{};
  std::memcpy(&v, payload.data(), std::min(sizeof v, payload.size()));
  return v;
}

// Walks netlink messages, calling f(inet_diag_msg, attrs) for each reply.
template <typename F>
void for_each_reply(std::span<const uint8_t> buffer, ParseState &state, F &&f) {
  const uint8_t *p = buffer.data();
  size_t len = buffer.size();
  while (len >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, p, sizeof h);
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > len) {
      state.error = "truncated netlink message";
      state.done = true;
      return;
    }
    if (h.nlmsg_type == NLMSG_DONE) {
      state.done = true;
      return;
    }
    if (h.nlmsg_type == NLMSG_ERROR) {
      nlmsgerr err{};
      std::memcpy(&err, p + NLMSG_HDRLEN, std::min<size_t>(sizeof err, h.nlmsg_len - NLMSG_HDRLEN));
      const auto errno_value = netlink_errno(err.error);
      state.error = errno_value ? std::string("sock_diag: ") + std::strerror(*errno_value)
                                : "sock_diag: error message with no errno (" + std::to_string(err.error) + ")";
      state.done = true;
      return;
    }
    if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY && h.nlmsg_len >= NLMSG_LENGTH(sizeof(inet_diag_msg))) {
      inet_diag_msg msg;
      std::memcpy(&msg, p + NLMSG_HDRLEN, sizeof msg);
      const size_t attrs_off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof msg);
      f(msg, p + attrs_off, h.nlmsg_len > attrs_off ? h.nlmsg_len - attrs_off : 0);
    }
    const size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step >= len) return;
    p += step;
    len -= step;
  }
}
}  // namespace

std::vector<uint8_t> mptcp_dump_request(int family, uint32_t seq) { return dump_request(family, seq, true); }
std::vector<uint8_t> tcp_dump_request(int family, uint32_t seq) { return dump_request(family, seq, false); }

void parse_mptcp_reply(std::span<const uint8_t> buffer, std::vector<MptcpSocket> &out, ParseState &state) {
  for_each_reply(buffer, state, [&](const inet_diag_msg &msg, const uint8_t *attrs, size_t len) {
    MptcpSocket s;
    s.state = msg.idiag_state;
    s.local = endpoint_of(msg.idiag_family, msg.id.idiag_src, msg.id.idiag_sport);
    s.remote = endpoint_of(msg.idiag_family, msg.id.idiag_dst, msg.id.idiag_dport);
    for_each_attr(attrs, len, [&](uint16_t type, std::span<const uint8_t> payload) {
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
  for_each_reply(buffer, state, [&](const inet_diag_msg &msg, const uint8_t *attrs, size_t len) {
    if (msg.idiag_state == kTcpListen) return;
    DiagSubflow sf;
    bool is_mptcp = false;
    uint32_t flags = 0;
    for_each_attr(attrs, len, [&](uint16_t type, std::span<const uint8_t> payload) {
      if (type != INET_DIAG_ULP_INFO) return;
      for_each_attr(payload.data(), payload.size(), [&](uint16_t ulp_type, std::span<const uint8_t> ulp) {
        if (ulp_type == INET_ULP_INFO_NAME) {
          is_mptcp = std::string(reinterpret_cast<const char *>(ulp.data()), strnlen(reinterpret_cast<const char *>(ulp.data()), ulp.size())) == "mptcp";
        } else if (ulp_type == INET_ULP_INFO_MPTCP) {
          for_each_attr(ulp.data(), ulp.size(), [&](uint16_t a, std::span<const uint8_t> v) {
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
