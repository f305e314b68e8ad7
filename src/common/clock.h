// Clock: the only road to the current time and to sleeping.
//
// Engine, tracker, retries and the sim take a Clock& so that tests can run a 12-hour Deep Archive
// restore in milliseconds with a FakeClock. Only clock.cc reads the system clock or sleeps.
// Waits with a deadline go through the clock as well (WaitUntil), so a FakeClock wakes them
// when it advances past the deadline.
//
// Thread safety: all methods of both implementations may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>

namespace thaw {

class Clock {
 public:
  using TimePoint = std::chrono::system_clock::time_point;
  using Duration = std::chrono::nanoseconds;

  virtual ~Clock() = default;

  // Wall-clock time (UTC). The fake clock's time only moves when told.
  virtual TimePoint Now() const = 0;

  // Blocks the caller for `d` of this clock's time.
  virtual void SleepFor(Duration d) = 0;

  // Waits on `cv` (whose mutex `lock` holds) until `pred()` is true or this clock reaches
  // `deadline`. Returns the final value of `pred()`. Spurious wake-ups are handled here.
  virtual bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                         TimePoint deadline, const std::function<bool()>& pred) = 0;

  // The process-wide real clock.
  static Clock& Real();
};

// A duration as fractional seconds (FUSE timeouts, rates per second).
inline double ToSeconds(Clock::Duration d) {
  return std::chrono::duration<double>(d).count();
}

// A clock that moves only when Advance() or SetTime() is called (or, with auto_advance, when
// someone sleeps: SleepFor then advances the time itself and returns at once, and WaitUntil
// jumps to its deadline unless the predicate already holds, which suits single-threaded retry
// tests).
class FakeClock : public Clock {
 public:
  explicit FakeClock(TimePoint start = TimePoint(std::chrono::seconds(1700000000)),
                     bool auto_advance = false);

  TimePoint Now() const override;
  void SleepFor(Duration d) override;
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 TimePoint deadline, const std::function<bool()>& pred) override;

  void Advance(Duration d);
  void SetTime(TimePoint t);

  // Total time spent in SleepFor (useful to assert backoff schedules).
  Duration total_slept() const;
  // Number of threads currently blocked in SleepFor or WaitUntil.
  int waiters() const;

 private:
  void NotifyAll();

  mutable std::mutex mu_;  // guards now_, slept_, waiters_, cvs_
  std::condition_variable advanced_;
  TimePoint now_;
  bool auto_advance_;
  Duration slept_{0};
  int waiters_ = 0;
  std::multiset<std::condition_variable*> cvs_;
};

}  // namespace thaw
