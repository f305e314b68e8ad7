// ScaledClock: the sim's time, running `scale` times faster than a base clock.
//
// Restore durations, expiries and object timestamps are computed on this clock, so with
// --time-scale 3600 a 4-hour Glacier restore completes in 4 real seconds. The clock starts at
// `start` (the sim time persisted by a previous run, or the base clock's now) so that a restarted
// sim never moves backwards relative to the restore dates it stored.
//
// Advance() jumps the clock forward (admin endpoint `POST /_thaw/time?advance=48h`), so a test or a
// demo can skip days without waiting.
//
// Thread safety: all methods may be called from any thread (the offset is atomic).
#pragma once

#include <atomic>

#include "common/clock.h"

namespace thaw::sim {

class ScaledClock : public Clock {
 public:
  ScaledClock(Clock& base, double scale, TimePoint start);

  TimePoint Now() const override;
  void SleepFor(Duration d) override;  // sleeps d / scale of base time
  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 TimePoint deadline, const std::function<bool()>& pred) override;

  double scale() const { return scale_; }
  // Moves sim time forward by `d` (negative values are ignored: time never runs backwards).
  void Advance(Duration d);
  // The base-clock time at which this clock reaches `t` (for timers on real time).
  TimePoint ToBase(TimePoint t) const;

 private:
  Clock& base_;
  double scale_;
  TimePoint base_start_;
  TimePoint start_;
  std::atomic<int64_t> offset_ns_{0};  // sum of Advance() calls
};

}  // namespace thaw::sim
