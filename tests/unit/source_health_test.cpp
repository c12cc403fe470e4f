// The admin /healthz's "sources": the same snapshot /metrics renders, as
// JSON, with counters for what runs and a reason for what does not.
#include <catch2/catch.hpp>

#include "views/health_routes.h"

using namespace observer;

TEST_CASE("sources_json shows each running source's counters", "[source_health]") {
  SourceHealth h;
  h.bpf = {.loaded = true, .up = true, .cgroup = "/sys/fs/cgroup", .reads = "typed", .events = 10, .lost = 1,
           .malformed = 2};
  h.sock_diag = {.up = true, .runs = 3, .namespaces = 2, .repairs = 7, .reason = ""};
  h.getsockopt.up = true;
  h.pm_netlink = {.up = true, .listening = false, .namespaces = 2, .events = 5, .overruns = 1, .reason = ""};
  h.tracked_connections = 4;
  h.table_overflow = 9;  // a metric only
  CHECK(sources_json(h).dump() ==
        R"({"bpf":{"active":true,"cgroup":"/sys/fs/cgroup","reads":"typed","events":10,"lost":1},)"
        R"("sock_diag":{"active":true,"runs":3,"namespaces":2},)"
        R"("getsockopt":{"active":true},)"
        R"("pm_netlink":{"active":true,"namespaces":2,"listening":false,"events":5,"overruns":1},)"
        R"("tracked_connections":4})");
}

TEST_CASE("sources_json says why a source is off", "[source_health]") {
  SourceHealth h;
  h.bpf.reason = "disabled by --no-bpf";
  h.sock_diag = {.up = false, .runs = 1, .namespaces = 0, .repairs = 0, .reason = "sock_diag: EPERM"};
  h.pm_netlink.reason = "no CAP_NET_ADMIN";
  h.pm_netlink.events = 3;  // counted before it stopped: /metrics shows it, /healthz does not
  CHECK(sources_json(h).dump() ==
        R"({"bpf":{"active":false,"reason":"disabled by --no-bpf"},)"
        R"("sock_diag":{"active":false,"runs":1,"namespaces":0,"reason":"sock_diag: EPERM"},)"
        R"("getsockopt":{"active":false},)"
        R"("pm_netlink":{"active":false,"reason":"no CAP_NET_ADMIN"},)"
        R"("tracked_connections":0})");
}
