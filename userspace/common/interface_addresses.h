#pragma once
// The IP addresses of this host's interfaces, in the calling thread's
// network namespace (getifaddrs), for the commands that compare a
// subflow's or an endpoint's address with what the host has.
#include <string>
#include <vector>

namespace observer {

struct InterfaceAddress {
  std::string interface;  // "eth0"
  std::string ip;         // as format_ip writes it
};

// Every IPv4 and IPv6 address, in the kernel's order; empty when the list
// cannot be read.
std::vector<InterfaceAddress> interface_addresses();

}  // namespace observer
