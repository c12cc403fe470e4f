#include "sources/procfs/host_sampler.h"

#include <algorithm>

#include "common/log.h"

namespace observer::procfs {

HostSampler::HostSampler(std::vector<std::string> counters, std::chrono::milliseconds interval, HostReaders readers,
                         Clock::time_point now)
    : counters_(std::move(counters)), interval_(interval), readers_(std::move(readers)) {
  last_attempt_ = now.time_since_epoch().count();
  refresh(now);
}

void HostSampler::refresh(Clock::time_point now) {
  std::string error;
  auto mib = readers_.mib(error);
  auto path_manager = readers_.path_manager();
  if (!mib) {
    // Logged once: the checker answers without the counters until they come back.
    if (!error_logged_) log::warn("checker", "diagnosis without kernel MPTCP counters: " + error);
    error_logged_ = true;
  }
  Sample s;
  if (mib) {
    s.at = now;
    s.values.resize(counters_.size());
    for (const auto &[name, value] : *mib) {
      const auto it = std::find(counters_.begin(), counters_.end(), name);
      if (it != counters_.end()) s.values[it - counters_.begin()] = value;
    }
  }
  std::lock_guard lock(mu_);
  generation_.fetch_add(1, std::memory_order_release);
  path_manager_ = std::move(path_manager);
  if (!mib) return;
  samples_.push_back(std::move(s));
  if (samples_.size() > kKeptSamples) samples_.pop_front();
}

HostSampler::View HostSampler::since(Clock::time_point since, Clock::time_point now) {
  const auto stale_before = (now - interval_).time_since_epoch().count();
  if (last_attempt_.load(std::memory_order_relaxed) <= stale_before) {
    // A thread that finds another one reading goes on with the samples
    // there are: at most one interval old, like any other answer's.
    std::unique_lock reading(refresh_mu_, std::try_to_lock);
    if (reading.owns_lock() && last_attempt_.load(std::memory_order_relaxed) <= stale_before) {
      last_attempt_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
      refresh(now);
    }
  }
  thread_local Answered last;
  if (last.sampler == id_ && last.generation == generation_.load(std::memory_order_acquire) && since >= last.from &&
      since < last.until) {
    return last.view;
  }
  View view;
  std::lock_guard lock(mu_);
  view.path_manager = path_manager_;
  if (samples_.empty()) return view;
  // The newest sample at or before `since`: samples are in time order.
  auto after = std::upper_bound(samples_.begin(), samples_.end(), since,
                                [](Clock::time_point t, const Sample &s) { return t < s.at; });
  const Sample &base = after == samples_.begin() ? samples_.front() : *std::prev(after);
  const Sample &last_sample = samples_.back();
  Rises r;
  r.span = last_sample.at - base.at;
  r.rises.reserve(counters_.size());
  for (size_t i = 0; i < counters_.size(); ++i) {
    if (!last_sample.values[i]) continue;
    const uint64_t from = base.values[i].value_or(0), to = *last_sample.values[i];
    r.rises.emplace_back(counters_[i], to > from ? to - from : 0);
  }
  view.counters = std::move(r);
  last.sampler = id_;
  last.generation = generation_.load(std::memory_order_relaxed);
  last.from = after == samples_.begin() ? Clock::time_point::min() : base.at;
  last.until = after == samples_.end() ? Clock::time_point::max() : after->at;
  last.view = view;
  return view;
}

uint64_t HostSampler::next_id() {
  static std::atomic<uint64_t> ids{0};
  return ++ids;
}

}  // namespace observer::procfs
