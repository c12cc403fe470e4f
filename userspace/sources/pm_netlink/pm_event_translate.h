#pragma once
// Which path-manager events the event stream carries, and in what words.
// BPF already tells of connections and subflows coming and going, with more
// detail; the path manager alone knows of addresses announced and removed
// and of priority changes, so only those become stream events.
#include <optional>
#include <vector>

#include "events/mptcp_event.h"
#include "sources/pm_netlink/pm_event.h"

namespace observer::pm {

// The path-manager events to_stream_event() translates: the only ones worth
// receiving at all.
inline const std::vector<PathManagerEventType> kStreamedEventTypes = {
    PathManagerEventType::announced, PathManagerEventType::removed, PathManagerEventType::subflow_priority};

std::optional<MptcpEvent> to_stream_event(const PathManagerEvent &e);

}  // namespace observer::pm
