// ScaledClock: sim time = start + (base now - base start) * scale.
#include "sim/scaled_clock.h"

namespace thaw::sim {

ScaledClock::ScaledClock(Clock& base, double scale, TimePoint start)
    : base_(base), scale_(scale > 0 ? scale : 1.0), base_start_(base.Now()), start_(start) {}

Clock::TimePoint ScaledClock::Now() const {
  auto elapsed = base_.Now() - base_start_;
  return start_ + std::chrono::duration_cast<Duration>(elapsed * scale_) +
         std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(offset_ns_.load()));
}

void ScaledClock::Advance(Duration d) {
  if (d.count() <= 0) return;
  offset_ns_ += std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

void ScaledClock::SleepFor(Duration d) {
  base_.SleepFor(std::chrono::duration_cast<Duration>(d / scale_));
}

Clock::TimePoint ScaledClock::ToBase(TimePoint t) const {
  auto sim_elapsed =
      t - start_ -
      std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(offset_ns_.load()));
  return base_start_ + std::chrono::duration_cast<Duration>(sim_elapsed / scale_);
}

bool ScaledClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                            TimePoint deadline, const std::function<bool()>& pred) {
  return base_.WaitUntil(lock, cv, ToBase(deadline), pred);
}

}  // namespace thaw::sim
