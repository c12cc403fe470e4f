// `diagnose`'s rules: facts in, the check that names the problem out.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>

#include "commands/diagnose/host_checks.h"
#include "commands/diagnose/route_lookup.h"

using namespace observer;
using namespace observer::diagnose;
using Status = Check::Status;

namespace {
pm::Endpoint endpoint(const char *ip, uint32_t flags, int ifindex) {
  std::string error;
  pm::Endpoint e;
  e.address = *parse_socket_address(std::string(ip) + ":0", error);
  e.flags = flags;
  e.ifindex = ifindex;
  e.id = 1;
  return e;
}

// A healthy client: MPTCP on, one subflow endpoint on c2, routed by c2.
HostFacts healthy_client() {
  HostFacts f;
  f.enabled = true;
  f.path_manager = "kernel";
  f.limits = pm::PmLimits{2, 2};
  EndpointFacts e;
  e.endpoint = endpoint("10.0.2.2", pm::config::kFlagSubflow, 3);
  e.dev = "c2";
  e.leaves_by = "c2";
  f.endpoints = std::vector<EndpointFacts>{e};
  f.firewall_rules = std::vector<std::string>{};
  return f;
}

std::optional<Status> status_of(const std::vector<Check> &checks, const std::string &code) {
  const auto it = std::find_if(checks.begin(), checks.end(), [&](const Check &c) { return c.code == code; });
  return it == checks.end() ? std::nullopt : std::optional<Status>(it->status);
}

bool nothing_to_fix(const std::vector<Check> &checks) {
  return std::none_of(checks.begin(), checks.end(),
                      [](const Check &c) { return c.status == Status::warning || c.status == Status::problem; });
}
}  // namespace

TEST_CASE("a healthy client has nothing to fix", "[diagnose]") {
  const auto checks = check_host(healthy_client());
  CHECK(nothing_to_fix(checks));
  CHECK(status_of(checks, "endpoint_routed") == Status::ok);
}

TEST_CASE("each misconfiguration is named", "[diagnose]") {
  auto f = healthy_client();
  std::string code;
  Status expected = Status::problem;
  SECTION("no MPTCP in the kernel") {
    f.has_mptcp = false;
    code = "mptcp_unavailable";
  }
  SECTION("MPTCP off") {
    f.enabled = false;
    code = "mptcp_disabled";
  }
  SECTION("userspace path manager, no daemon") {
    f.path_manager = "userspace";
    code = "userspace_pm_without_daemon";
  }
  SECTION("endpoints, limit 0") {
    f.limits->subflows = 0;
    code = "subflow_limit_zero";
  }
  SECTION("more endpoints than the limit") {
    f.limits->subflows = 1;
    auto second = f.endpoints->front();
    second.endpoint = endpoint("10.0.4.2", pm::config::kFlagSubflow, 4);
    second.dev = "c4";
    second.leaves_by = "c4";
    f.endpoints->push_back(second);
    code = "subflow_limit_below_endpoints";
    expected = Status::warning;
  }
  SECTION("a server that announces and accepts no join") {
    f.limits->subflows = 0;
    f.endpoints->front().endpoint.flags = pm::config::kFlagSignal;
    code = "signal_without_join_limit";
  }
  SECTION("no endpoints") {
    f.endpoints->clear();
    code = "no_endpoints";
    expected = Status::warning;
  }
  SECTION("routed by the wrong interface") {
    f.endpoints->front().leaves_by = "c1";
    code = "endpoint_wrong_route";
  }
  SECTION("no route") {
    f.endpoints->front().leaves_by.reset();
    f.endpoints->front().route_errno = 101;
    code = "endpoint_no_route";
  }
  SECTION("no dev") {
    f.endpoints->front().dev.clear();
    code = "endpoint_without_dev";
    expected = Status::warning;
  }
  SECTION("the address is gone") {
    f.endpoints->front().address_present = false;
    code = "endpoint_address_missing";
  }
  SECTION("tentative") {
    f.endpoints->front().tentative = true;
    code = "endpoint_address_tentative";
  }
  SECTION("strict rp_filter") {
    f.strict_rp_filter["s1"] = 1;
    code = "strict_rp_filter";
    expected = Status::warning;
  }
  SECTION("a firewall rule on option 30") {
    f.firewall_rules->push_back("-A FORWARD -p tcp -m tcp --tcp-option 30 -j DROP");
    code = "firewall_touches_mptcp";
  }
  SECTION("dropped SYNs in the counters") {
    f.mib["MPCapableSYNTXDrop"] = 3;
    code = "syn_with_mptcp_dropped";
  }
  SECTION("unanswered joins") {
    f.mib["MPJoinSynTx"] = 5;
    f.mib["MPJoinSynAckRx"] = 2;
    code = "joins_unanswered";
    expected = Status::warning;
  }
  INFO(code);
  CHECK(status_of(check_host(f), code) == expected);
}

TEST_CASE("a route reply names the interface, or the kernel's errno", "[diagnose]") {
  // The request carries the destination and the source.
  std::string error;
  const auto dst = *parse_socket_address("192.0.2.1:0", error), src = *parse_socket_address("10.0.2.2:0", error);
  const auto request = route_request(dst, src, 7);
  CHECK(request.size() == 16 + 12 + 8 + 8);
  // A reply: nlmsghdr, rtmsg, RTA_OIF = 3.
  std::vector<uint8_t> reply(16 + 12 + 8, 0);
  const uint32_t len = static_cast<uint32_t>(reply.size());
  std::memcpy(reply.data(), &len, 4);
  const uint16_t type = 24;  // RTM_NEWROUTE
  std::memcpy(reply.data() + 4, &type, 2);
  const uint16_t rta_len = 8, rta_type = 4;  // RTA_OIF
  std::memcpy(reply.data() + 28, &rta_len, 2);
  std::memcpy(reply.data() + 30, &rta_type, 2);
  const uint32_t oif = 3;
  std::memcpy(reply.data() + 32, &oif, 4);
  CHECK(parse_route_reply(reply).oif == 3);
  CHECK(parse_route_reply(std::span(reply.data(), 20)).malformed);
}

TEST_CASE("a daemon's failed joins are reported with their reasons", "[diagnose]") {
  auto f = healthy_client();
  CHECK(status_of(check_host(f), "no_daemon") == Status::info);
  f.daemon = HostFacts::DaemonView{"http://127.0.0.1:8685", {{"outbound timeout", 0}}};
  CHECK(status_of(check_host(f), "daemon_no_join_failures") == Status::ok);
  f.daemon->join_failures["outbound rejected_by_peer"] = 2;
  const auto checks = check_host(f);
  CHECK(status_of(checks, "daemon_join_failures") == Status::warning);
}
