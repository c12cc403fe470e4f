#pragma once
// A command's arguments, one at a time: "--flag VALUE" and "--flag=VALUE"
// alike, and a one-line error naming the command's --help when a value is
// missing. Shared by diagnose and probe.
#include <optional>
#include <string>
#include <vector>

#include "common/socket_address.h"

namespace observer::commands {

class CommandArgs {
 public:
  CommandArgs(const std::vector<std::string> &args, std::string command) : args_(args), command_(std::move(command)) {}

  // Moves to the next argument; false past the last.
  bool next() {
    if (++i_ >= args_.size()) return false;
    name_ = args_[i_];
    inline_value_.reset();
    if (const auto eq = name_.find('='); name_.starts_with("--") && eq != std::string::npos) {
      inline_value_ = name_.substr(eq + 1);
      name_.resize(eq);
    }
    return true;
  }
  // The argument: a flag's name without its "=VALUE", or a word.
  const std::string &name() const { return name_; }
  const std::string &raw() const { return args_[i_]; }
  // The flag's value as an IP address (port 0), or nullopt with `error` set.
  std::optional<SocketAddress> address_value(std::string &error) {
    const auto v = value(error);
    if (!v) return std::nullopt;
    const bool v6 = v->find(':') != std::string::npos;
    std::string why;
    auto address = parse_socket_address((v6 ? "[" + *v + "]" : *v) + ":0", why);
    if (!address) error = name_ + ": '" + *v + "' is not an IP address";
    return address;
  }
  // The flag's value, or nullopt with `error` set.
  std::optional<std::string> value(std::string &error) {
    if (inline_value_) return inline_value_;
    if (i_ + 1 >= args_.size()) {
      error = name_ + " needs a value (see " + command_ + " --help)";
      return std::nullopt;
    }
    return args_[++i_];
  }

 private:
  const std::vector<std::string> &args_;
  std::string command_;
  size_t i_ = static_cast<size_t>(-1);
  std::string name_;
  std::optional<std::string> inline_value_;
};

}  // namespace observer::commands
