#include "sources/pm_netlink/pm_event_translate.h"

namespace observer::pm {

std::optional<MptcpEvent> to_stream_event(const PathManagerEvent &pm) {
  MptcpEvent e;
  switch (pm.type) {
    case PathManagerEventType::announced: e.type = EventType::address_announced; break;
    case PathManagerEventType::removed: e.type = EventType::address_removed; break;
    case PathManagerEventType::subflow_priority: e.type = EventType::subflow_priority; break;
    default: return std::nullopt;
  }
  if (!pm.token) return std::nullopt;
  e.netns = pm.netns;
  e.timestamp_ns = pm.timestamp_ns;
  e.token = *pm.token;
  e.local_id = pm.local_id.value_or(0);
  e.remote_id = pm.remote_id.value_or(0);
  if (pm.local) e.local = *pm.local;
  if (pm.remote) e.remote = *pm.remote;
  e.backup = pm.backup.value_or(false);
  if (pm.ifindex && *pm.ifindex > 0) e.ifindex = static_cast<uint32_t>(*pm.ifindex);
  return e;
}

}  // namespace observer::pm
