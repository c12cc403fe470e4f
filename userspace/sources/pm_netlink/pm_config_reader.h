#pragma once
// Asks the in-kernel path manager of this process's network namespace for
// its limits and endpoints, what `ip mptcp limits show` and `ip mptcp
// endpoint show` print: the configuration that explains missing subflows.
// One short-lived socket per call, for scrape time. Neither question needs
// a privilege.
#include <optional>
#include <string>

#include "sources/pm_netlink/pm_config_messages.h"

namespace observer::pm {

struct PathManagerConfig {
  std::optional<PmLimits> limits;
  std::optional<std::vector<Endpoint>> endpoints;
  std::string error;  // one line: why a part is missing; empty when both were read
};

PathManagerConfig read_path_manager_config();

}  // namespace observer::pm
