// The event model's names are what users read: the event stream's "type",
// the admin API's "reason" and the metrics' reason label.
#include "events/mptcp_event.h"

#include <catch2/catch.hpp>

#include <set>
#include <string>

using namespace observer;

TEST_CASE("event_type_name and reason_name give every value its own name", "[events]") {
  const EventType types[] = {EventType::subflow_created,        EventType::subflow_established,
                             EventType::subflow_closed,         EventType::join_failed,
                             EventType::fallback,               EventType::listener,
                             EventType::connection_established, EventType::connection_closed,
                             EventType::address_announced,      EventType::address_removed,
                             EventType::subflow_priority};
  std::set<std::string> type_names;
  for (const auto t : types) {
    const std::string name = event_type_name(t);
    INFO("event type " << static_cast<int>(t) << " is '" << name << "'");
    CHECK_FALSE(name.empty());
    CHECK(name != "unknown");
    type_names.insert(name);
  }
  CHECK(type_names.size() == std::size(types));

  const Reason reasons[] = {Reason::none,    Reason::closed,   Reason::reset,        Reason::refused,
                            Reason::timeout, Reason::rejected, Reason::no_mptcp,     Reason::plain_client,
                            Reason::unreachable, Reason::late, Reason::rejected_by_peer};
  std::set<std::string> reason_names;
  for (const auto r : reasons) {
    const std::string name = reason_name(r);
    INFO("reason " << static_cast<int>(r) << " is '" << name << "'");
    CHECK_FALSE(name.empty());
    reason_names.insert(name);
  }
  CHECK(reason_names.size() == std::size(reasons));
  // kAllReasons (metric label values) is every reason but none.
  CHECK(std::size(kAllReasons) == std::size(reasons) - 1);
  for (const auto r : kAllReasons) CHECK(r != Reason::none);
}
