// The path manager's configuration as bytes: the two questions we ask
// (GET_LIMITS, a GET_ADDR dump) and replies built by hand the way
// net/mptcp/pm_netlink.c lays them out (u32 limits; one message per
// endpoint, its address nested with u32 flags), then what a truncated or
// hostile reply must not do.
#include "sources/pm_netlink/pm_config_messages.h"

#include <linux/genetlink.h>
#include <linux/mptcp.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstring>

#include "netlink_fixtures.h"

using namespace observer::pm;
using namespace observer::test;

// Our numbers are the kernel's, wherever Debian 12's <linux/mptcp.h> has them.
static_assert(config::kVersion == MPTCP_PM_VER);
static_assert(config::kCmdGetAddr == MPTCP_PM_CMD_GET_ADDR && config::kCmdGetLimits == MPTCP_PM_CMD_GET_LIMITS);
static_assert(config::kAttrAddr == MPTCP_PM_ATTR_ADDR && config::kAttrRcvAddAddrs == MPTCP_PM_ATTR_RCV_ADD_ADDRS);
static_assert(config::kAttrSubflows == MPTCP_PM_ATTR_SUBFLOWS && config::kAddrAttrFlags == MPTCP_PM_ADDR_ATTR_FLAGS);
static_assert(config::kFlagSignal == MPTCP_PM_ADDR_FLAG_SIGNAL && config::kFlagSubflow == MPTCP_PM_ADDR_FLAG_SUBFLOW);
static_assert(config::kFlagBackup == MPTCP_PM_ADDR_FLAG_BACKUP && config::kFlagFullmesh == MPTCP_PM_ADDR_FLAG_FULLMESH);
static_assert(config::kFlagImplicit == MPTCP_PM_ADDR_FLAG_IMPLICIT);

namespace {
constexpr uint16_t kFamilyId = 0x1d;

Bytes u32(uint16_t type, uint32_t v) { return attr_value(type, v); }
Bytes nested(uint16_t type, const Bytes &inner) { return attr(type | NLA_F_NESTED, inner.data(), inner.size()); }

Bytes limits(uint32_t subflows, uint32_t accepted) {
  return genl(kFamilyId, config::kCmdGetLimits,
              concat({u32(config::kAttrRcvAddAddrs, accepted), u32(config::kAttrSubflows, subflows)}));
}

// One endpoint as the dump gives it: family, id, address, flags (and an
// interface when it has one), nested in MPTCP_PM_ATTR_ADDR.
Bytes endpoint(uint8_t id, uint32_t flags) {
  const uint8_t addr4[4] = {10, 0, 3, id};
  const Bytes inner = concat({attr_value<uint16_t>(MPTCP_PM_ADDR_ATTR_FAMILY, AF_INET),
                              attr_value<uint8_t>(MPTCP_PM_ADDR_ATTR_ID, id),
                              attr(MPTCP_PM_ADDR_ATTR_ADDR4, addr4, sizeof addr4), u32(config::kAddrAttrFlags, flags),
                              attr_value<int32_t>(MPTCP_PM_ADDR_ATTR_IF_IDX, 2)});
  return genl(kFamilyId, config::kCmdGetAddr, nested(config::kAttrAddr, inner), NLM_F_MULTI);
}

template <typename T>
T at(const std::vector<uint8_t> &bytes, size_t offset) {
  T v;
  std::memcpy(&v, bytes.data() + offset, sizeof v);
  return v;
}
}  // namespace

TEST_CASE("the requests are what `ip mptcp limits show` and `ip mptcp endpoint show` send", "[pm_config]") {
  const auto limits_request = get_limits_request(kFamilyId, 7);
  REQUIRE(limits_request.size() == NLMSG_HDRLEN + GENL_HDRLEN);
  const auto h = at<nlmsghdr>(limits_request, 0);
  CHECK(h.nlmsg_len == limits_request.size());
  CHECK(h.nlmsg_type == kFamilyId);
  CHECK(h.nlmsg_flags == NLM_F_REQUEST);
  CHECK(h.nlmsg_seq == 7);
  const auto g = at<genlmsghdr>(limits_request, NLMSG_HDRLEN);
  CHECK(g.cmd == MPTCP_PM_CMD_GET_LIMITS);
  CHECK(g.version == MPTCP_PM_VER);

  const auto dump = get_endpoints_request(kFamilyId, 8);
  CHECK(at<nlmsghdr>(dump, 0).nlmsg_flags == (NLM_F_REQUEST | NLM_F_DUMP));
  CHECK(at<genlmsghdr>(dump, NLMSG_HDRLEN).cmd == MPTCP_PM_CMD_GET_ADDR);
}

TEST_CASE("parse_limits_reply reads both limits, or says why not", "[pm_config]") {
  SECTION("the kernel's answer") {
    const auto r = parse_limits_reply(limits(0, 2), kFamilyId);
    REQUIRE(r.limits);
    CHECK(r.limits->subflows == 0);
    CHECK(r.limits->add_addr_accepted == 2);
  }
  SECTION("an attribute a newer kernel adds is skipped") {
    const auto r = parse_limits_reply(
        genl(kFamilyId, config::kCmdGetLimits,
             concat({u32(config::kAttrSubflows, 8), u32(99, 1), u32(config::kAttrRcvAddAddrs, 4)})),
        kFamilyId);
    REQUIRE(r.limits);
    CHECK(r.limits->subflows == 8);
    CHECK(r.limits->add_addr_accepted == 4);
  }
  SECTION("the kernel says no") {
    const auto r = parse_limits_reply(netlink_error(EPERM), kFamilyId);
    CHECK_FALSE(r.limits);
    CHECK(r.kernel_errno == EPERM);
  }
  SECTION("a limit missing, sized wrong, or cut short") {
    const Bytes whole = limits(2, 2);
    for (const auto &bad : {genl(kFamilyId, config::kCmdGetLimits, u32(config::kAttrSubflows, 2)),
                            genl(kFamilyId, config::kCmdGetLimits,
                                 concat({attr_value<uint8_t>(config::kAttrSubflows, 2),
                                         u32(config::kAttrRcvAddAddrs, 1)})),
                            Bytes(whole.begin(), whole.end() - 6)}) {
      const auto r = parse_limits_reply(bad, kFamilyId);
      CHECK_FALSE(r.limits);
      CHECK(r.kernel_errno == 0);
      CHECK_FALSE(r.error.empty());
    }
  }
  SECTION("another family's message is not ours") {
    const auto r = parse_limits_reply(genl(kFamilyId + 1, 6, concat({u32(2, 1), u32(3, 1)})), kFamilyId);
    CHECK_FALSE(r.limits);
  }
}

TEST_CASE("add_endpoints counts the endpoints of a dump by flag, over several datagrams", "[pm_config]") {
  using namespace config;
  std::vector<Endpoint> list;
  // First datagram: a server's `signal` endpoint and a client-style `subflow backup` one.
  auto step = add_endpoints(concat({endpoint(1, kFlagSignal), endpoint(2, kFlagSubflow | kFlagBackup)}), kFamilyId,
                            list);
  CHECK_FALSE(step.done);
  CHECK_FALSE(step.malformed);
  // Second: a fullmesh one, one the kernel made, one with no flag at all, then the end.
  step = add_endpoints(concat({endpoint(3, kFlagSubflow | kFlagFullmesh), endpoint(4, kFlagImplicit | kFlagLaminar),
                               endpoint(5, 0), netlink_done()}),
                       kFamilyId, list);
  CHECK(step.done);
  CHECK(step.kernel_errno == 0);
  CHECK_FALSE(step.malformed);
  const EndpointCounts counts = count_by_flag(list);
  REQUIRE(list.size() == 5);
  CHECK(list[1].id == 2);
  CHECK(list[1].flags == (kFlagSubflow | kFlagBackup));
  CHECK(observer::format_endpoint(list[1].address) == "10.0.3.2:0");
  CHECK(list[1].ifindex == 2);
  CHECK(counts.all == 5);
  CHECK(counts.signal == 1);
  CHECK(counts.subflow == 2);
  CHECK(counts.backup == 1);
  CHECK(counts.fullmesh == 1);
  CHECK(counts.implicit == 1);
  CHECK(counts.laminar == 1);
}

TEST_CASE("add_endpoints: an empty dump, errors, and replies that do not hold together", "[pm_config]") {
  std::vector<Endpoint> counts;
  SECTION("no endpoint at all") {
    const auto step = add_endpoints(netlink_done(), kFamilyId, counts);
    CHECK(step.done);
    CHECK(counts.empty());
  }
  SECTION("the kernel refuses, or ends the dump with an error") {
    CHECK(add_endpoints(netlink_error(EOPNOTSUPP), kFamilyId, counts).kernel_errno == EOPNOTSUPP);
    CHECK(add_endpoints(netlink_done(EINTR), kFamilyId, counts).kernel_errno == EINTR);
  }
  SECTION("an endpoint message without its address, or flags of the wrong size") {
    CHECK(add_endpoints(genl(kFamilyId, config::kCmdGetAddr, Bytes{}), kFamilyId, counts).malformed);
    const Bytes short_flags = nested(config::kAttrAddr, attr_value<uint8_t>(config::kAddrAttrFlags, 1));
    CHECK(add_endpoints(genl(kFamilyId, config::kCmdGetAddr, short_flags), kFamilyId, counts).malformed);
    CHECK(counts.empty());
  }
  SECTION("a datagram cut inside a message") {
    const Bytes whole = concat({endpoint(1, config::kFlagSignal), netlink_done()});
    const auto step = add_endpoints(Bytes(whole.begin(), whole.begin() + 30), kFamilyId, counts);
    CHECK(step.malformed);
    CHECK_FALSE(step.done);
  }
}
