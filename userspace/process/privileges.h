#pragma once
// Least privilege once the daemon serves. Loading and attaching BPF,
// creating its maps and binding the listeners need capabilities that the
// running daemon never uses again (CAP_BPF, CAP_PERFMON, CAP_SYS_RESOURCE,
// CAP_NET_BIND_SERVICE, ...), while its public port parses what anyone
// sends. drop_privileges_after_start() keeps only what the running sources
// use (capabilities_to_keep() says which and why), in the effective,
// permitted, inheritable, ambient and bounding sets of every thread, and
// sets no_new_privs on every thread.
namespace observer::process {

struct RunningSources {
  bool bpf = false;  // the BPF source loaded and attached
};

// Logs one info line naming what was kept and why. A process that holds
// little or nothing (not root) keeps what it has of the kept set and
// carries on; a failure to drop is logged and start-up carries on with the
// capabilities it had. False when some thread still holds more than the
// kept set, or lacks no_new_privs.
bool drop_privileges_after_start(RunningSources sources);

}  // namespace observer::process
