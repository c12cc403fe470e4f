// Captures what the running kernel answers the daemon's own requests, as
// seeds for the sock_diag, pm_events and mptcp_sockopt fuzzers: real bytes,
// so that each fuzzer starts from inputs that decode all the way. Run by
// seeds/capture, which builds the test topology (client and server
// namespaces, a join path, a server address to announce):
//
//   kernel_answers --server-netns PATH --client-netns PATH --server4 ADDR --server6 ADDR
//                  --out CORPUS_DIR [--step COMMAND]...
//
// It opens an MPTCP listener in the server namespace and connects to it over
// IPv4 and IPv6 from the client namespace, waits for the joins, runs each
// --step (e.g. `ip mptcp endpoint change ... backup`, for MP_PRIO), then
// saves the getsockopt answers of every socket, the sock_diag dumps of both
// namespaces, and every path-manager event datagram of both, up to the
// connections' close. Every seed is decoded before it is written; one that
// does not decode stops the capture.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/mptcp.h>
#include <linux/netlink.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "fuzz_input.h"
#include "sources/getsockopt/mptcp_abi.h"
#include "sources/getsockopt/mptcp_sockopt_decode.h"
#include "sources/pm_netlink/pm_event_decode.h"
#include "sources/sock_diag/diag_messages.h"

using namespace observer;
using Bytes = std::vector<uint8_t>;

namespace {
[[noreturn]] void die(const std::string &what) {
  std::fprintf(stderr, "kernel_answers: %s\n", what.c_str());
  std::exit(1);
}
void check(bool ok, const std::string &what) {
  if (!ok) die(what + ": " + std::strerror(errno));
}

struct Options {
  std::string server_netns, client_netns, server4, server6, out;
  std::vector<std::string> steps;
};

Options parse_options(int argc, char **argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--server-netns") o.server_netns = value;
    else if (flag == "--client-netns") o.client_netns = value;
    else if (flag == "--server4") o.server4 = value;
    else if (flag == "--server6") o.server6 = value;
    else if (flag == "--out") o.out = value;
    else if (flag == "--step") o.steps.push_back(value);
    else die("unknown flag " + flag);
  }
  if (o.server_netns.empty() || o.client_netns.empty() || o.server4.empty() || o.server6.empty() || o.out.empty()) {
    die("usage: kernel_answers --server-netns PATH --client-netns PATH --server4 ADDR --server6 ADDR --out DIR [--step CMD]...");
  }
  return o;
}

// Sockets made after this belong to the namespace at `path`.
void enter_netns(const std::string &path) {
  UniqueFd ns(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  check(bool(ns), "open " + path);
  check(setns(ns.get(), CLONE_NEWNET) == 0, "setns " + path);
}

void write_seed(const std::string &dir, const std::string &name, std::span<const uint8_t> bytes) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/" + name, std::ios::binary).write(reinterpret_cast<const char *>(bytes.data()),
                                                         static_cast<std::streamsize>(bytes.size()));
  std::printf("  %s/%s (%zu bytes)\n", std::filesystem::path(dir).filename().c_str(), name.c_str(), bytes.size());
}

// --- netlink ---------------------------------------------------------------

UniqueFd netlink_socket(int protocol) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol));
  check(bool(fd), "netlink socket");
  const timeval timeout{2, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

void send_to_kernel(int fd, const Bytes &request) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  check(sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr *>(&kernel), sizeof kernel) >= 0,
        "netlink sendto");
}

Bytes receive(int fd, int flags = 0) {
  Bytes buffer(64 * 1024);
  const ssize_t n = recv(fd, buffer.data(), buffer.size(), flags);
  if (n < 0) return {};
  buffer.resize(static_cast<size_t>(n));
  return buffer;
}

// A whole dump, every recv() buffer of it back to back, as the parser walks
// them; `parse` says when NLMSG_DONE or an error arrived.
template <typename Parse>
Bytes dump(int fd, const Bytes &request, Parse &&parse) {
  send_to_kernel(fd, request);
  Bytes all;
  diag::ParseState state;
  while (!state.done) {
    const Bytes part = receive(fd);
    if (part.empty()) die("sock_diag dump: no answer");
    parse(part, state);
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

struct PathManager {
  UniqueFd socket;
  Bytes family_answer;
  uint16_t family_id = 0;
};

// Resolves mptcp_pm as the daemon does, keeping the controller's answer,
// and joins the events group without a filter: every event is a seed.
PathManager subscribe() {
  PathManager pm;
  pm.socket = netlink_socket(NETLINK_GENERIC);
  send_to_kernel(pm.socket.get(), pm::family_request(1));
  pm.family_answer = receive(pm.socket.get());
  const auto reply = pm::parse_family_reply(pm.family_answer);
  if (!reply.family || !reply.family->events_group) die("mptcp_pm family did not resolve: " + reply.error);
  pm.family_id = reply.family->id;
  const uint32_t group = *reply.family->events_group;
  check(setsockopt(pm.socket.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) == 0,
        "join mptcp_pm_events");
  return pm;
}

// The controller's refusal, for a family name no kernel has.
Bytes unknown_family_answer() {
  UniqueFd fd = netlink_socket(NETLINK_GENERIC);
  Bytes request = pm::family_request(2);
  const std::string_view ours = pm::kFamilyName, other = "mptcp_pX";  // same length, no such family
  const auto at = std::search(request.begin(), request.end(), ours.begin(), ours.end());
  std::copy(other.begin(), other.end(), at);
  send_to_kernel(fd.get(), request);
  return receive(fd.get());
}

// Every event datagram queued so far, named by what it holds.
void save_events(PathManager &pm, const std::string &dir, const std::string &side, std::map<std::string, int> &seen) {
  for (Bytes datagram = receive(pm.socket.get(), MSG_DONTWAIT); !datagram.empty();
       datagram = receive(pm.socket.get(), MSG_DONTWAIT)) {
    const auto decoded = pm::decode_pm_events(datagram, pm.family_id);
    if (decoded.malformed || decoded.events.empty()) die("a path-manager datagram from the kernel did not decode");
    std::string name = side;
    for (const auto &e : decoded.events) name += std::string("-") + pm::pm_event_type_name(e.type);
    name += "-" + std::to_string(++seen[name]);
    write_seed(dir, name, fuzz::join_parts({pm.family_answer, datagram}));
  }
}

// --- MPTCP sockets ---------------------------------------------------------

SocketAddress address(const std::string &ip, uint16_t port) {
  const int family = ip.find(':') == std::string::npos ? AF_INET : AF_INET6;
  uint8_t raw[16]{};
  if (inet_pton(family, ip.c_str(), raw) != 1) die("not an address: " + ip);
  return SocketAddress::from_bytes(family, raw, htons(port));
}

UniqueFd mptcp_listener(uint16_t &port) {
  UniqueFd fd(socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, abi::kIpprotoMptcp));
  check(bool(fd), "MPTCP socket (is net.mptcp.enabled 1?)");
  const int off = 0, on = 1;
  setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);  // IPv4 clients too, as ::ffff:a.b.c.d
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  check(bind(fd.get(), reinterpret_cast<sockaddr *>(&any), sizeof any) == 0, "bind");
  check(listen(fd.get(), 8) == 0, "listen");
  socklen_t len = sizeof any;
  getsockname(fd.get(), reinterpret_cast<sockaddr *>(&any), &len);
  port = ntohs(any.sin6_port);
  return fd;
}

UniqueFd mptcp_connect(const SocketAddress &to) {
  UniqueFd fd(socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, abi::kIpprotoMptcp));
  check(bool(fd), "MPTCP socket");
  check(connect(fd.get(), to.get(), to.length) == 0, "connect to " + format_endpoint(to));
  return fd;
}

// Data both ways, so that the path manager opens the joins (after the
// first data) and the byte counters are not all zero.
void exchange(int a, int b) {
  const std::string text(3000, 'm');
  char buf[8192];
  for (int fd : {a, b}) {
    check(send(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()), "send");
  }
  for (int fd : {b, a}) {
    size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      check(n > 0, "recv");
      got += static_cast<size_t>(n);
    }
  }
}

abi::mptcp_info mptcp_info_of(int fd) {
  abi::mptcp_info info{};
  socklen_t len = sizeof info;
  check(getsockopt(fd, abi::kSolMptcp, abi::kMptcpInfo, &info, &len) == 0, "MPTCP_INFO");
  return info;
}

void wait_for_joins(int fd, uint8_t joins) {
  for (int i = 0; i < 50 && mptcp_info_of(fd).subflows < joins; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

Bytes answer(int fd, int option, Bytes buffer) {
  socklen_t len = static_cast<socklen_t>(buffer.size());
  check(getsockopt(fd, abi::kSolMptcp, option, buffer.data(), &len) == 0, "getsockopt SOL_MPTCP");
  buffer.resize(len);
  return buffer;
}

// A subflow array request (MPTCP_SUBFLOW_ADDRS, MPTCP_TCPINFO) as the reader
// sends it: the header, then room for 8 elements.
Bytes subflow_array(int fd, int option, uint32_t element_size) {
  Bytes buffer(sizeof(abi::mptcp_subflow_data) + 8 * element_size);
  abi::mptcp_subflow_data header{};
  header.size_subflow_data = sizeof header;
  header.size_user = element_size;
  std::memcpy(buffer.data(), &header, sizeof header);
  return answer(fd, option, buffer);
}

// The answers the checker reads from one socket, framed for the
// mptcp_sockopt fuzzer in its order (mptcp_sockopt_fuzzer.cpp).
void save_sockopt(int fd, const std::string &dir, const std::string &name) {
  sockaddr_storage peer{};
  socklen_t peer_len = sizeof peer;
  check(getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &peer_len) == 0, "getpeername");
  const Bytes peer_bytes(reinterpret_cast<uint8_t *>(&peer), reinterpret_cast<uint8_t *>(&peer) + peer_len);

  Bytes info(sizeof(abi::mptcp_info));
  info = answer(fd, abi::kMptcpInfo, info);
  const Bytes addrs = subflow_array(fd, abi::kMptcpSubflowAddrs, sizeof(mptcp_subflow_addrs));
  const Bytes tcpinfo = subflow_array(fd, abi::kMptcpTcpInfo, sizeof(tcp_info));

  constexpr uint32_t kCapacity = 8;
  std::vector<abi::mptcp_subflow_info> subflow_infos(kCapacity);
  std::vector<tcp_info> tcp_infos(kCapacity);
  abi::mptcp_full_info full{};
  full.header.size_tcpinfo_user = sizeof(tcp_info);
  full.header.size_sfinfo_user = sizeof(abi::mptcp_subflow_info);
  full.header.size_arrays_user = kCapacity;
  full.header.subflow_info = reinterpret_cast<uintptr_t>(subflow_infos.data());
  full.header.tcp_info = reinterpret_cast<uintptr_t>(tcp_infos.data());
  socklen_t full_len = sizeof full;
  check(getsockopt(fd, abi::kSolMptcp, abi::kMptcpFullInfo, &full, &full_len) == 0, "MPTCP_FULL_INFO (6.5+)");
  const auto *full_bytes = reinterpret_cast<const uint8_t *>(&full);
  // Only the elements the kernel filled: the rest of our arrays is ours.
  const size_t filled = std::min(full.header.num_subflows, kCapacity);
  const auto sf_bytes = std::as_bytes(std::span(subflow_infos)).first(filled * full.header.size_sfinfo_user);
  const auto ti_bytes = std::as_bytes(std::span(tcp_infos)).first(filled * full.header.size_tcpinfo_user);

  std::string error;
  const auto decoded = sockopt::decode_full_info({reinterpret_cast<const std::byte *>(full_bytes), full_len},
                                                 sf_bytes, ti_bytes, error);
  if (!decoded || decoded->subflows.empty()) die("MPTCP_FULL_INFO of " + name + " did not decode: " + error);
  if (sockopt::decode_subflow_addrs(std::as_bytes(std::span(addrs)), error).size() != decoded->subflows.size()) {
    die("MPTCP_SUBFLOW_ADDRS of " + name + " did not decode: " + error);
  }
  const auto as_u8 = [](std::span<const std::byte> b) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t *>(b.data()), b.size());
  };
  write_seed(dir, name + "-" + std::to_string(decoded->subflows.size()) + "-subflows",
             fuzz::join_parts({peer_bytes, info, addrs, tcpinfo, std::span<const uint8_t>(full_bytes, full_len),
                               as_u8(sf_bytes), as_u8(ti_bytes)}));
}

// Both dumps of one namespace and family, framed for the sock_diag fuzzer:
// MPTCP sockets, then TCP subflows.
void save_sock_diag(const std::string &netns, int family, const std::string &dir, const std::string &name) {
  enter_netns(netns);
  UniqueFd fd = netlink_socket(NETLINK_SOCK_DIAG);
  std::vector<diag::MptcpSocket> sockets;
  std::vector<DiagSubflow> subflows;
  const Bytes mptcp = dump(fd.get(), diag::mptcp_dump_request(family, 1),
                           [&](std::span<const uint8_t> b, diag::ParseState &s) { diag::parse_mptcp_reply(b, sockets, s); });
  const Bytes tcp = dump(fd.get(), diag::tcp_dump_request(family, 2),
                         [&](std::span<const uint8_t> b, diag::ParseState &s) { diag::parse_subflow_reply(b, subflows, s); });
  if (sockets.empty() && subflows.empty()) die("the sock_diag dumps of " + name + " hold nothing MPTCP");
  std::printf("  %s: %zu MPTCP sockets, %zu subflows, %zu connections assembled\n", name.c_str(), sockets.size(),
              subflows.size(), diag::assemble(sockets, subflows).size());
  write_seed(dir, name, fuzz::join_parts({mptcp, tcp}));
}

// An error answer: a dump of a family inet_diag does not serve.
void save_sock_diag_error(const std::string &dir) {
  UniqueFd fd = netlink_socket(NETLINK_SOCK_DIAG);
  std::vector<diag::MptcpSocket> sockets;
  diag::ParseState state;
  send_to_kernel(fd.get(), diag::mptcp_dump_request(AF_MAX - 1, 3));
  const Bytes reply = receive(fd.get());
  diag::parse_mptcp_reply(reply, sockets, state);
  if (state.error.empty()) die("a sock_diag dump of an unknown family did not fail");
  std::printf("  (%s)\n", state.error.c_str());
  write_seed(dir, "error-unknown-family", fuzz::join_parts({reply, reply}));
}
}  // namespace

int main(int argc, char **argv) {
  const Options o = parse_options(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // in order with the steps' output
  const std::string sock_diag_dir = o.out + "/sock_diag", pm_dir = o.out + "/pm_events",
                    sockopt_dir = o.out + "/mptcp_sockopt";

  enter_netns(o.server_netns);
  PathManager server_pm = subscribe();
  uint16_t port = 0;
  UniqueFd listener = mptcp_listener(port);

  enter_netns(o.client_netns);
  PathManager client_pm = subscribe();
  UniqueFd client4 = mptcp_connect(address(o.server4, port));
  UniqueFd accepted4(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  UniqueFd client6 = mptcp_connect(address(o.server6, port));
  UniqueFd accepted6(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  check(accepted4 && accepted6, "accept");
  exchange(client4.get(), accepted4.get());
  exchange(client6.get(), accepted6.get());
  wait_for_joins(client4.get(), 1);
  wait_for_joins(client6.get(), 1);

  for (const auto &step : o.steps) {
    std::printf("step: %s\n", step.c_str());
    if (std::system(step.c_str()) != 0) die("step failed: " + step);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    exchange(client4.get(), accepted4.get());
    exchange(client6.get(), accepted6.get());
  }

  std::printf("getsockopt answers:\n");
  save_sockopt(client4.get(), sockopt_dir, "client-ipv4");
  save_sockopt(accepted4.get(), sockopt_dir, "server-ipv4-mapped");
  save_sockopt(client6.get(), sockopt_dir, "client-ipv6");
  save_sockopt(accepted6.get(), sockopt_dir, "server-ipv6");

  std::printf("sock_diag dumps:\n");
  // The server's IPv4 clients reach a dual-stack listener: all AF_INET6.
  save_sock_diag(o.server_netns, AF_INET6, sock_diag_dir, "server-dual-stack");
  save_sock_diag(o.client_netns, AF_INET, sock_diag_dir, "client-ipv4");
  save_sock_diag(o.client_netns, AF_INET6, sock_diag_dir, "client-ipv6");
  save_sock_diag_error(sock_diag_dir);

  // Closing makes the remaining events: subflows and connections closed,
  // and (6.2+) the listener closed.
  client4.reset();
  client6.reset();
  accepted4.reset();
  accepted6.reset();
  listener.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::printf("path-manager events:\n");
  std::map<std::string, int> seen;
  save_events(server_pm, pm_dir, "server", seen);
  save_events(client_pm, pm_dir, "client", seen);
  write_seed(pm_dir, "error-unknown-family", fuzz::join_parts({unknown_family_answer(), Bytes{}}));
  return 0;
}
