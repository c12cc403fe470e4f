#include "common/interface_addresses.h"

#include <ifaddrs.h>
#include <sys/socket.h>

#include "common/socket_address.h"

namespace observer {

std::vector<InterfaceAddress> interface_addresses() {
  std::vector<InterfaceAddress> out;
  ifaddrs *list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs *i = list; i; i = i->ifa_next) {
    if (i->ifa_addr && (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6)) {
      out.push_back({i->ifa_name, format_ip(i->ifa_addr)});
    }
  }
  freeifaddrs(list);
  return out;
}

}  // namespace observer
