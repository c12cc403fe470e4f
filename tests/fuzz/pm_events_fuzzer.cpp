// Path-manager netlink as the pm_netlink source reads it: the generic
// netlink controller's answer that resolves "mptcp_pm" (first part,
// fuzz_input.h), then one datagram of events decoded with the family id that
// answer gave, and each event translated for the event stream.
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "fuzz_input.h"
#include "sources/pm_netlink/pm_event_decode.h"
#include "sources/pm_netlink/pm_event_translate.h"

using namespace observer;
using namespace observer::pm;
using observer::fuzz::InputParts;

namespace {
// When the first part resolves no family, the datagram's own first message
// names it: a mangled family answer then still lets the event decoder run.
uint16_t first_message_type(std::span<const uint8_t> datagram) {
  nlmsghdr h{};
  if (datagram.size() >= sizeof h) std::memcpy(&h, datagram.data(), sizeof h);
  return h.nlmsg_type;
}

bool is_listener(PathManagerEventType t) {
  return t == PathManagerEventType::listener_created || t == PathManagerEventType::listener_closed;
}

void check_address(const std::optional<SocketAddress> &a) {
  if (!a) return;
  FUZZ_CHECK(a->family() == AF_INET || a->family() == AF_INET6);
  (void)format_endpoint(*a);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  InputParts parts(data, size);
  const auto family_answer = parts.next();
  const auto datagram = parts.rest();

  const FamilyReply reply = parse_family_reply(family_answer);
  // Exactly one outcome: the family, the controller's refusal, or why not.
  FUZZ_CHECK(int(reply.family.has_value()) + int(reply.kernel_errno != 0) + int(!reply.error.empty()) == 1);

  const uint16_t family_id = reply.family ? reply.family->id : first_message_type(datagram);
  const DecodedDatagram decoded = decode_pm_events(datagram, family_id);
  // Every message takes at least a header and each is counted once, plus
  // one for a datagram that ends inside a message.
  const size_t counted = decoded.events.size() + decoded.malformed + decoded.unknown + decoded.ignored;
  FUZZ_CHECK(counted <= datagram.size() / NLMSG_HDRLEN + 1);
  // An event needs a genetlink header after its netlink one.
  FUZZ_CHECK(decoded.events.size() <= datagram.size() / (NLMSG_HDRLEN + GENL_HDRLEN));

  for (const auto &e : decoded.events) {
    // A connection event names its connection; only listeners have none.
    if (!is_listener(e.type)) FUZZ_CHECK(e.token.has_value());
    FUZZ_CHECK(std::string_view(pm_event_type_name(e.type)) != "unknown");
    check_address(e.local);
    check_address(e.remote);

    const auto streamed = to_stream_event(e);
    const bool streamable = e.type == PathManagerEventType::announced || e.type == PathManagerEventType::removed ||
                            e.type == PathManagerEventType::subflow_priority;
    FUZZ_CHECK(streamed.has_value() == streamable);
    if (streamed) {
      FUZZ_CHECK(streamed->token == *e.token);
      FUZZ_CHECK(streamed->backup == e.backup.value_or(false));
      (void)event_type_name(streamed->type);
    }
  }
  return 0;
}
