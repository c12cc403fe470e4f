#include "sources/getsockopt/mptcp_sockopt_decode.h"

// linux/tcp.h, not netinet/tcp.h: only the kernel's header has the full
// struct tcp_info with the byte counters.
#include <linux/mptcp.h>
#include <linux/tcp.h>

#include <algorithm>
#include <cstring>

namespace observer {

const char *verdict_name(Verdict v) {
  switch (v) {
    case Verdict::mptcp: return "mptcp";
    case Verdict::fallback: return "fallback";
    case Verdict::plain_tcp: return "tcp";
    case Verdict::error: return "error";
  }
  return "error";
}

namespace sockopt {

abi::mptcp_info decode_mptcp_info(std::span<const std::byte> answer) {
  abi::mptcp_info info{};
  std::memcpy(&info, answer.data(), std::min(answer.size(), sizeof info));
  return info;
}

std::optional<SubflowArrayHeader> decode_subflow_array_header(std::span<const std::byte> answer,
                                                              std::string &error) {
  abi::mptcp_subflow_data header{};
  if (answer.size() < sizeof header) {
    error = "subflow answer shorter than its header";
    return std::nullopt;
  }
  std::memcpy(&header, answer.data(), sizeof header);
  if (header.size_user == 0 && header.num_subflows > 0) {
    error = "kernel reported a zero element size";
    return std::nullopt;
  }
  SubflowArrayHeader out;
  out.num_subflows = header.num_subflows;
  out.element_size = header.size_user;
  const size_t payload = answer.size() - sizeof header;
  out.elements_present =
      header.size_user ? std::min<size_t>(header.num_subflows, payload / header.size_user) : 0;
  return out;
}

namespace {
SocketAddress sockaddr_from_union(const void *p) {
  sockaddr_storage ss{};
  std::memcpy(&ss, p, sizeof(sockaddr_in6));
  const socklen_t len = ss.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  return SocketAddress::from(reinterpret_cast<const sockaddr *>(&ss), len);
}
}  // namespace

std::vector<std::pair<SocketAddress, SocketAddress>> decode_subflow_addrs(
    std::span<const std::byte> answer, std::string &error) {
  std::vector<std::pair<SocketAddress, SocketAddress>> out;
  const auto header = decode_subflow_array_header(answer, error);
  if (!header) return out;
  if (header->elements_present && header->element_size < sizeof(mptcp_subflow_addrs)) {
    error = "kernel's subflow address element is smaller than expected";
    return out;
  }
  const std::byte *base = answer.data() + sizeof(abi::mptcp_subflow_data);
  for (size_t i = 0; i < header->elements_present; ++i) {
    mptcp_subflow_addrs a{};
    std::memcpy(&a, base + i * header->element_size, sizeof a);
    out.emplace_back(sockaddr_from_union(&a.ss_local), sockaddr_from_union(&a.ss_remote));
  }
  return out;
}

TcpFigures decode_tcp_info(std::span<const std::byte> element) {
  tcp_info ti{};
  std::memcpy(&ti, element.data(), std::min(element.size(), sizeof ti));
  const auto has = [&](size_t end_offset) { return element.size() >= end_offset; };
  TcpFigures f;
  f.rtt_us = ti.tcpi_rtt;
  f.rttvar_us = ti.tcpi_rttvar;
  f.snd_cwnd = ti.tcpi_snd_cwnd;
  f.total_retrans = ti.tcpi_total_retrans;
  if (has(offsetof(tcp_info, tcpi_bytes_acked) + sizeof ti.tcpi_bytes_acked)) f.bytes_acked = ti.tcpi_bytes_acked;
  if (has(offsetof(tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received))
    f.bytes_received = ti.tcpi_bytes_received;
  if (has(offsetof(tcp_info, tcpi_bytes_sent) + sizeof ti.tcpi_bytes_sent)) f.bytes_sent = ti.tcpi_bytes_sent;
  return f;
}

std::vector<TcpFigures> decode_tcp_infos(std::span<const std::byte> answer, std::string &error) {
  std::vector<TcpFigures> out;
  const auto header = decode_subflow_array_header(answer, error);
  if (!header) return out;
  const std::byte *base = answer.data() + sizeof(abi::mptcp_subflow_data);
  for (size_t i = 0; i < header->elements_present; ++i) {
    out.push_back(decode_tcp_info({base + i * header->element_size, header->element_size}));
  }
  return out;
}

std::optional<FullInfo> decode_full_info(std::span<const std::byte> answer, std::span<const std::byte> subflow_infos,
                                         std::span<const std::byte> tcp_infos, std::string &error) {
  abi::mptcp_full_info_header h{};
  if (answer.size() < sizeof h) {
    error = "full info answer shorter than its header";
    return std::nullopt;
  }
  std::memcpy(&h, answer.data(), sizeof h);
  FullInfo out;
  out.info = decode_mptcp_info(answer.subspan(sizeof h));
  out.num_subflows = h.num_subflows;
  const size_t count = std::min(h.num_subflows, h.size_arrays_user);
  if (count && h.size_sfinfo_user < sizeof(abi::mptcp_subflow_info)) {
    error = "kernel's subflow info element is smaller than expected";
    return std::nullopt;
  }
  if (count * h.size_sfinfo_user > subflow_infos.size() || count * h.size_tcpinfo_user > tcp_infos.size()) {
    error = "kernel reported more subflow data than our arrays hold";
    return std::nullopt;
  }
  out.subflows.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    abi::mptcp_subflow_info sf{};
    std::memcpy(&sf, subflow_infos.data() + i * h.size_sfinfo_user, sizeof sf);
    SubflowStatus s;
    s.id = sf.id;
    s.local = sockaddr_from_union(&sf.addrs.ss_local);
    s.remote = sockaddr_from_union(&sf.addrs.ss_remote);
    s.kind = sf.id == 1 ? SubflowKind::initial : SubflowKind::join;
    if (h.size_tcpinfo_user) s.tcp = decode_tcp_info(tcp_infos.subspan(i * h.size_tcpinfo_user, h.size_tcpinfo_user));
    out.subflows.push_back(std::move(s));
  }
  return out;
}

namespace {
// IPv4 clients of a dual-stack listener appear as ::ffff:a.b.c.d on the
// MPTCP socket but as AF_INET on the subflows; compare them as equal.
bool unmapped_ipv4(const SocketAddress &a, in_addr &out, uint16_t &port) {
  if (a.family() == AF_INET) {
    const auto *in = reinterpret_cast<const sockaddr_in *>(&a.storage);
    out = in->sin_addr;
    port = in->sin_port;
    return true;
  }
  if (a.family() == AF_INET6) {
    const auto *in6 = reinterpret_cast<const sockaddr_in6 *>(&a.storage);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      std::memcpy(&out, &in6->sin6_addr.s6_addr[12], 4);
      port = in6->sin6_port;
      return true;
    }
  }
  return false;
}
}  // namespace

bool same_endpoint(const SocketAddress &a, const SocketAddress &b) {
  in_addr a4{}, b4{};
  uint16_t ap = 0, bp = 0;
  const bool a_is_v4 = unmapped_ipv4(a, a4, ap);
  const bool b_is_v4 = unmapped_ipv4(b, b4, bp);
  if (a_is_v4 || b_is_v4) return a_is_v4 && b_is_v4 && a4.s_addr == b4.s_addr && ap == bp;
  if (a.family() != AF_INET6 || b.family() != AF_INET6) return false;
  const auto *x = reinterpret_cast<const sockaddr_in6 *>(&a.storage);
  const auto *y = reinterpret_cast<const sockaddr_in6 *>(&b.storage);
  return x->sin6_port == y->sin6_port &&
         std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
}

void classify_subflows(std::vector<SubflowStatus> &subflows, const SocketAddress &peer) {
  for (auto &s : subflows) {
    s.kind = same_endpoint(s.remote, peer) ? SubflowKind::initial : SubflowKind::join;
  }
}

}  // namespace sockopt
}  // namespace observer
