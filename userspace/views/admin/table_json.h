#pragma once
// JSON for the admin API: connections of the table and live events. Pure:
// the clock offset that turns CLOCK_MONOTONIC into wall time is an input.
#include <nlohmann/json.hpp>

#include "table/connection_table.h"
#include "views/admin/connection_diagnosis.h"

namespace observer::admin {

struct Clock {
  uint64_t now_monotonic_ns = 0;
  int64_t realtime_minus_monotonic_ns = 0;
  static Clock now();
};

// With the connection's diagnosis; `setup` (this host's, may be null)
// adds what the daemon knows of its own network namespace.
nlohmann::ordered_json connection_json(const ConnectionRecord &c, const Clock &clock,
                                       const LocalSetup *setup = nullptr);
// What a page reserves for its JSON, per connection (dump_pretty): two
// subflows and a diagnosis of two findings take 1 to 2 KB, pretty-printed.
inline constexpr size_t kExpectedBytesPerConnection = 2048;

// One event of the stream as compact JSON, appended to `out`: written field
// by field rather than through nlohmann (a fixed shape, and the stream writes
// one per event: nlohmann's tree and serializer were most of its cost).
void append_event_json(std::string &out, const MptcpEvent &e, const Clock &clock);
// The same event as a JSON value (parsed from what append_event_json writes).
nlohmann::ordered_json event_json(const MptcpEvent &e, const Clock &clock);
std::string token_hex(uint32_t token);

}  // namespace observer::admin
