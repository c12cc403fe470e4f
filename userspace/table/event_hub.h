#pragma once
// Fans subflow and connection events out to live subscribers (the admin
// API's event stream). Each subscriber has a bounded queue: a slow reader
// loses its own oldest events, counted, and never slows the producer.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "events/mptcp_event.h"

namespace observer {

// A published event as every subscription holds it: one copy shared by all
// of them, with room for the text a stream writes for it, which the first
// stream to write it renders once for every stream.
class PublishedEvent {
 public:
  explicit PublishedEvent(const MptcpEvent &e) : event(e) {}
  const MptcpEvent event;

  // render(event) -> std::string, called once whichever thread asks first.
  // Not std::call_once: glibc's pthread_once makes a futex call each time
  // it runs a function, which here would be a system call per event.
  template <typename Render>
  const std::string &text(Render &&render) const {
    if (!rendered_.load(std::memory_order_acquire)) {
      std::lock_guard lock(render_mu_);
      if (!rendered_.load(std::memory_order_relaxed)) {
        text_ = render(event);
        rendered_.store(true, std::memory_order_release);
      }
    }
    return text_;
  }

 private:
  mutable std::mutex render_mu_;
  mutable std::atomic<bool> rendered_{false};
  mutable std::string text_;
};
using SharedEvent = std::shared_ptr<const PublishedEvent>;

class EventHub {
 public:
  class Subscription {
   public:
    Subscription(size_t capacity, std::shared_ptr<std::atomic<uint64_t>> hub_dropped)
        : capacity_(std::max<size_t>(1, capacity)), hub_dropped_(std::move(hub_dropped)) {}
    // Waits up to `timeout` for events; returns what is queued (maybe none).
    std::vector<SharedEvent> next(std::chrono::milliseconds timeout);
    uint64_t dropped() const;

   private:
    friend class EventHub;
    void push(const SharedEvent &e);
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<SharedEvent> queue_;
    size_t capacity_;
    uint64_t dropped_ = 0;
    // The hub's total survives the subscription, so the total never goes back.
    std::shared_ptr<std::atomic<uint64_t>> hub_dropped_;
  };

  explicit EventHub(size_t max_subscribers = 64, size_t queue_capacity = 4096)
      : max_subscribers_(max_subscribers), queue_capacity_(queue_capacity) {}

  // nullptr when max_subscribers are already listening.
  std::shared_ptr<Subscription> subscribe();
  // Told true when the first subscriber arrives (before subscribe()
  // returns it) and false when the last one is released: a source that
  // costs the host something only for the stream's sake runs only while
  // someone reads the stream. Set once, before the first subscribe().
  void on_watched(std::function<void(bool watched)> tell);
  void publish(const MptcpEvent &e);
  size_t subscribers() const;
  uint64_t dropped_total() const;

 private:
  void prune();  // drops released subscriptions; with mu_ held
  mutable std::mutex mu_;
  std::vector<std::weak_ptr<Subscription>> subscribers_;
  // subscribers_.size(), readable without the lock: with nobody listening
  // (the usual case) publish() takes no lock, for it runs for every event.
  std::atomic<size_t> listed_{0};
  size_t max_subscribers_, queue_capacity_;
  std::shared_ptr<std::atomic<uint64_t>> dropped_ = std::make_shared<std::atomic<uint64_t>>(0);

  // Shared with each subscription's deleter, so a subscription released
  // after the hub is gone still finds it.
  struct Watch {
    std::mutex mu;  // one transition at a time, in order
    size_t live = 0;
    bool told = false;
    std::function<void(bool)> tell;
    void changed(int by);
  };
  std::shared_ptr<Watch> watch_ = std::make_shared<Watch>();
};

}  // namespace observer
