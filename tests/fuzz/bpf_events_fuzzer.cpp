// Ring-buffer records as the BPF source consumes them: the input is cut into
// records of sizeof(mpo_event), each decoded and timed by OutboundHandshakes
// in order, as the one consumer thread does.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "fuzz_input.h"
#include "mptcp_events.h"
#include "sources/bpf/outbound_handshakes.h"
#include "sources/bpf/event_record_decode.h"

using namespace observer;

namespace {
bool v4_mapped(const mpo_u8 *a) {
  static const mpo_u8 prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a, prefix, sizeof prefix) == 0;
}

// What the decoder must have made of a record it accepted.
void check_decoded(const mpo_event &raw, const MptcpEvent &e) {
  FUZZ_CHECK(raw.type >= MPO_EV_SUBFLOW_CREATED && raw.type <= MPO_EV_LISTENER);
  FUZZ_CHECK(raw.reason < MPO_REASON_COUNT);
  FUZZ_CHECK(std::string_view(event_type_name(e.type)) != "unknown");
  (void)reason_name(e.reason);
  FUZZ_CHECK(e.cookie == raw.cookie && e.token == raw.token && e.timestamp_ns == raw.timestamp_ns);
  // IPv4 peers of a dual-stack socket come out as IPv4, both ends alike.
  const int family = raw.family == AF_INET6 && v4_mapped(raw.remote_addr) ? AF_INET : raw.family;
  FUZZ_CHECK(e.local.family() == family && e.remote.family() == family);
  FUZZ_CHECK(port_of(e.local.get()) == raw.local_port && port_of(e.remote.get()) == raw.remote_port);
  (void)format_endpoint(e.local);
  (void)format_endpoint(e.remote);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const auto input = std::as_bytes(std::span(data, size));
  // Anything but exactly one record is refused whole.
  if (size != sizeof(mpo_event)) {
    MptcpEvent refused;
    FUZZ_CHECK(!bpf::decode_event(input, refused));
  }

  bpf::OutboundHandshakes handshakes;
  for (size_t at = 0; at + sizeof(mpo_event) <= size; at += sizeof(mpo_event)) {
    const auto record = input.subspan(at, sizeof(mpo_event));
    MptcpEvent event;
    if (!bpf::decode_event(record, event)) continue;
    mpo_event raw;
    std::memcpy(&raw, record.data(), sizeof raw);
    check_decoded(raw, event);

    const uint64_t before = event.duration_ns;
    handshakes.on_event(event);
    // Only an outbound handshake's end gets a duration, and only one that
    // fits between the SYN and this event.
    if (event.duration_ns != before) {
      FUZZ_CHECK(before == 0 && event.direction == Direction::outbound);
      FUZZ_CHECK(event.type == EventType::subflow_established || event.type == EventType::fallback ||
                 event.type == EventType::join_failed);
      FUZZ_CHECK(event.duration_ns <= event.timestamp_ns);
    }
    FUZZ_CHECK(handshakes.pending() <= bpf::OutboundHandshakes::kMaxPending);
  }
  return 0;
}
