// Token bucket on the injected clock (see limiter.h).
#include "restore/limiter.h"

#include <algorithm>
#include <cmath>

namespace thaw::restore {

TokenBucket::TokenBucket(Clock& clock, double rate_per_second, double burst)
    : clock_(clock),
      rate_(rate_per_second),
      burst_(std::max(1.0, burst)),
      tokens_(std::max(1.0, burst)),
      last_(clock.Now()) {}

void TokenBucket::RefillLocked(Clock::TimePoint now) {
  if (now <= last_) return;  // a clock stepping back adds nothing
  double elapsed_s = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed_s * rate_);
  last_ = now;
}

Clock::TimePoint TokenBucket::Reserve() {
  Clock::TimePoint now = clock_.Now();
  if (rate_ <= 0) return now;
  std::lock_guard<std::mutex> g(mu_);
  RefillLocked(now);
  tokens_ -= 1;
  if (tokens_ >= 0) return now;
  // -tokens_ tokens are owed (this one included); they arrive at `rate_` per second.
  auto wait = std::chrono::duration<double>(-tokens_ / rate_);
  return now + std::chrono::ceil<Clock::Duration>(wait);
}

bool TokenBucket::TryAcquire() {
  Clock::TimePoint now = clock_.Now();
  if (rate_ <= 0) return true;
  std::lock_guard<std::mutex> g(mu_);
  RefillLocked(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

}  // namespace thaw::restore
