// sock_diag as bytes: the dump requests we send, and replies built by hand
// the way the kernel lays them out (nlmsghdr, inet_diag_msg, attributes,
// then NLMSG_DONE).
#include "sources/sock_diag/diag_messages.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/mptcp.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <climits>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "netlink_fixtures.h"
#include "sources/getsockopt/mptcp_abi.h"

using namespace observer;
using namespace observer::diag;

using namespace observer::test;

namespace {
constexpr uint8_t kEstablished = 1;  // TCP_ESTABLISHED
constexpr uint8_t kSynSent = 2;      // TCP_SYN_SENT
constexpr uint8_t kListen = 10;      // TCP_LISTEN

Bytes attr_string(uint16_t type, const char *s) { return attr(type, s, std::strlen(s) + 1); }  // with its NUL

inet_diag_msg diag_msg(int family, uint8_t state, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                       uint64_t cookie = 0) {
  inet_diag_msg m{};
  m.idiag_family = static_cast<uint8_t>(family);
  m.idiag_state = state;
  m.id.idiag_sport = htons(sport);
  m.id.idiag_dport = htons(dport);
  REQUIRE(inet_pton(family, src, m.id.idiag_src) == 1);
  REQUIRE(inet_pton(family, dst, m.id.idiag_dst) == 1);
  m.id.idiag_cookie[0] = static_cast<uint32_t>(cookie);
  m.id.idiag_cookie[1] = static_cast<uint32_t>(cookie >> 32);
  m.idiag_inode = 12345;
  return m;
}

// A SOCK_DIAG_BY_FAMILY reply: nlmsghdr, inet_diag_msg, attributes.
Bytes reply(const inet_diag_msg &m, const Bytes &attrs) {
  nlmsghdr h{};
  h.nlmsg_len = static_cast<uint32_t>(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof m) + attrs.size());
  h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  h.nlmsg_flags = NLM_F_MULTI;
  h.nlmsg_seq = 1;
  Bytes out(NLMSG_ALIGN(h.nlmsg_len), 0);
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + NLMSG_HDRLEN, &m, sizeof m);
  // An empty vector's data() may be null, which memcpy must not be given.
  if (!attrs.empty()) std::memcpy(out.data() + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof m), attrs.data(), attrs.size());
  return out;
}

Bytes done() {
  nlmsghdr h{};
  h.nlmsg_len = NLMSG_LENGTH(sizeof(int));
  h.nlmsg_type = NLMSG_DONE;
  h.nlmsg_flags = NLM_F_MULTI;
  Bytes out(h.nlmsg_len, 0);
  std::memcpy(out.data(), &h, sizeof h);
  return out;
}

// INET_DIAG_INFO of an MPTCP socket: struct mptcp_info, or a prefix of it
// (older kernels write less).
Bytes mptcp_info_attr(uint32_t token, uint32_t flags, size_t bytes = sizeof(abi::mptcp_info)) {
  abi::mptcp_info info{};
  info.subflows = 1;
  info.token = token;
  info.flags = flags;
  return attr(INET_DIAG_INFO, &info, bytes);
}

// INET_DIAG_ULP_INFO of a TCP subflow of an MPTCP connection.
Bytes ulp_info(const char *ulp_name, uint32_t token, uint32_t flags, uint8_t id_loc, uint8_t id_rem) {
  const Bytes mptcp = concat({
      attr_value<uint32_t>(MPTCP_SUBFLOW_ATTR_TOKEN_REM, 0x55555555),
      attr_value<uint32_t>(MPTCP_SUBFLOW_ATTR_TOKEN_LOC, token),
      attr_value<uint32_t>(MPTCP_SUBFLOW_ATTR_RELWRITE_SEQ, 7),
      attr_value<uint64_t>(MPTCP_SUBFLOW_ATTR_MAP_SEQ, 0x1122334455667788ull),
      attr_value<uint32_t>(MPTCP_SUBFLOW_ATTR_FLAGS, flags),
      attr_value<uint8_t>(MPTCP_SUBFLOW_ATTR_ID_REM, id_rem),
      attr_value<uint8_t>(MPTCP_SUBFLOW_ATTR_ID_LOC, id_loc),
  });
  return attr(INET_DIAG_ULP_INFO, concat({attr_string(INET_ULP_INFO_NAME, ulp_name), attr(INET_ULP_INFO_MPTCP, mptcp)}));
}

Bytes subflow_reply(const inet_diag_msg &m, uint32_t token, uint32_t flags, uint8_t id_loc = 0, uint8_t id_rem = 0) {
  // Other attributes come first, as the kernel writes them.
  const Bytes tcp_info(104, 0xab);
  return reply(m, concat({attr(INET_DIAG_INFO, tcp_info), attr_value<uint8_t>(INET_DIAG_SHUTDOWN, 0),
                          ulp_info("mptcp", token, flags, id_loc, id_rem)}));
}

struct Request {
  nlmsghdr nlh;
  inet_diag_req_v2 req;
};

Request read_request(const Bytes &b) {
  Request r{};
  REQUIRE(b.size() >= sizeof r);
  std::memcpy(&r, b.data(), sizeof r);
  return r;
}
}  // namespace

TEST_CASE("dump requests ask for every TCP socket of one family", "[sock_diag]") {
  struct Case {
    const char *what;
    bool mptcp;
    int family;
  };
  const auto c = GENERATE(values<Case>({
      {"MPTCP IPv4", true, AF_INET},
      {"MPTCP IPv6", true, AF_INET6},
      {"TCP IPv4", false, AF_INET},
      {"TCP IPv6", false, AF_INET6},
  }));
  INFO(c.what);
  const uint32_t seq = 0x01020304;
  const Bytes b = c.mptcp ? mptcp_dump_request(c.family, seq) : tcp_dump_request(c.family, seq);
  const size_t expected_len = NLMSG_LENGTH(sizeof(inet_diag_req_v2)) + (c.mptcp ? NLA_HDRLEN + 4 : 0);
  REQUIRE(b.size() == expected_len);
  const auto r = read_request(b);
  CHECK(r.nlh.nlmsg_len == expected_len);
  CHECK(r.nlh.nlmsg_type == SOCK_DIAG_BY_FAMILY);
  CHECK((r.nlh.nlmsg_flags & NLM_F_REQUEST) == NLM_F_REQUEST);
  CHECK((r.nlh.nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP);
  CHECK(r.nlh.nlmsg_seq == seq);
  CHECK(r.nlh.nlmsg_pid == 0);
  CHECK(r.req.sdiag_family == c.family);
  // sdiag_protocol is a u8: MPTCP's 262 cannot go there.
  CHECK(r.req.sdiag_protocol == IPPROTO_TCP);
  CHECK(r.req.idiag_states == 0xffffffffu);
  CHECK((r.req.idiag_ext & (1 << (INET_DIAG_INFO - 1))) != 0);
  if (c.mptcp) {
    nlattr a{};
    const size_t at = NLMSG_LENGTH(sizeof(inet_diag_req_v2));
    std::memcpy(&a, b.data() + at, sizeof a);
    CHECK(a.nla_len == NLA_HDRLEN + 4);
    CHECK(a.nla_type == INET_DIAG_REQ_PROTOCOL);
    uint32_t protocol = 0;
    std::memcpy(&protocol, b.data() + at + NLA_HDRLEN, 4);
    CHECK(protocol == 262);
  }
}

TEST_CASE("parse_mptcp_reply reads MPTCP sockets until NLMSG_DONE", "[sock_diag]") {
  const Bytes buffer = concat({
      reply(diag_msg(AF_INET, kEstablished, "10.0.0.1", 40000, "10.0.0.2", 8684),
            mptcp_info_attr(0xdeadbeef, abi::kMptcpInfoFlagRemoteKeyReceived)),
      reply(diag_msg(AF_INET6, kEstablished, "2001:db8::1", 443, "2001:db8::2", 50000),
            mptcp_info_attr(0x00c0ffee, abi::kMptcpInfoFlagFallback)),
      reply(diag_msg(AF_INET6, kListen, "::", 443, "::", 0), mptcp_info_attr(0, 0)),
      done(),
  });
  std::vector<MptcpSocket> out;
  ParseState state;
  parse_mptcp_reply(buffer, out, state);
  CHECK(state.done);
  CHECK(state.error.empty());
  REQUIRE(out.size() == 3);
  CHECK(out[0].token == 0xdeadbeef);
  CHECK_FALSE(out[0].fallback);
  CHECK(out[0].state == kEstablished);
  CHECK(out[0].local.to_string() == "10.0.0.1:40000");
  CHECK(out[0].remote.to_string() == "10.0.0.2:8684");
  CHECK(out[0].remote_key_received);
  CHECK(out[1].token == 0x00c0ffee);
  CHECK(out[1].fallback);
  CHECK_FALSE(out[1].remote_key_received);
  CHECK(out[1].local.to_string() == "[2001:db8::1]:443");
  CHECK(out[1].remote.to_string() == "[2001:db8::2]:50000");
  CHECK(out[2].state == kListen);
  CHECK(out[2].token == 0);
  CHECK(out[2].local.port == 443);
}

TEST_CASE("parse_mptcp_reply accepts the mptcp_info prefix an older kernel writes", "[sock_diag]") {
  // 5.x kernels write 40 bytes; token and flags are within the first 16.
  const size_t bytes = GENERATE(size_t{16}, size_t{40}, size_t{44}, sizeof(abi::mptcp_info));
  INFO(bytes << " bytes of mptcp_info");
  const Bytes buffer = concat({
      reply(diag_msg(AF_INET, kEstablished, "10.0.0.1", 1, "10.0.0.2", 2),
            mptcp_info_attr(0x12345678, abi::kMptcpInfoFlagFallback, bytes)),
      done(),
  });
  std::vector<MptcpSocket> out;
  ParseState state;
  parse_mptcp_reply(buffer, out, state);
  REQUIRE(out.size() == 1);
  CHECK(out[0].token == 0x12345678);
  CHECK(out[0].fallback);
}

TEST_CASE("parse_mptcp_reply without mptcp_info or with too little of it leaves the token 0", "[sock_diag]") {
  const Bytes attrs = GENERATE(Bytes{}, mptcp_info_attr(0x12345678, 0, 8));
  const Bytes buffer = concat({reply(diag_msg(AF_INET, kEstablished, "10.0.0.1", 1, "10.0.0.2", 2), attrs), done()});
  std::vector<MptcpSocket> out;
  ParseState state;
  parse_mptcp_reply(buffer, out, state);
  REQUIRE(out.size() == 1);
  CHECK(out[0].token == 0);
  CHECK(state.done);
}

TEST_CASE("a dump spread over several recv() buffers", "[sock_diag]") {
  std::vector<MptcpSocket> out;
  ParseState state;
  parse_mptcp_reply(reply(diag_msg(AF_INET, kEstablished, "10.0.0.1", 1, "10.0.0.2", 2), mptcp_info_attr(1, 0)),
                    out, state);
  CHECK_FALSE(state.done);  // more to come
  CHECK(out.size() == 1);
  parse_mptcp_reply(concat({reply(diag_msg(AF_INET, kEstablished, "10.0.0.1", 3, "10.0.0.2", 4),
                                  mptcp_info_attr(2, 0)),
                            done()}),
                    out, state);
  CHECK(state.done);
  CHECK(state.error.empty());
  REQUIRE(out.size() == 2);
  CHECK(out[0].token == 1);
  CHECK(out[1].token == 2);
}

TEST_CASE("an NLMSG_ERROR ends the dump with the kernel's reason", "[sock_diag]") {
  std::vector<MptcpSocket> out;
  ParseState state;
  // IPPROTO_MPTCP in INET_DIAG_REQ_PROTOCOL on a kernel without it, say.
  parse_mptcp_reply(netlink_error(EINVAL), out, state);
  CHECK(state.done);
  CHECK_THAT(state.error, Catch::Contains(std::strerror(EINVAL)));
  CHECK(out.empty());

  std::vector<DiagSubflow> subflows;
  ParseState subflow_state;
  parse_subflow_reply(netlink_error(EPERM), subflows, subflow_state);
  CHECK(subflow_state.done);
  CHECK_THAT(subflow_state.error, Catch::Contains(std::strerror(EPERM)));
}

TEST_CASE("an NLMSG_ERROR with no errno in it ends the dump and says so", "[sock_diag]") {
  // The kernel sends -4095..0; found by the sock_diag fuzzer, where
  // negating INT_MIN was undefined.
  const int value = GENERATE(INT_MIN, -4096, 5);
  INFO("nlmsgerr.error " << value);
  std::vector<MptcpSocket> out;
  ParseState state;
  parse_mptcp_reply(netlink_error_value(value), out, state);
  CHECK(state.done);
  CHECK_THAT(state.error, Catch::Contains("no errno"));
  CHECK(out.empty());
}

TEST_CASE("a truncated message sets an error and reads nothing past the buffer", "[sock_diag]") {
  const Bytes whole = concat({reply(diag_msg(AF_INET, kEstablished, "10.0.0.1", 1, "10.0.0.2", 2),
                                    mptcp_info_attr(7, 0)),
                              done()});
  SECTION("cut in the middle of a message") {
    const size_t cut = GENERATE(size_t{sizeof(nlmsghdr)}, size_t{40}, size_t{NLMSG_HDRLEN + 72}, size_t{100});
    INFO("cut at " << cut);
    // A copy of exactly `cut` bytes, so a sanitizer sees any overread.
    const Bytes part(whole.begin(), whole.begin() + static_cast<long>(cut));
    std::vector<MptcpSocket> out;
    ParseState state;
    parse_mptcp_reply(part, out, state);
    CHECK(state.done);
    CHECK_FALSE(state.error.empty());
    CHECK(out.empty());
  }
  SECTION("a header claiming less than itself") {
    Bytes bad = whole;
    const uint32_t len = GENERATE(0u, 1u, 15u);
    std::memcpy(bad.data(), &len, sizeof len);
    std::vector<MptcpSocket> out;
    ParseState state;
    parse_mptcp_reply(bad, out, state);  // must not loop forever
    CHECK(state.done);
    CHECK_FALSE(state.error.empty());
  }
  SECTION("an attribute claiming more than the message holds") {
    Bytes attrs = mptcp_info_attr(7, 0);
    const uint16_t too_long = 2000;
    std::memcpy(attrs.data(), &too_long, sizeof too_long);
    std::vector<MptcpSocket> out;
    ParseState state;
    parse_mptcp_reply(concat({reply(diag_msg(AF_INET, kEstablished, "10.0.0.1", 1, "10.0.0.2", 2), attrs), done()}),
                      out, state);
    CHECK(state.done);
    REQUIRE(out.size() == 1);
    CHECK(out[0].token == 0);  // the bad attribute is ignored, not read
  }
}

TEST_CASE("parse_subflow_reply reads the MPTCP ULP info of each subflow", "[sock_diag]") {
  const Bytes buffer = concat({
      subflow_reply(diag_msg(AF_INET, kEstablished, "10.0.0.1", 40000, "10.0.0.2", 8684, 0x0123456789abcdefull),
                    0xdeadbeef, MPTCP_SUBFLOW_FLAG_MCAP_REM | MPTCP_SUBFLOW_FLAG_MCAP_LOC, 0, 0),
      subflow_reply(diag_msg(AF_INET6, kEstablished, "2001:db8:1::1", 40001, "2001:db8::2", 8684, 42),
                    0xdeadbeef,
                    MPTCP_SUBFLOW_FLAG_JOIN_LOC | MPTCP_SUBFLOW_FLAG_BKUP_LOC | MPTCP_SUBFLOW_FLAG_FULLY_ESTABLISHED,
                    1, 3),
      done(),
  });
  std::vector<DiagSubflow> out;
  ParseState state;
  parse_subflow_reply(buffer, out, state);
  CHECK(state.done);
  CHECK(state.error.empty());
  REQUIRE(out.size() == 2);
  CHECK(out[0].token == 0xdeadbeef);
  CHECK(out[0].cookie == 0x0123456789abcdefull);  // idiag_cookie[0] is the low half
  CHECK(out[0].kind == SubflowKind::initial);
  CHECK_FALSE(out[0].backup);
  CHECK(out[0].local_id == 0);
  CHECK(out[0].remote_id == 0);
  CHECK(out[0].local.to_string() == "10.0.0.1:40000");
  CHECK(out[0].remote.to_string() == "10.0.0.2:8684");
  CHECK(out[1].token == 0xdeadbeef);
  CHECK(out[1].cookie == 42);
  CHECK(out[1].kind == SubflowKind::join);
  CHECK(out[1].backup);
  CHECK(out[1].local_id == 1);
  CHECK(out[1].remote_id == 3);
  CHECK(out[1].local.to_string() == "[2001:db8:1::1]:40001");
  CHECK(out[1].remote.to_string() == "[2001:db8::2]:8684");
}

TEST_CASE("parse_subflow_reply decides kind and backup from the subflow flags", "[sock_diag]") {
  struct Case {
    const char *what;
    uint32_t flags;
    SubflowKind kind;
    bool backup;
  };
  const auto c = GENERATE(values<Case>({
      {"MP_CAPABLE both ways", MPTCP_SUBFLOW_FLAG_MCAP_REM | MPTCP_SUBFLOW_FLAG_MCAP_LOC, SubflowKind::initial, false},
      {"no flags", 0, SubflowKind::initial, false},
      {"we sent MP_JOIN, the peer accepted it", MPTCP_SUBFLOW_FLAG_JOIN_LOC | MPTCP_SUBFLOW_FLAG_FULLY_ESTABLISHED,
       SubflowKind::join, false},
      {"the peer sent MP_JOIN", MPTCP_SUBFLOW_FLAG_JOIN_REM, SubflowKind::join, false},
      {"joined as backup by the peer", MPTCP_SUBFLOW_FLAG_JOIN_REM | MPTCP_SUBFLOW_FLAG_BKUP_REM, SubflowKind::join,
       true},
      {"initial, we asked for backup", MPTCP_SUBFLOW_FLAG_MCAP_LOC | MPTCP_SUBFLOW_FLAG_BKUP_LOC,
       SubflowKind::initial, true},
      {"fully established and connected", MPTCP_SUBFLOW_FLAG_MCAP_LOC | MPTCP_SUBFLOW_FLAG_FULLY_ESTABLISHED |
                                              MPTCP_SUBFLOW_FLAG_CONNECTED | MPTCP_SUBFLOW_FLAG_MAPVALID,
       SubflowKind::initial, false},
  }));
  INFO(c.what);
  std::vector<DiagSubflow> out;
  ParseState state;
  parse_subflow_reply(concat({subflow_reply(diag_msg(AF_INET, kEstablished, "10.0.0.1", 1, "10.0.0.2", 2, 9), 77,
                                            c.flags),
                              done()}),
                      out, state);
  REQUIRE(out.size() == 1);
  CHECK(out[0].kind == c.kind);
  CHECK(out[0].backup == c.backup);
}

TEST_CASE("parse_subflow_reply accepts nested attributes marked NLA_F_NESTED", "[sock_diag]") {
  // Newer kernels may set NLA_F_NESTED on nests; the type is what is left.
  const Bytes mptcp = concat({attr_value<uint32_t>(MPTCP_SUBFLOW_ATTR_TOKEN_LOC, 0xabc),
                              attr_value<uint32_t>(MPTCP_SUBFLOW_ATTR_FLAGS, MPTCP_SUBFLOW_FLAG_JOIN_REM)});
  const Bytes ulp = attr(INET_DIAG_ULP_INFO | NLA_F_NESTED,
                         concat({attr_string(INET_ULP_INFO_NAME, "mptcp"), attr(INET_ULP_INFO_MPTCP | NLA_F_NESTED, mptcp)}));
  std::vector<DiagSubflow> out;
  ParseState state;
  parse_subflow_reply(concat({reply(diag_msg(AF_INET, kEstablished, "10.0.0.1", 1, "10.0.0.2", 2, 5), ulp), done()}),
                      out, state);
  REQUIRE(out.size() == 1);
  CHECK(out[0].token == 0xabc);
  CHECK(out[0].kind == SubflowKind::join);
}

TEST_CASE("parse_subflow_reply skips what is not an MPTCP subflow", "[sock_diag]") {
  const auto msg = diag_msg(AF_INET, kEstablished, "10.0.0.1", 1, "10.0.0.2", 2, 5);
  struct Case {
    const char *what;
    Bytes message;
  };
  const auto c = GENERATE_COPY(values<Case>({
      {"plain TCP: no ULP info", reply(msg, attr(INET_DIAG_INFO, Bytes(104, 0)))},
      {"kTLS: another ULP", reply(msg, ulp_info("tls", 0xabc, 0, 0, 0))},
      {"a ULP name that only starts with mptcp", reply(msg, ulp_info("mptcpx", 0xabc, 0, 0, 0))},
      {"an MPTCP listener's subflow", subflow_reply(diag_msg(AF_INET, kListen, "0.0.0.0", 8684, "0.0.0.0", 0, 5),
                                                    0xabc, 0)},
      {"no token yet", subflow_reply(msg, 0, MPTCP_SUBFLOW_FLAG_MCAP_LOC)},
      {"our join, its SYN-ACK checked out, the peer has not accepted it yet",
       subflow_reply(msg, 0xabc, MPTCP_SUBFLOW_FLAG_JOIN_LOC | MPTCP_SUBFLOW_FLAG_JOIN_REM | MPTCP_SUBFLOW_FLAG_CONNECTED)},
      {"our join, still in SYN_SENT", subflow_reply(diag_msg(AF_INET, kSynSent, "10.0.0.1", 1, "10.0.0.2", 2, 5), 0xabc,
                                                    MPTCP_SUBFLOW_FLAG_JOIN_LOC)},
  }));
  INFO(c.what);
  std::vector<DiagSubflow> out;
  ParseState state;
  parse_subflow_reply(concat({c.message, done()}), out, state);
  CHECK(state.done);
  CHECK(state.error.empty());
  CHECK(out.empty());
}

TEST_CASE("assemble groups subflows under their connections and finds inbound ones", "[sock_diag]") {
  const auto ep = [](const char *ip, uint16_t port) {
    SocketAddress a;
    auto *in = reinterpret_cast<sockaddr_in *>(&a.storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    REQUIRE(inet_pton(AF_INET, ip, &in->sin_addr) == 1);
    return Endpoint::from(a);
  };
  std::vector<MptcpSocket> sockets(4);
  sockets[0].state = kListen;  // an MPTCP listener on 8684
  sockets[0].local = ep("0.0.0.0", 8684);
  sockets[1].state = kEstablished;  // accepted by it
  sockets[1].token = 0xa;
  sockets[1].local = ep("10.0.0.1", 8684);
  sockets[1].remote = ep("10.0.0.2", 50000);
  sockets[2].state = kEstablished;  // we connected out
  sockets[2].token = 0xb;
  sockets[2].local = ep("10.0.0.1", 40000);
  sockets[2].remote = ep("10.0.0.3", 8684);  // the remote port does not matter
  sockets[2].fallback = true;  // before the handshake completed: no remote key
  sockets[3].state = 2;  // SYN_SENT, no token yet: nothing to group under
  sockets[3].local = ep("10.0.0.1", 40001);

  const auto sf = [](uint32_t token, uint64_t cookie) {
    DiagSubflow d;
    d.token = token;
    d.cookie = cookie;
    return d;
  };
  const std::vector<DiagSubflow> subflows = {sf(0xa, 1), sf(0xb, 2), sf(0xa, 3), sf(0xc, 4)};

  const auto connections = assemble(sockets, subflows);
  REQUIRE(connections.size() == 2);
  const auto &a = connections[0];
  CHECK(a.token == 0xa);
  CHECK(a.direction == Direction::inbound);
  CHECK_FALSE(a.fallback);
  CHECK(a.local.to_string() == "10.0.0.1:8684");
  CHECK(a.remote.to_string() == "10.0.0.2:50000");
  REQUIRE(a.subflows.size() == 2);
  CHECK(a.subflows[0].cookie == 1);
  CHECK(a.subflows[1].cookie == 3);
  const auto &b = connections[1];
  CHECK(b.token == 0xb);
  CHECK(b.direction == Direction::outbound);
  CHECK(b.fallback);
  CHECK(b.fallback_in_handshake);
  CHECK_FALSE(a.fallback_in_handshake);
  REQUIRE(b.subflows.size() == 1);
  CHECK(b.subflows[0].cookie == 2);
  // The subflow of token 0xc has no connection in this snapshot: dropped.
}

TEST_CASE("assemble tells a fallback in the handshake from one after it by the remote key", "[sock_diag]") {
  MptcpSocket s;
  s.state = kEstablished;
  s.token = 1;
  s.fallback = true;
  s.remote_key_received = true;  // MP_CAPABLE completed, then MPTCP was lost
  const auto after = assemble({s}, {});
  REQUIRE(after.size() == 1);
  CHECK(after[0].fallback);
  CHECK_FALSE(after[0].fallback_in_handshake);
  s.fallback = false;  // no fallback: nothing in any handshake
  CHECK_FALSE(assemble({s}, {})[0].fallback_in_handshake);
}

TEST_CASE("assemble without a listener calls every connection outbound", "[sock_diag]") {
  MptcpSocket s;
  s.state = kEstablished;
  s.token = 1;
  s.local.family = AF_INET;
  s.local.port = 8684;
  const auto connections = assemble({s}, {});
  REQUIRE(connections.size() == 1);
  CHECK(connections[0].direction == Direction::outbound);
  CHECK(connections[0].subflows.empty());
}
