#pragma once
// Command-line flags: parsed here, checked here, and explained in --help.
#include <optional>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/socket_address.h"

namespace observer {

struct Options {
  std::vector<SocketAddress> checker_listen;  // default [::]:8684
  size_t threads = 16;
  size_t max_connections = 20000;
  log::Level log_level = log::Level::info;
};

struct ParsedOptions {
  Options options;
  bool show_help = false;
  bool show_version = false;
  std::string error;  // one line saying what to change; empty when fine
};

ParsedOptions parse_options(const std::vector<std::string> &args);
std::string help_text(const std::string &program);

}  // namespace observer
