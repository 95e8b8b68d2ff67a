// Three stages over a cohort's cases, read -> compute -> write: one after another in one thread,
// or overlapped, a reader thread and a writer thread around the caller's (which keeps the device
// work: a GPU is chosen per thread). Both ways run each stage on each case once, in case order,
// so they compute the same thing; overlapped, bounded queues keep at most a few cases in memory.
//
// A failure at case k in any stage ends the run as it would one case after another: cases before
// k go through every stage (their files are written), no stage starts a later case, and the
// error of the earliest failing case is rethrown on the caller's thread once both threads have
// been joined. Nothing hangs and nothing reaches std::terminate.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

namespace unet3d {

// A first-in first-out queue of at most `capacity` items between two threads. close(): the
// producer is done (the consumer drains what is left); cancel(): both sides stop at once.
template <class T>
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}

  // Waits for room; false (the item dropped) once the queue is cancelled.
  bool push(T item) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return cancelled_ || items_.size() < capacity_; });
    if (cancelled_) return false;
    items_.push_back(std::move(item));
    changed_.notify_all();
    return true;
  }
  // Waits for an item; none once the queue is closed and empty, or cancelled.
  std::optional<T> pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return cancelled_ || closed_ || !items_.empty(); });
    if (cancelled_ || items_.empty()) return std::nullopt;
    std::optional<T> item(std::move(items_.front()));
    items_.pop_front();
    changed_.notify_all();
    return item;
  }
  void close() {
    set([&] { closed_ = true; });
  }
  void cancel() {
    set([&] {
      cancelled_ = true;
      items_.clear();
    });
  }

 private:
  template <class Change>
  void set(Change change) {
    const std::lock_guard lock(mutex_);
    change();
    changed_.notify_all();
  }

  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<T> items_;
  bool closed_ = false, cancelled_ = false;
};

// The earliest failing case's error, from whichever thread it came.
class FirstFailure {
 public:
  void record(std::size_t case_index, std::exception_ptr error) {
    const std::lock_guard lock(mutex_);
    if (!error_ || case_index < case_) case_ = case_index, error_ = std::move(error);
  }
  void rethrow() const {
    if (error_) std::rethrow_exception(error_);
  }

 private:
  std::mutex mutex_;
  std::size_t case_ = 0;
  std::exception_ptr error_;
};

// How many cases may wait between two stages when they overlap: read cases for the network (an
// input volume each), segmented ones for the writer (with --probabilities, C times the volume in
// float32, hence one).
struct QueueDepths {
  std::size_t read = 2, segmented = 1;
};

// write(compute(read(k))) for k = 0 ... n-1, in turn on this thread.
template <class Read, class Compute, class Write>
void run_in_turn(std::size_t n, Read read, Compute compute, Write write) {
  for (std::size_t k = 0; k < n; ++k) write(compute(read(k)));
}

// The same, overlapped: read on a thread of its own, compute on this one, write on another;
// `on_thread_start` runs first on each new thread (to share this thread's settings).
template <class Read, class Compute, class Write>
void run_overlapped(
    std::size_t n, QueueDepths depths, Read read, Compute compute, Write write,
    const std::function<void()>& on_thread_start = [] {}) {
  using ReadItem = decltype(read(std::size_t{0}));
  using ComputedItem = decltype(compute(std::declval<ReadItem>()));
  BoundedQueue<ReadItem> read_cases(depths.read);
  BoundedQueue<ComputedItem> computed_cases(depths.segmented);
  FirstFailure failure;
  std::thread reader, writer;
  // Should this thread fail to start the writer, both threads stop and are joined here rather
  // than end the process (a joinable std::thread destroyed is std::terminate).
  struct StopAndJoin {
    std::function<void()> stop;
    ~StopAndJoin() { stop(); }
  } stop_and_join{[&] {
    if (!reader.joinable() && !writer.joinable()) return;
    read_cases.cancel();
    computed_cases.cancel();
    for (std::thread* t : {&reader, &writer})
      if (t->joinable()) t->join();
  }};
  // A reading failure still lets the cases read before it through.
  reader = std::thread([&] {
    std::size_t k = 0;
    try {
      on_thread_start();
      for (; k < n; ++k)
        if (!read_cases.push(read(k))) break;
    } catch (...) {
      failure.record(k, std::current_exception());
    }
    read_cases.close();
  });
  // A writing failure ends every stage at once: nothing after it is written.
  writer = std::thread([&] {
    std::size_t k = 0;
    try {
      on_thread_start();
      for (; auto item = computed_cases.pop(); ++k) write(std::move(*item));
    } catch (...) {
      failure.record(k, std::current_exception());
      computed_cases.cancel();
      read_cases.cancel();
    }
  });
  // A computing failure stops the reader; the cases computed before it are still written.
  std::size_t k = 0;
  try {
    for (; auto item = read_cases.pop(); ++k)
      if (!computed_cases.push(compute(std::move(*item)))) break;
  } catch (...) {
    failure.record(k, std::current_exception());
    read_cases.cancel();
  }
  computed_cases.close();
  reader.join();
  writer.join();
  failure.rethrow();
}

}  // namespace unet3d
