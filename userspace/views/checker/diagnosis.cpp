#include "views/checker/diagnosis.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <map>

namespace observer::checker {
namespace {
using namespace std::chrono_literals;

// A first answer usually comes before any join (joins follow the first
// data); an answer that waited this long had time to see one.
constexpr auto kWaitLongEnoughForAJoin = 1s;

constexpr std::array<std::string_view, 12> kCounters = {
    // joins this server received, and what became of them
    "MPJoinSynRx", "MPJoinAckRx", "MPJoinRejected", "MPJoinAckHMacFailure", "MPJoinNoTokenFound",
    // fallbacks after the handshake
    "MPCapableDataFallback", "DssFallback", "DSSCorruptionFallback", "InfiniteMapRx", "MPFailRx", "DataCsumErr",
    // a plain TCP connection whose SYN asked for MPTCP
    "MPCapableFallbackACK"};


// A phrase of a Voice at the start of a sentence.
std::string capitalised(std::string_view phrase) {
  std::string out(phrase);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

// "In the last 1.2 s, this server's kernel"
std::string in_window(const MibWindow &w, const Voice &v) {
  return "In the last " + seconds_text(w.span) + ", " + std::string(v.observer) + "'s kernel";
}

// The sign tables' advice speaks to the client ("your path"); another voice
// says whose path it is.
std::string voiced(std::string_view advice, const Voice &v) {
  std::string out;
  for (size_t at = 0;;) {
    const size_t your = advice.find("your ", at);
    out += advice.substr(at, your - at);
    if (your == std::string_view::npos) return out;
    out += v.clients;
    out += ' ';
    at = your + 5;
  }
}

// "; the counter is host-wide, so this was likely, not certainly, your connection"
std::string host_wide(const Voice &v) {
  return "; the counter is host-wide, so this was likely, not certainly, " + std::string(v.connection);
}

// ---- plain TCP -------------------------------------------------------------

void plain_tcp(const DiagnosisInput &in, std::vector<Finding> &out) {
  if (!in.listener_mptcp) {
    out.push_back({"server_without_mptcp", Confidence::certain,
                   "This server listens with plain TCP sockets (MPTCP is off on its host), so no client can use "
                   "MPTCP here, whatever it asks.",
                   "Nothing to change on your side. The server's operator can run `sysctl -w net.mptcp.enabled=1` "
                   "and restart the checker."});
    return;
  }
  out.push_back({"mptcp_not_requested", Confidence::possible,
                 "Your client may not have asked for MPTCP: most programs open plain TCP sockets unless told "
                 "otherwise.",
                 "On Linux (with `sysctl net.mptcp.enabled` = 1, the default): start the program with `mptcpize run "
                 "COMMAND`, create its socket with `socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)`, or put "
                 "`SocketProtocol=mptcp` in its systemd socket unit. In an iOS app: set `multipathServiceType` to "
                 "`.handover` or `.interactive` on its URLSessionConfiguration (or Network.framework parameters), "
                 "with the `com.apple.developer.networking.multipath` entitlement."});
  out.push_back({"mptcp_option_removed", Confidence::possible,
                 "Or your client did ask, and something on the path (a firewall, NAT or proxy) removed the MPTCP "
                 "option: from this server both look the same.",
                 "Your client can tell them apart: `mptcp-observer probe THIS_SERVER` does it in one run. By hand on Linux: `nstat -n`, repeat the request (with `mptcpize run` if "
                 "needed), then `nstat MPTcpExtMPCapableSYNTX MPTcpExtMPCapableFallbackSYNACK "
                 "MPTcpExtMPCapableSYNTXDrop`: no MPCapableSYNTX means the program did not ask; MPCapableSYNTX with "
                 "MPCapableFallbackSYNACK means the option was removed on the way; MPCapableSYNTXDrop means SYNs "
                 "carrying it were dropped."});
  // A SYN that carried MP_CAPABLE and a handshake ACK that did not: the
  // kernel then hands the application a plain TCP socket, this one perhaps.
  if (!in.host.mib) return;
  if (const uint64_t n = in.host.mib->rise("MPCapableFallbackACK").value_or(0); n > 0) {
    out.push_back({"option_removed_after_syn_likely", Confidence::likely,
                   in_window(*in.host.mib, kToClient) + " saw " + number_text(n) +
                       " connection(s) ask for MPTCP in the SYN and lose the option in the handshake's last ACK "
                       "(MPCapableFallbackACK)" + host_wide(kToClient) + ": your client asked, and a middlebox "
                       "removed the option after the SYN.",
                   "Find the box on your path that rewrites TCP options (a transparent proxy, a firewall "
                   "normalising options), or test from another network."});
  }
}

// ---- fallback --------------------------------------------------------------

// Host counters that say what kind of fallback happened, strongest first.
struct FallbackSign {
  std::vector<std::string_view> counters;
  const char *code;
  const char *what;  // after "saw N "
  const char *advice;
};
const std::array<FallbackSign, 2> kFallbackSigns = {{
    {{"MPCapableDataFallback"},
     "fallback_options_stripped_likely",
     "connection(s) whose first data came without MPTCP options (MPCapableDataFallback): a middlebox that strips "
     "them from data packets",
     "Find the box on your path that rewrites TCP options (a transparent proxy, a firewall normalising options)."},
    {{"DssFallback", "DSSCorruptionFallback", "InfiniteMapRx", "MPFailRx", "DataCsumErr"},
     "fallback_mapping_broken_likely",
     "time(s) MPTCP's data-sequence mapping go missing or arrive corrupted mid-connection (DssFallback, "
     "DSSCorruptionFallback, InfiniteMapRx, MPFailRx, DataCsumErr)",
     "Find the box on your path that rewrites payloads or TCP options (a proxy, an IDS, a broken offload); with "
     "`sysctl -w net.mptcp.checksum_enabled=1` on the client, such corruption is detected rather than silent."},
}};

// fallback_findings(), which reads them, is below with the other rules the
// admin API shares.

// ---- MPTCP -----------------------------------------------------------------

// A join's fate as this server's kernel counted it, strongest sign first.
struct JoinSign {
  const char *counter;
  const char *code;
  const char *what;  // after "refused N "
  const char *advice;
};
const std::array<JoinSign, 3> kJoinSigns = {{
    {"MPJoinRejected", "join_rejected_likely",
     "join(s) (MPJoinRejected: its subflow limit was reached, or the connection was not fully established yet)",
     "On the server: `ip mptcp limits show`, and raise the limit with `ip mptcp limits set subflows 2`."},
    {"MPJoinAckHMacFailure", "join_hmac_failed_likely",
     "join(s) whose authentication failed (MPJoinAckHMacFailure): something rewrote the handshake on the way",
     "Find the box on your second path that rewrites TCP options."},
    {"MPJoinNoTokenFound", "join_unknown_token_likely",
     "join(s) for a connection it does not know (MPJoinNoTokenFound): a load balancer may send joins to another "
     "server than the first subflow",
     "Behind a load balancer, steer MP_JOINs by their token, or announce a per-server address with a `signal` "
     "endpoint."},
}};

// Adds what the counters say about failed joins; false when they say nothing.
bool join_signs(const MibWindow &mib, const Voice &v, std::vector<Finding> &out) {
  const size_t before = out.size();
  uint64_t failed = 0;
  for (const auto &sign : kJoinSigns) {
    const uint64_t n = mib.rise(sign.counter).value_or(0);
    failed += n;
    if (n == 0) continue;
    out.push_back({sign.code, Confidence::likely,
                   in_window(mib, v) + " refused " + number_text(n) + " " + sign.what + host_wide(v) + ".",
                   voiced(sign.advice, v)});
  }
  // Every join SYN is counted on arrival; those neither completed nor
  // refused for a reason above stopped half-way.
  const uint64_t syn = mib.rise("MPJoinSynRx").value_or(0), ack = mib.rise("MPJoinAckRx").value_or(0);
  if (syn > ack + failed) {
    out.push_back({"join_incomplete_likely", Confidence::likely,
                   in_window(mib, v) + " received " + count_text(syn - ack - failed, "join SYN", "join SYNs") +
                       " that never completed (MPJoinSynRx without MPJoinAckRx): its answer or the client's last "
                       "ACK was lost on the way" + host_wide(v) + ".",
                   voiced("Check your second path end to end: a firewall that passes SYNs but not the rest, "
                          "asymmetric routing, or a strict `rp_filter`; `ip route get SERVER from ADDRESS` on the "
                          "client shows the way a join takes.",
                          v)});
  }
  return out.size() > before;
}

// "while the answer waited 2.0 s", or for the admin API "in the 2.0 s since
// the connection began".
std::string while_waiting(std::chrono::milliseconds waited, const Voice &v) {
  return v.to_client ? "while the answer waited " + seconds_text(waited)
                     : "in the " + seconds_text(waited) + " since the connection began";
}

// The sentences of single_subflow_findings() that depend on the voice
// alone. The checker gives a diagnosis with every answer, at tens of
// thousands a second, and most answers are made of these: they are built
// once per voice and thread, not once per answer.
struct SingleSubflowTexts {
  std::string userspace_path_manager, accepts_no_join, announces_no_address, announces_no_address_advice,
      no_join_yet, client_setup;
};

SingleSubflowTexts build_single_subflow_texts(const Voice &v) {
  const std::string server = capitalised(v.server), client(v.client);
  const std::string on_client = "On " + client + " (Linux)";
  SingleSubflowTexts t;
  t.userspace_path_manager = server + " uses the userspace path manager: a daemon (such as mptcpd), not a kernel "
                                      "limit, decides which joins it accepts and which addresses it announces.";
  t.accepts_no_join = server + " accepts no additional subflow: its subflow limit is 0 (MPTCP_INFO subflows_max, "
                               "`ip mptcp limits`), so it refuses every join " + client + " tries.";
  t.announces_no_address = server + " announces no other address (it has no `signal` endpoint), so a second "
                                    "subflow must start from another address of " + client + ".";
  t.announces_no_address_advice =
      on_client + ": give its other interface a `subflow` endpoint and allow a join, `ip mptcp endpoint add "
                  "ADDRESS dev INTERFACE subflow` and `ip mptcp limits set subflows 2`; or let NetworkManager or "
                  "mptcpd manage endpoints (one of them, not both).";
  t.no_join_yet = capitalised(v.client) + " has not opened a second subflow yet: clients join only after the first "
                                          "data" + (v.to_client ? ", so a first answer often comes before any join."
                                                                : ".");
  t.client_setup = on_client + ": `ip mptcp endpoint show` should list an address of another interface as "
                               "`subflow`, and `ip mptcp limits show` allow subflows above 0; an endpoint without "
                               "`dev`, or no source route, sends joins out the wrong way.";
  return t;
}

// Voices are constants, so a voice's address names it; a thread keeps
// one set of texts per voice it has spoken in (three at most).
const SingleSubflowTexts &single_subflow_texts(const Voice &v) {
  thread_local std::map<const Voice *, SingleSubflowTexts> built;
  auto it = built.find(&v);
  if (it == built.end()) it = built.emplace(&v, build_single_subflow_texts(v)).first;
  return it->second;
}

void mptcp(const DiagnosisInput &in, std::vector<Finding> &out) {
  const MptcpStatus &st = in.status;
  if (st.subflows.size() >= 2) {
    SubflowTally tally;
    tally.subflows = st.subflows.size();
    for (const auto &s : st.subflows) {
      if (s.kind == SubflowKind::join) ++tally.joins;
      if (!s.backup) tally.backup_unknown = true;
      else if (*s.backup) tally.backups.push_back(format_endpoint(s.remote));
    }
    return healthy_findings(tally, kToClient, out);
  }
  AcceptingSide side;
  side.path_manager = in.host.path_manager;
  side.subflows_max = st.subflows_max;
  side.extra_subflows = st.extra_subflows;
  side.add_addr_signal_max = st.add_addr_signal_max;
  side.add_addr_signal = st.add_addr_signal;
  side.mib = in.host.mib ? &*in.host.mib : nullptr;
  side.waited = in.waited;
  single_subflow_findings(side, kToClient, out);
}
}  // namespace

const char *confidence_name(Confidence c) {
  switch (c) {
    case Confidence::certain: return "certain";
    case Confidence::likely: return "likely";
    case Confidence::possible: return "possible";
  }
  return "possible";
}

std::string number_text(uint64_t n) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  return std::string(buf, end);
}

std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  const auto [end, ec] =
      std::to_chars(buf, buf + sizeof buf, static_cast<double>(ms.count()) / 1000.0, std::chars_format::fixed, 1);
  return std::string(buf, end) + " s";
}

std::string count_text(uint64_t n, std::string_view one, std::string_view many) {
  return number_text(n) + " " + std::string(n == 1 ? one : many);
}

void healthy_findings(const SubflowTally &t, const Voice &v, std::vector<Finding> &out) {
  out.push_back({"mptcp_ok", Confidence::certain,
                 capitalised(v.connection) + " uses MPTCP with " + number_text(t.subflows) +
                     " subflows (the initial one and " + count_text(t.joins, "join", "joins") + "): all is well.",
                 "Nothing to change."});
  if (!t.backups.empty()) {
    std::string from;
    for (const auto &b : t.backups) from += (from.empty() ? "" : ", ") + b;
    out.push_back({"backup_subflow", Confidence::certain,
                   (t.backups.size() == 1 ? std::string("One subflow is a backup")
                                          : number_text(t.backups.size()) + " subflows are backups") +
                       " (from " + from + "): it carries data only when the others cannot, and to resend what "
                       "they lost.",
                   "That is what a `backup` endpoint on " + std::string(v.client_side) +
                       " asks for; `ip mptcp endpoint change id ID nobackup` there makes it carry data like the "
                       "others."});
  } else if (!t.backup_unknown) {
    out.push_back({"no_backup_subflow", Confidence::certain,
                   std::string("No subflow is a backup: ") +
                       (t.subflows == 2 ? "both" : "all " + number_text(t.subflows)) + " carry data at once.",
                   "To hold a path in reserve (a metered link), mark its endpoint on " + std::string(v.client_side) +
                       " as backup: `ip mptcp endpoint add ADDRESS dev INTERFACE subflow backup`."});
  } else {
    out.push_back({"backup_unknown", Confidence::possible,
                   capitalised(v.observer) + " cannot tell whether one of the subflows is a backup (it learns that "
                       "from tracing, which is off or has not seen them).",
                   "Nothing to change."});
  }
}

void fallback_findings(bool in_handshake, const MibWindow *mib, const Voice &v, std::vector<Finding> &out) {
  if (!in_handshake) {
    out.push_back({"fallback_after_mptcp", Confidence::certain,
                   "MPTCP was negotiated on this connection, then it fell back to plain TCP: something on the path "
                   "removed or changed MPTCP options after the handshake.",
                   "Test another network: if MPTCP holds there, a middlebox on this one interferes."});
  } else {
    out.push_back({"fallback_in_handshake", Confidence::certain,
                   capitalised(v.client) + " asked for MPTCP, but the connection fell back to plain TCP before the "
                       "MPTCP handshake completed.",
                   "Test another network: if MPTCP holds there, a middlebox on this one strips the option."});
  }
  if (!mib) return;
  for (const auto &sign : kFallbackSigns) {
    uint64_t n = 0;
    for (const auto counter : sign.counters) n += mib->rise(counter).value_or(0);
    if (n == 0) continue;
    out.push_back({sign.code, Confidence::likely,
                   in_window(*mib, v) + " saw " + number_text(n) + " " + sign.what + host_wide(v) + ".",
                   voiced(sign.advice, v)});
  }
}

void single_subflow_findings(const AcceptingSide &side, const Voice &v, std::vector<Finding> &out) {
  const SingleSubflowTexts &texts = single_subflow_texts(v);
  const bool in_kernel = side.path_manager != PathManagerKind::userspace;
  bool can_accept = true;
  if (!in_kernel) {
    out.push_back({"userspace_path_manager", Confidence::certain, texts.userspace_path_manager,
                   "On the server: check that its path-manager daemon runs, or go back to the in-kernel one with "
                   "`sysctl -w net.mptcp.path_manager=kernel`."});
  } else if (side.subflows_max == 0u) {
    can_accept = false;
    out.push_back({"server_accepts_no_join", Confidence::certain, texts.accepts_no_join,
                   v.to_client ? "Nothing your client can change. On your own server: `ip mptcp limits set subflows 2`."
                               : "On this host: `ip mptcp limits set subflows 2`."});
  } else if (side.subflows_max && side.extra_subflows >= *side.subflows_max) {
    can_accept = false;
    out.push_back({"server_join_limit_reached", Confidence::certain,
                   capitalised(v.server) + "'s limit of " +
                       count_text(*side.subflows_max, "additional subflow", "additional subflows") +
                       " is used up on this connection, yet no join is open: joins that failed still count.",
                   "On the server: raise it with `ip mptcp limits set subflows N`; see below why joins failed."});
  }
  // Where a join could come from matters only if one would be accepted.
  if (in_kernel && can_accept && side.add_addr_signal_max) {
    if (*side.add_addr_signal_max == 0) {
      out.push_back({"server_announces_no_address", Confidence::certain, texts.announces_no_address,
                     texts.announces_no_address_advice});
    } else if (side.add_addr_signal > 0) {
      out.push_back({"announced_address_unused", Confidence::possible,
                     capitalised(v.server) + " announced " +
                         count_text(side.add_addr_signal, "other address", "other addresses") + " to " +
                         std::string(v.client) + ", which has not joined it.",
                     "A Linux client ignores announced addresses while its `add_addr_accepted` limit is 0, the "
                     "default: `ip mptcp limits set subflows 2 add_addr_accepted 2`."});
    }
  }
  const bool failures = side.mib && join_signs(*side.mib, v, out);
  if (!can_accept || failures) return;  // "not yet" or "not tried" would mislead
  const auto syn = side.mib ? side.mib->rise("MPJoinSynRx") : std::nullopt;
  if (side.waited && *side.waited < kWaitLongEnoughForAJoin) {
    out.push_back({"no_join_yet", Confidence::possible, texts.no_join_yet,
                   v.to_client ? "Ask again on the same connection, or add `?wait=2s` to the address: the answer "
                                 "then waits for a join."
                               : "Look again in a few seconds."});
  } else if (!side.waited) {
    out.push_back({"no_join_attempt", Confidence::possible, "No subflow has joined since the connection began.",
                   texts.client_setup});
  } else if (syn && *syn == 0 && side.mib->span >= *side.waited) {
    out.push_back({"no_join_attempt", Confidence::likely,
                   "No join request reached " + std::string(v.server) + " " + while_waiting(*side.waited, v) +
                       " (MPJoinSynRx did not move in the last " + seconds_text(side.mib->span) + "): " +
                       std::string(v.client) + " did not try, or its join SYNs were lost before reaching it.",
                   texts.client_setup});
  } else {
    out.push_back({"no_join_attempt", Confidence::possible,
                   "No subflow joined " + while_waiting(*side.waited, v) + ".", texts.client_setup});
  }
}

void sort_strongest_first(std::vector<Finding> &findings) {
  const auto stronger = [](const Finding &a, const Finding &b) { return a.confidence < b.confidence; };
  // The rules mostly add findings strongest first already; a stable sort
  // would still take a buffer and move every string.
  if (std::is_sorted(findings.begin(), findings.end(), stronger)) return;
  std::stable_sort(findings.begin(), findings.end(), stronger);
}

std::optional<uint64_t> MibWindow::rise(std::string_view name) const {
  for (const auto &[counter, value] : rises) {
    if (counter == name) return value;
  }
  return std::nullopt;
}

std::span<const std::string_view> diagnosis_counters() { return kCounters; }

bool needs_host_view(const MptcpStatus &status) {
  switch (status.verdict) {
    case Verdict::mptcp: return status.subflows.size() < 2;
    case Verdict::fallback:
    case Verdict::plain_tcp: return true;
    case Verdict::error: return false;
  }
  return false;
}

std::vector<Finding> diagnose(const DiagnosisInput &in) {
  std::vector<Finding> out;
  out.reserve(4);  // rarely more
  switch (in.status.verdict) {
    case Verdict::mptcp: mptcp(in, out); break;
    case Verdict::fallback: {
      // Only MPTCP_INFO can say the handshake never completed; a socket
      // that fell back answers SOL_MPTCP no more, and an MPTCP socket this
      // server accepted had completed it (the server makes one only with
      // the client's key in hand).
      const bool in_handshake = (in.status.flags & 1u) && !in.status.remote_key_received();
      fallback_findings(in_handshake, in.host.mib ? &*in.host.mib : nullptr, kToClient, out);
      break;
    }
    case Verdict::plain_tcp: plain_tcp(in, out); break;
    case Verdict::error:
      out.push_back({"status_unknown", Confidence::certain, "The kernel did not report this connection's MPTCP status.",
                     "Try again; if it persists, the server's log says why."});
      break;
  }
  sort_strongest_first(out);
  return out;
}

}  // namespace observer::checker
