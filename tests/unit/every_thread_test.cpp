// run_on_every_thread reaches threads that already run, whatever they are
// blocked in, and leaves them working. Real threads and real signals; no
// root needed. The last case sets no_new_privs on this test process, which
// changes nothing for the other cases (none executes a program).
#include "process/every_thread.h"

#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/read_file.h"
#include "common/unique_fd.h"
#include "process/capabilities.h"

using namespace observer;
using namespace observer::process;
using namespace std::chrono_literals;

namespace {
// Where each thread's run of the step is written down: static, lock-free,
// as a signal handler needs it.
std::array<std::atomic<pid_t>, 64> g_ran;
std::atomic<size_t> g_ran_count{0};
int g_context = 0;

int record_thread(const void *) {
  const size_t slot = g_ran_count.fetch_add(1);
  if (slot < g_ran.size()) g_ran[slot].store(static_cast<pid_t>(syscall(SYS_gettid)));
  return 0;
}

std::vector<pid_t> recorded() {
  std::vector<pid_t> out;
  for (size_t i = 0; i < std::min(g_ran_count.load(), g_ran.size()); ++i) out.push_back(g_ran[i].load());
  std::sort(out.begin(), out.end());
  return out;
}

int fail_with_eperm(const void *) { return EPERM; }
int set_no_new_privs(const void *) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno; }

// Threads parked the ways the daemon's threads wait: a condition variable
// (workers, reconciler), a blocking read (a socket without timeout), a
// sleep. Each says its thread id, and after the broadcast proves that it
// still works by finishing its wait normally.
struct ParkedThreads {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  int pipe_fds[2] = {-1, -1};
  std::atomic<bool> stop_sleeping{false};
  std::atomic<int> finished{0};
  std::vector<pid_t> tids;
  std::vector<std::thread> threads;

  ParkedThreads() {
    REQUIRE(pipe(pipe_fds) == 0);
    std::atomic<int> started{0};
    std::mutex tid_mu;
    auto remember = [&] {
      std::lock_guard lock(tid_mu);
      tids.push_back(static_cast<pid_t>(syscall(SYS_gettid)));
      ++started;
    };
    threads.emplace_back([&, remember] {
      remember();
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return release; });
      ++finished;
    });
    threads.emplace_back([&, remember] {
      remember();
      char byte = 0;
      // SA_RESTART: the read resumes after the handler and gets the byte.
      if (read(pipe_fds[0], &byte, 1) == 1 && byte == 'x') ++finished;
    });
    threads.emplace_back([&, remember] {
      remember();
      // Each sleep retries EINTR for the time left; the loop keeps the
      // thread alive however late the broadcast comes.
      while (!stop_sleeping) std::this_thread::sleep_for(50ms);
      ++finished;
    });
    while (started < 3) std::this_thread::sleep_for(1ms);
    std::this_thread::sleep_for(20ms);  // let each reach its wait
  }
  void finish() {
    {
      std::lock_guard lock(mu);
      release = true;
    }
    cv.notify_all();
    stop_sleeping = true;
    REQUIRE(write(pipe_fds[1], "x", 1) == 1);
    for (auto &t : threads) t.join();
    close(pipe_fds[0]);
    close(pipe_fds[1]);
  }
};
}  // namespace

TEST_CASE("run_on_every_thread runs the step once on each thread, the caller's first", "[every_thread]") {
  ParkedThreads parked;
  g_ran_count = 0;
  const auto result = run_on_every_thread(record_thread, &g_context, 5000ms);
  const auto ran = recorded();
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  CHECK(result.error == 0);
  CHECK(result.missed.empty());
  CHECK(g_ran[0].load() == self);
  for (const pid_t tid : parked.tids) {
    INFO("thread " << tid);
    CHECK(std::count(ran.begin(), ran.end(), tid) == 1);
  }
  // Every thread of the process, and only those: Catch2 may have none of
  // its own, but whatever /proc/self/task lists must have run it.
  auto listed = list_threads();
  std::sort(listed.begin(), listed.end());
  CHECK(ran == listed);
  CHECK(result.threads == listed.size());
  parked.finish();
  CHECK(parked.finished == 3);
}

TEST_CASE("run_on_every_thread stops at the caller when the step fails there", "[every_thread]") {
  ParkedThreads parked;
  g_ran_count = 0;
  const auto result = run_on_every_thread(fail_with_eperm, &g_context, 5000ms);
  CHECK(result.error == EPERM);
  CHECK(result.threads == 0);
  parked.finish();
  CHECK(parked.finished == 3);
}

TEST_CASE("a per-thread setting reaches threads started before it: no_new_privs", "[every_thread]") {
  // The pitfall this exists for: prctl() on one thread leaves the others
  // as they were, as /proc/self/task/*/status shows.
  ParkedThreads parked;
  const auto result = run_on_every_thread(set_no_new_privs, &g_context, 5000ms);
  CHECK(result.error == 0);
  for (const pid_t tid : list_threads()) {
    const auto status = read_small_file(("/proc/self/task/" + std::to_string(tid) + "/status").c_str());
    const auto caps = parse_status_capabilities(status);
    INFO("thread " << tid);
    REQUIRE(caps.has_value());
    CHECK(caps->no_new_privs);
  }
  parked.finish();
  CHECK(parked.finished == 3);
}
