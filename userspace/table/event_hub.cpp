#include "table/event_hub.h"

#include <algorithm>

namespace observer {

void EventHub::Subscription::push(const SharedEvent &e) {
  {
    std::lock_guard lock(mu_);
    if (queue_.size() >= capacity_) {
      queue_.pop_front();
      ++dropped_;
      ++*hub_dropped_;
    }
    queue_.push_back(e);
  }
  cv_.notify_one();
}

std::vector<SharedEvent> EventHub::Subscription::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty(); });
  std::vector<SharedEvent> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

uint64_t EventHub::Subscription::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

std::shared_ptr<EventHub::Subscription> EventHub::subscribe() {
  std::lock_guard lock(mu_);
  prune();
  if (subscribers_.size() >= max_subscribers_) return nullptr;
  auto made = std::make_unique<Subscription>(queue_capacity_, dropped_);
  watch_->changed(+1);
  // Should the shared_ptr fail to allocate, it calls the deleter: counted down again.
  std::shared_ptr<Subscription> s(made.release(), [watch = watch_](Subscription *gone) {
    delete gone;
    watch->changed(-1);
  });
  subscribers_.push_back(s);
  listed_.store(subscribers_.size(), std::memory_order_release);
  return s;
}

void EventHub::on_watched(std::function<void(bool)> tell) {
  std::lock_guard lock(watch_->mu);
  watch_->tell = std::move(tell);
}

void EventHub::Watch::changed(int by) {
  std::lock_guard lock(mu);
  live = static_cast<size_t>(static_cast<long>(live) + by);
  const bool watched = live > 0;
  if (watched == told) return;
  told = watched;
  if (tell) tell(watched);
}

void EventHub::publish(const MptcpEvent &e) {
  if (listed_.load(std::memory_order_acquire) == 0) return;
  std::lock_guard lock(mu_);
  SharedEvent shared;  // made only when someone listens
  bool gone = false;
  for (const auto &w : subscribers_) {
    if (auto s = w.lock()) {
      if (!shared) shared = std::make_shared<const PublishedEvent>(e);
      s->push(shared);
    } else {
      gone = true;
    }
  }
  if (gone) prune();
}

void EventHub::prune() {
  subscribers_.erase(std::remove_if(subscribers_.begin(), subscribers_.end(),
                                    [](const auto &w) { return w.expired(); }),
                     subscribers_.end());
  listed_.store(subscribers_.size(), std::memory_order_release);
}

size_t EventHub::subscribers() const {
  std::lock_guard lock(mu_);
  return static_cast<size_t>(std::count_if(subscribers_.begin(), subscribers_.end(),
                                           [](const auto &w) { return !w.expired(); }));
}

uint64_t EventHub::dropped_total() const { return dropped_->load(); }

}  // namespace observer
