#include "commands/probe/probe_findings.h"

#include <algorithm>

namespace observer::probe {
namespace {
using Level = Finding::Level;

int64_t moved(const ProbeObservation &o, const char *counter) {
  const auto it = o.mib_delta.find(counter);
  return it == o.mib_delta.end() ? 0 : static_cast<int64_t>(it->second);
}

bool server_said(const ProbeObservation &o, std::string_view code) {
  return std::find(o.server.diagnosis_codes.begin(), o.server.diagnosis_codes.end(), code) !=
         o.server.diagnosis_codes.end();
}

void not_mptcp(const ProbeObservation &o, std::vector<Finding> &out) {
  if (o.mptcp_socket_refused) {
    out.push_back({Level::problem, "mptcp_off_here", "This host could not open an MPTCP socket: MPTCP is disabled or missing in this kernel or namespace.",
                   "sysctl -w net.mptcp.enabled=1 (per network namespace); the kernel needs CONFIG_MPTCP"});
    return;
  }
  if (!o.asked_mptcp) {
    out.push_back({Level::note, "not_asked", "MPTCP was not asked for (--no-mptcp): a plain TCP connection, for comparison.", ""});
    return;
  }
  if (moved(o, "MPCapableSYNTXDrop") > 0 || moved(o, "MPCapableSYNTXDisabled") > 0) {
    out.push_back({Level::problem, "syn_with_mptcp_dropped",
                   "SYNs carrying MPTCP were dropped on the path (MPCapableSYNTXDrop or MPCapableSYNTXDisabled moved); the kernel retried, or now connects, without MPTCP.",
                   "find the firewall that drops TCP option 30; net.mptcp.blackhole_timeout=0 stops the kernel from turning MPTCP off after such drops"});
    return;
  }
  const bool server_listens_mptcp = o.server.listener_mptcp.value_or(false) ||
                                    (o.server.says_mptcp.has_value() && !o.server.is_checker);
  if (o.client_verdict == Verdict::fallback && moved(o, "MPCapableFallbackSYNACK") == 0 &&
      o.server.verdict == "fallback") {
    out.push_back({Level::problem, "fallback_after_handshake",
                   "MPTCP was negotiated, then the connection fell back to TCP: something on the path rewrites or strips MPTCP options after the handshake.",
                   "look for a proxy, IDS or NAT that rewrites TCP payloads or options; the server's kernel counts it in MPCapableFallbackACK or DssFallback"});
    return;
  }
  if (server_listens_mptcp) {
    out.push_back({Level::problem, "path_strips_mptcp",
                   "This host asked for MPTCP and the server listens with MPTCP, but the server saw plain TCP: something on the path strips the MPTCP option.",
                   "find the middlebox that removes TCP option 30 (a firewall, NAT or traffic normalizer); probe over another path (--interface) to compare"});
    return;
  }
  out.push_back({Level::problem, "server_without_mptcp",
                 "This host asked for MPTCP; the answer came back without it: the server does not speak MPTCP, or something on the path strips the option.",
                 "probe an mptcp-observer checker over the same path: if it sees MPTCP, this server does not speak it; if not, the path strips it"});
}

void one_subflow(const ProbeObservation &o, std::vector<Finding> &out) {
  if (moved(o, "MPJoinSynTxConnectErr") > 0 || moved(o, "MPJoinSynTxBindErr") > 0 || moved(o, "MPJoinSynTxCreatSkErr") > 0) {
    out.push_back({Level::problem, "join_local_error",
                   "This host tried to open a join and failed before sending it (MPJoinSynTxConnectErr, BindErr or CreatSkErr moved): an endpoint's address is missing or tentative, or it has no route.",
                   "ip mptcp endpoint show; ip -br addr; ip route get SERVER from ENDPOINT_ADDRESS"});
  }
  const int64_t syn = moved(o, "MPJoinSynTx"), synack = moved(o, "MPJoinSynAckRx");
  // A join the server answered that did not survive: reset after its third
  // ACK, which the client's kernel counts as MPRstTx, the server's as
  // MPJoinRejected.
  if (synack > 0) {
    const bool limit = server_said(o, "server_accepts_no_join") || server_said(o, "server_join_limit_reached");
    out.push_back({Level::problem, "join_refused",
                   std::string("A join reached the server and was reset after its SYN-ACK: the server refused it") +
                       (limit ? " (its subflows limit, as the server says)." : " (likely its subflows limit)."),
                   "on the server: ip mptcp limits set subflows N"});
  } else if (syn > synack) {
    out.push_back({Level::problem, "join_unanswered",
                   "A join SYN got no answer: a wrong route for the endpoint's address, a firewall, or an unreachable announced address.",
                   "ip route get SERVER from ENDPOINT_ADDRESS; a policy rule per endpoint: ip rule add from ENDPOINT_ADDRESS table N"});
  }
  if (syn > 0) return;
  if (!out.empty()) return;
  if (o.local_addr_max > 0 && o.subflows_max == 0) {
    out.push_back({Level::problem, "client_subflow_limit_zero",
                   "No join attempted: this host has `subflow` endpoints, but its `subflows` limit is 0.",
                   "ip mptcp limits set subflows " + std::to_string(o.local_addr_max)});
  } else if (moved(o, "AddAddr") > 0 && o.add_addr_accepted_max == 0) {
    out.push_back({Level::problem, "announced_address_ignored",
                   "The server announced another address, and this host ignores announcements (`add_addr_accepted` is 0).",
                   "ip mptcp limits set add_addr_accepted 1 subflows 1"});
  } else if (o.local_addr_max == 0 && o.add_addr_accepted == 0) {
    out.push_back({Level::problem, "no_join_path",
                   "No join attempted: this host has no `subflow` endpoint, and the server announced no address it took.",
                   "ip mptcp endpoint add ADDRESS dev INTERFACE subflow (one per extra interface), and ip mptcp limits set subflows N"});
  } else if (server_said(o, "server_accepts_no_join")) {
    out.push_back({Level::problem, "server_accepts_no_join", "The server accepts no additional subflow (its limit).",
                   "on the server: ip mptcp limits set subflows N"});
  } else {
    out.push_back({Level::note, "no_join_yet", "One subflow so far: no join was attempted while the probe waited.",
                   "probe again with a longer --wait"});
  }
}
}  // namespace

std::vector<Finding> conclude(const ProbeObservation &o) {
  std::vector<Finding> out;
  if (o.client_verdict != Verdict::mptcp) {
    not_mptcp(o, out);
    return out;
  }
  if (o.server.verdict && *o.server.verdict != "mptcp") {
    out.push_back({Level::problem, "server_disagrees",
                   "This host's socket is MPTCP, but the server says " + *o.server.verdict + ".",
                   "something between the hosts terminates or rewrites the connection (a proxy?)"});
  }
  if (o.subflows <= 1) {
    one_subflow(o, out);
    return out;
  }
  std::string message = "MPTCP works: " + std::to_string(o.subflows) + " subflows.";
  out.push_back({Level::ok, "mptcp_with_joins", message, ""});
  if (!o.download_bytes_by_subflow.empty()) {
    const auto idle = std::count(o.download_bytes_by_subflow.begin(), o.download_bytes_by_subflow.end(), 0u);
    if (idle == 0) {
      out.push_back({Level::ok, "all_paths_carry_data", "Every subflow carried part of the download.", ""});
    } else {
      out.push_back({Level::note, "idle_subflow",
                     std::to_string(idle) + " subflow(s) carried none of the download: a backup subflow, or the scheduler preferred the others.",
                     "ip mptcp endpoint show (is one marked backup?)"});
    }
  }
  return out;
}

}  // namespace observer::probe
