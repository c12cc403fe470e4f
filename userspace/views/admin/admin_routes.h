#pragma once
// The admin API, on the loopback listener only: per-connection details name
// client addresses, which the public checker never shows.
//   GET /api/v1/connections[?limit=N&after=NETNS:TOKEN&netns=INODE]
//   GET /api/v1/events[?netns=INODE]   (server-sent events)
#include <functional>

#include "http/httplib_server.h"
#include "table/connection_table.h"
#include "table/event_hub.h"
#include "views/admin/connection_diagnosis.h"

namespace observer::admin {

inline constexpr size_t kDefaultPageSize = 1000;
inline constexpr size_t kMaxPageSize = 10000;

// `local_setup` is asked once per page of connections, for their diagnosis.
void install_admin_routes(http::HttplibServer &server, LockedConnectionTable &table, EventHub &hub,
                          std::function<LocalSetup()> local_setup);

}  // namespace observer::admin
