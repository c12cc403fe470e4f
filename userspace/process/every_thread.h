#pragma once
// Runs one step on every thread of this process, each thread on itself.
//
// A thread's credentials are its own: capset(2), prctl(PR_CAPBSET_DROP) and
// prctl(PR_SET_NO_NEW_PRIVS) change the calling thread only, and a thread
// keeps the copy it was started with. By the time the daemon has loaded
// BPF and opened its listeners, the BPF consumer, the path-manager
// listener, the reconciler and every HTTP loop and worker hold a copy of
// all its capabilities; a drop on the main thread alone would leave them
// there, on the very threads that parse what the network sends. glibc
// solves the same problem for setuid() (it signals every thread, whose
// handler makes the call), and so does this.
//
// Threads are found in /proc/self/task, listed again after each round
// until a listing shows none that has not run the step: one started
// meanwhile by a thread that had not run it yet is caught by the next
// round, and one started by a thread that had inherits the result. A
// thread that blocks real-time signals (none of ours does) cannot be
// reached, and comes back in `missed`.
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <vector>

namespace observer::process {

// Runs in a signal handler on the other threads: async-signal-safe only
// (system calls, no allocation, no locks), idempotent, returns 0 or an
// errno. `context` must outlive every thread (static storage): a thread
// that was too slow may still run the step after the call returned.
using ThreadStep = int (*)(const void *context);

struct EveryThreadResult {
  size_t threads = 0;         // threads that ran the step, the caller's included
  int error = 0;              // the first errno a step returned; 0 when all succeeded
  std::vector<pid_t> missed;  // threads still alive that did not run it within `patience`
};

// Runs `step` on the calling thread first (on failure, nowhere else), then
// on every other thread. One call at a time per process.
EveryThreadResult run_on_every_thread(ThreadStep step, const void *context, std::chrono::milliseconds patience);

// The thread ids in /proc/self/task.
std::vector<pid_t> list_threads();

}  // namespace observer::process
