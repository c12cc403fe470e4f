// Writes the bpf_events fuzzer's seeds: ring-buffer records laid out as
// bpf/subflow_tracer.bpf.c writes them and as event_record_decode_test.cpp
// builds them, in the orders the kernel sends them for one subflow (SYN,
// then its end), so that OutboundHandshakes times them. The addresses are
// the integration tests' topology.
//
//   bpf_records DIR
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "mptcp_events.h"

namespace {
constexpr uint64_t kMs = 1000 * 1000;
constexpr uint32_t kNetns = 4026531840u;  // the initial namespace's inode

struct Subflow {
  int family;
  const char *local, *remote;
  uint16_t local_port, remote_port;
  uint64_t cookie;
  uint32_t token;
  mpo_u8 kind = MPO_KIND_INITIAL;
  mpo_u8 direction = MPO_DIR_ACTIVE;
};

void put_ip(mpo_u8 (&out)[16], int family, const char *ip) {
  std::memset(out, 0, sizeof out);
  if (inet_pton(family, ip, out) != 1) {
    std::fprintf(stderr, "bpf_records: bad address %s\n", ip);
    std::exit(1);
  }
}

mpo_event record(const Subflow &s, mpo_u8 type, uint64_t timestamp_ns, mpo_u8 reason = MPO_REASON_NONE) {
  mpo_event r{};
  r.timestamp_ns = timestamp_ns;
  r.cookie = s.cookie;
  r.netns = kNetns;
  r.token = s.token;
  r.ifindex = 2;
  r.type = type;
  r.direction = s.direction;
  r.kind = s.kind;
  r.family = static_cast<mpo_u8>(s.family);
  r.reason = reason;
  r.local_id = s.kind == MPO_KIND_JOIN ? 1 : 0;
  r.local_port = s.local_port;
  r.remote_port = s.remote_port;
  put_ip(r.local_addr, s.family, s.local);
  put_ip(r.remote_addr, s.family, s.remote);
  return r;
}

void write(const std::string &dir, const std::string &name, const std::vector<mpo_event> &records) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char *>(records.data()), static_cast<std::streamsize>(records.size() * sizeof(mpo_event)));
  std::printf("  bpf_events/%s (%zu records)\n", name.c_str(), records.size());
}
}  // namespace

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: bpf_records DIR\n");
    return 1;
  }
  const std::string dir = argv[1];
  std::filesystem::create_directories(dir);
  const uint64_t t = 5000 * kMs;

  const Subflow initial4{AF_INET, "10.0.1.2", "10.0.3.2", 40514, 8684, 0x1001, 0x5f3a91c2};
  Subflow join4{AF_INET, "10.0.2.2", "10.0.3.2", 51377, 8684, 0x1002, 0x5f3a91c2};
  join4.kind = MPO_KIND_JOIN;
  write(dir, "outbound-initial-ipv4-lifetime",
        {record(initial4, MPO_EV_SUBFLOW_CREATED, t), record(initial4, MPO_EV_SUBFLOW_ESTABLISHED, t + kMs / 10),
         record(join4, MPO_EV_SUBFLOW_CREATED, t + kMs), record(join4, MPO_EV_SUBFLOW_ESTABLISHED, t + kMs + kMs / 12),
         record(join4, MPO_EV_SUBFLOW_CLOSED, t + 900 * kMs, MPO_REASON_CLOSED),
         record(initial4, MPO_EV_SUBFLOW_CLOSED, t + 901 * kMs, MPO_REASON_CLOSED)});

  Subflow join6{AF_INET6, "fd00:2::2", "fd00:3::2", 33431, 8684, 0x2002, 0x00c0ffee};
  join6.kind = MPO_KIND_JOIN;
  write(dir, "outbound-join-ipv6-refused",
        {record(join6, MPO_EV_SUBFLOW_CREATED, t), record(join6, MPO_EV_JOIN_FAILED, t + 2 * kMs, MPO_REASON_REFUSED)});
  mpo_event reset = record(join6, MPO_EV_SUBFLOW_CLOSED, t + 40 * kMs, MPO_REASON_RESET);
  reset.reset_seen = 1;
  reset.reset_reason = 6;  // MP_RST "administratively prohibited"
  reset.tcp_error = 104;   // ECONNRESET
  write(dir, "outbound-join-ipv6-reset",
        {record(join6, MPO_EV_SUBFLOW_CREATED, t), record(join6, MPO_EV_SUBFLOW_ESTABLISHED, t + kMs), reset});

  const Subflow plain{AF_INET, "10.0.1.2", "10.0.3.2", 40600, 80, 0x3001, 0};
  write(dir, "outbound-fallback-no-mptcp",
        {record(plain, MPO_EV_SUBFLOW_CREATED, t), record(plain, MPO_EV_FALLBACK, t + kMs / 5, MPO_REASON_NO_MPTCP)});

  // A dual-stack listener's IPv4 client: AF_INET6 with ::ffff:a.b.c.d.
  Subflow mapped{AF_INET6, "::ffff:10.0.3.2", "::ffff:10.0.1.2", 8684, 40514, 0x4001, 0x11223344};
  mapped.direction = MPO_DIR_PASSIVE;
  mpo_event inbound = record(mapped, MPO_EV_SUBFLOW_ESTABLISHED, t);
  inbound.duration_ns = 93 * 1000;  // the first RTT sample
  write(dir, "inbound-ipv4-mapped-established", {inbound});

  Subflow listener{AF_INET6, "::", "::", 8684, 0, 0x5001, 0};
  listener.direction = MPO_DIR_PASSIVE;
  Subflow tcp_client{AF_INET, "10.0.3.2", "10.0.1.2", 8684, 40700, 0x5002, 0};
  tcp_client.direction = MPO_DIR_PASSIVE;
  write(dir, "inbound-listener-and-plain-client",
        {record(listener, MPO_EV_LISTENER, t), record(tcp_client, MPO_EV_FALLBACK, t + kMs, MPO_REASON_PLAIN_CLIENT)});
  return 0;
}
