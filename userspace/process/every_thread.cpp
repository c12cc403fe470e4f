#include "process/every_thread.h"

#include <dirent.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace observer::process {
namespace {
// A real-time signal that nothing else in the daemon uses (glibc keeps the
// first two below SIGRTMIN for itself). Real-time signals queue, so each
// tgkill() is one delivery, and ignoring one discards it when pending.
int broadcast_signal() { return SIGRTMIN + 6; }

// Rounds of listing /proc/self/task: each catches the threads started
// during the one before, so more than two means threads keep coming.
constexpr int kMaxRounds = 16;
constexpr auto kPollInterval = std::chrono::microseconds(200);

// What the handler reads and writes: static, lock-free, so that it is
// async-signal-safe and still valid for a thread that runs it late.
std::atomic<ThreadStep> g_step{nullptr};
std::atomic<const void *> g_context{nullptr};
struct Ack {
  std::atomic<pid_t> tid{0};
  std::atomic<int> error{0};
  std::atomic<bool> ready{false};
};
// Far more than the daemon's threads (--threads is at most 1024); a thread
// whose ack finds no slot still ran the step, and is reported as missed.
constexpr size_t kSlots = 8192;
std::array<Ack, kSlots> g_acks;
std::atomic<size_t> g_acks_taken{0};
std::mutex g_one_broadcast_at_a_time;

pid_t this_thread_id() { return static_cast<pid_t>(syscall(SYS_gettid)); }

void on_broadcast_signal(int) {
  const int saved_errno = errno;
  if (const ThreadStep step = g_step.load()) {
    const int error = step(g_context.load());
    const size_t slot = g_acks_taken.fetch_add(1);
    if (slot < kSlots) {
      g_acks[slot].tid.store(this_thread_id());
      g_acks[slot].error.store(error);
      g_acks[slot].ready.store(true);
    }
  }
  errno = saved_errno;
}

bool thread_alive(pid_t tid) { return access(("/proc/self/task/" + std::to_string(tid)).c_str(), F_OK) == 0; }
}  // namespace

std::vector<pid_t> list_threads() {
  std::vector<pid_t> tids;
  if (DIR *d = opendir("/proc/self/task")) {
    while (const dirent *e = readdir(d)) {
      if (e->d_name[0] >= '1' && e->d_name[0] <= '9') tids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    }
    closedir(d);
  }
  return tids;
}

EveryThreadResult run_on_every_thread(ThreadStep step, const void *context, std::chrono::milliseconds patience) {
  std::lock_guard one(g_one_broadcast_at_a_time);
  EveryThreadResult result;
  if (const int error = step(context)) {
    result.error = error;
    return result;
  }
  result.threads = 1;

  const int signal_number = broadcast_signal();
  struct sigaction action{}, previous{};
  action.sa_handler = on_broadcast_signal;
  // Interrupted system calls restart where the kernel allows it; those
  // that never restart (epoll_wait, poll, nanosleep) fail with EINTR,
  // which every loop of the daemon retries.
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  // Borrow the signal only if nobody handles it.
  if (sigaction(signal_number, nullptr, &previous) != 0) {
    result.error = errno;
    return result;
  }
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    result.error = EBUSY;
    return result;
  }
  g_context.store(context);
  g_step.store(step);
  if (sigaction(signal_number, &action, nullptr) != 0) {
    result.error = errno;
    g_step.store(nullptr);
    return result;
  }

  const pid_t process = getpid();
  std::set<pid_t> done{this_thread_id()};
  size_t next_ack = g_acks_taken.load();
  const auto deadline = std::chrono::steady_clock::now() + patience;
  const auto collect_acks = [&](std::set<pid_t> &waiting) {
    for (; next_ack < std::min(g_acks_taken.load(), kSlots) && g_acks[next_ack].ready.load(); ++next_ack) {
      const pid_t tid = g_acks[next_ack].tid.load();
      if (const int error = g_acks[next_ack].error.load(); error && !result.error) result.error = error;
      if (done.insert(tid).second) ++result.threads;
      waiting.erase(tid);
    }
  };
  std::set<pid_t> waiting;
  for (int round = 0; round < kMaxRounds; ++round) {
    waiting.clear();
    for (const pid_t tid : list_threads()) {
      if (done.count(tid)) continue;
      // ESRCH: it ended since the listing. EAGAIN (the queue of pending
      // real-time signals is full): the next round tries again.
      if (syscall(SYS_tgkill, process, tid, signal_number) == 0) waiting.insert(tid);
    }
    if (waiting.empty()) break;
    while (!waiting.empty() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(kPollInterval);
      collect_acks(waiting);
      for (auto it = waiting.begin(); it != waiting.end();) it = thread_alive(*it) ? std::next(it) : waiting.erase(it);
    }
    if (!waiting.empty()) break;  // out of patience
  }
  result.missed.assign(waiting.begin(), waiting.end());

  // Ignoring the signal discards it where it is still pending, so a late
  // thread can never meet the default action (which ends the process);
  // then the disposition goes back to what it was.
  struct sigaction ignore{};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(signal_number, &ignore, nullptr);
  sigaction(signal_number, &previous, nullptr);
  g_step.store(nullptr);
  return result;
}

}  // namespace observer::process
