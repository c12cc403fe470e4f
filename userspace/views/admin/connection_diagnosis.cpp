#include "views/admin/connection_diagnosis.h"

#include <algorithm>
#include <array>
#include <chrono>

namespace observer::admin {
namespace {
using checker::Confidence;
using checker::count_text;
using checker::Finding;
using checker::number_text;
using checker::seconds_text;
using namespace std::chrono_literals;

// The checker's threshold: clients join after the first data, so a
// younger connection without a join is no news.
constexpr auto kYoungerThanAJoin = 1s;

// This host accepted the connection: it is the server, the client is the peer.
constexpr checker::Voice kInbound{"this connection", "this host", "this host",   "the client",
                                  "the client",      "the client's", false};
// This host opened it: the client is this host.
constexpr checker::Voice kOutbound{"this connection", "this host", "the server", "this host",
                                   "this host",       "this host's", false};

// ---- joins this host opened that failed, as BPF saw each one ---------------

// Strongest sign first: a refusal says the most about the peer. The
// message is `before` N `after`.
struct JoinFailure {
  Reason reason;
  const char *code;
  const char *before, *after;
  const char *advice;
};
constexpr std::array<JoinFailure, 6> kJoinFailures = {{
    {Reason::rejected_by_peer, "join_rejected_by_peer", "The peer refused ",
     " join(s) of this connection after its SYN-ACK (it reset each at this host's third ACK instead of accepting "
     "it): its `subflows` limit is 0 or used up, likely.",
     "On the peer: `ip mptcp limits show`; `ip mptcp limits set subflows 2` there lets it accept joins."},
    {Reason::rejected, "join_rejected", "This host reset ",
     " join(s) of this connection whose SYN-ACK had no valid MP_JOIN (the option missing, or its authentication "
     "failed): something on that path strips or rewrites MPTCP options.",
     "Find the box on the join's path that rewrites TCP options (a firewall normalising options, a transparent "
     "proxy); `ip route get PEER from SOURCE` shows the path."},
    {Reason::timeout, "join_timeout", "No answer came to ",
     " join(s) of this connection: a route or a firewall on that path drops their SYNs, or the peer's address is "
     "unreachable from that source.",
     "Check the way a join takes: `ip route get PEER from SOURCE`; give the endpoint a `dev` and a source route "
     "(`ip rule add from SOURCE table N`); a firewall on the way must pass SYNs carrying MPTCP options."},
    {Reason::refused, "join_refused", "A plain reset answered ",
     " join(s) of this connection: nothing listens on the address and port they went to, or a firewall rejects "
     "them.",
     "On the peer: listen on the wildcard address, or announce only addresses it listens on; or find the "
     "firewall that rejects them."},
    {Reason::unreachable, "join_unreachable", "A network error ended ",
     " join(s) of this connection before any answer (an ICMP unreachable, or no route from that source).",
     "`ip route get PEER from SOURCE`; give the endpoint a `dev` and a source route."},
    {Reason::reset, "join_reset", "Resets ended ",
     " join(s) of this connection before the peer accepted them: the connection closed first, or the peer or a "
     "box on the way reset them.",
     "Nothing to change if the connection was closing; otherwise `nstat MPTcpExtMPRstRx` on this host counts the "
     "peer's MP_RST."},
}};

// Adds a finding per reason; false when no join failed.
bool join_failures(const ConnectionRecord &c, std::vector<Finding> &out) {
  const size_t before = out.size();
  for (const auto &f : kJoinFailures) {
    const uint64_t n = c.join_failures_by_reason[static_cast<size_t>(f.reason)];
    if (n == 0) continue;
    out.push_back({f.code, Confidence::certain, f.before + number_text(n) + f.after, f.advice});
  }
  return out.size() > before;
}

// ---- fallback ---------------------------------------------------------------

void fallback(const ConnectionRecord &c, const checker::Voice &v, std::vector<Finding> &out) {
  if (c.direction == Direction::outbound && c.fallback_in_handshake) {
    // As the client, this host knows it asked: the answer lacked MP_CAPABLE.
    out.push_back({"fallback_no_mptcp", Confidence::certain,
                   "This host asked for MPTCP and the server's SYN-ACK came back without it, so the connection is "
                   "plain TCP: the server does not listen with MPTCP, or something on the path removed the option "
                   "(or dropped SYNs carrying it, and the kernel retried without).",
                   "If the server should speak MPTCP (`ss -Ml` there lists its listener), find the box on the path "
                   "that strips TCP option 30; `nstat MPTcpExtMPCapableSYNTXDrop` on this host counts SYNs with "
                   "the option that got no answer."});
    return;
  }
  checker::fallback_findings(c.fallback_in_handshake, nullptr, v, out);
}

// ---- subflows --------------------------------------------------------------

// The client's end of a subflow names it, as the checker does.
std::string client_end(const ConnectionRecord &c, const SubflowRecord &s) {
  return (c.direction == Direction::outbound ? s.local : s.remote).to_string();
}

void healthy(const ConnectionRecord &c, const checker::Voice &v, std::vector<Finding> &out) {
  checker::SubflowTally tally;
  tally.subflows = c.subflows.size();
  for (const auto &s : c.subflows) {
    if (s.kind == SubflowKind::join) ++tally.joins;
    // A source that saw the subflow's flags stamped when; getsockopt does not.
    if (!s.backup_seen_ns) tally.backup_unknown = true;
    else if (s.backup) tally.backups.push_back(client_end(c, s));
  }
  checker::healthy_findings(tally, v, out);
}

void subflows_closed(const ConnectionRecord &c, std::vector<Finding> &out) {
  const uint32_t open = static_cast<uint32_t>(c.subflows.size());
  out.push_back({"subflows_closed", Confidence::certain,
                 count_text(c.subflows_ever - open, "subflow", "subflows") + " of this connection closed: it has had " +
                     number_text(c.subflows_ever) + ", " + number_text(open) + " open now.",
                 "Nothing to change if a path went away on purpose; `ip mptcp monitor` on either end shows "
                 "subflows closing, and why."});
}

// The in-kernel path manager's subflow limit, used up by the joins open now.
void limit_reached(const ConnectionRecord &c, const LocalSetup *local, std::vector<Finding> &out) {
  if (!local || local->path_manager == checker::PathManagerKind::userspace || !local->subflows_limit) return;
  const uint32_t limit = *local->subflows_limit;
  const auto joins = static_cast<uint32_t>(std::count_if(
      c.subflows.begin(), c.subflows.end(), [](const SubflowRecord &s) { return s.kind == SubflowKind::join; }));
  if (limit == 0 || joins < limit) return;
  const bool outbound = c.direction == Direction::outbound;
  out.push_back({"join_limit_reached", Confidence::certain,
                 "This host's limit of " + count_text(limit, "additional subflow", "additional subflows") +
                     " is reached on this connection: it " + (outbound ? "opens" : "accepts") + " no further join.",
                 "If there are more paths to use: `ip mptcp limits set subflows N` on this host."});
}

std::optional<std::chrono::milliseconds> age(const ConnectionRecord &c, uint64_t now_ns) {
  if (!c.established_ns) return std::nullopt;  // first seen by a snapshot
  const uint64_t ns = now_ns > c.established_ns ? now_ns - c.established_ns : 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::nanoseconds(ns));
}

// This host accepted it, and no join came: the checker's rules, with this
// host's setup standing in for MPTCP_INFO's.
void inbound_single(const ConnectionRecord &c, uint64_t now_ns, const LocalSetup *local, std::vector<Finding> &out) {
  checker::AcceptingSide side;
  side.waited = age(c, now_ns);
  std::optional<checker::MibWindow> mib;
  if (local) {
    side.path_manager = local->path_manager;
    side.subflows_max = local->subflows_limit;
    side.add_addr_signal_max = local->signal_endpoints;
    if (local->counters_since && c.established_ns) mib = local->counters_since(c.established_ns);
    if (mib) side.mib = &*mib;
  }
  checker::single_subflow_findings(side, kInbound, out);
}

// This host opened it, and no join came, none failed.
void outbound_single(const ConnectionRecord &c, uint64_t now_ns, const LocalSetup *local, std::vector<Finding> &out) {
  if (local && local->path_manager == checker::PathManagerKind::userspace) {
    out.push_back({"userspace_path_manager", Confidence::certain,
                   "This host uses the userspace path manager: a daemon (such as mptcpd), not a kernel limit, "
                   "decides which joins it opens.",
                   "Check that its path-manager daemon runs, or go back to the in-kernel one with `sysctl -w "
                   "net.mptcp.path_manager=kernel`."});
    return;
  }
  if (local && local->subflows_limit == 0u) {
    out.push_back({"client_subflow_limit_zero", Confidence::certain,
                   "This host opens no join: its `subflows` limit is 0 (`ip mptcp limits`).",
                   "`ip mptcp limits set subflows 2` (one per other path)."});
    return;
  }
  if (local && local->subflow_endpoints == 0u && local->add_addr_accepted_limit == 0u) {
    out.push_back({"no_join_path", Confidence::certain,
                   "This host opens no join: it has no `subflow` endpoint, and it ignores the addresses a server "
                   "announces (`add_addr_accepted` is 0).",
                   "`ip mptcp endpoint add ADDRESS dev INTERFACE subflow` for each other interface; or `ip mptcp "
                   "limits set subflows 2 add_addr_accepted 2` to join the addresses a server announces."});
    return;
  }
  const auto waited = age(c, now_ns);
  if (waited && *waited < kYoungerThanAJoin) {
    out.push_back({"no_join_yet", Confidence::possible,
                   "This host has not opened a join yet: it does so once the connection carries data.",
                   "Look again in a few seconds."});
    return;
  }
  std::string message = waited
                            ? "This host opened no join in the " + seconds_text(*waited) + " since the connection began"
                            : "This host has opened no join on this connection";
  // Joins that fail are known from tracing only.
  message += (c.sources & kFromBpf) ? "." : " (tracing did not see it, so joins that failed are not known).";
  out.push_back({"no_join_attempt", Confidence::possible, std::move(message),
                 "`ip mptcp endpoint show` should list an address of another interface as `subflow`, with its "
                 "`dev`, and `ip mptcp limits show` allow subflows above 0; or the server announces an address "
                 "(a `signal` endpoint) and this host's `add_addr_accepted` is above 0."});
}
}  // namespace

std::vector<Finding> diagnose_connection(const ConnectionRecord &c, uint64_t now_ns, const LocalSetup *setup) {
  std::vector<Finding> out;
  const bool outbound = c.direction == Direction::outbound;
  const checker::Voice &voice = outbound ? kOutbound : kInbound;
  // Only the daemon's own namespace has its setup and counters read.
  const LocalSetup *local = setup && setup->netns == c.key.netns ? setup : nullptr;
  if (c.fallback) {
    fallback(c, voice, out);
    return out;
  }
  const bool failed = join_failures(c, out);
  const size_t open = c.subflows.size();
  if (open >= 2) {
    healthy(c, voice, out);
    limit_reached(c, local, out);
  }
  if (c.subflows_ever > open && c.subflows_ever >= 2) {
    subflows_closed(c, out);
  } else if (open < 2 && !failed) {
    if (outbound) outbound_single(c, now_ns, local, out);
    else inbound_single(c, now_ns, local, out);
  }
  checker::sort_strongest_first(out);
  return out;
}

}  // namespace observer::admin
