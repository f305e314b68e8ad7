// Token bucket and adaptive rate on the injected clock (see limiter.h).
#include "restore/limiter.h"

#include <algorithm>
#include <cmath>

namespace thaw::restore {
namespace {

// The send rate is measured over intervals of this length (the SDKs use half a second).
constexpr auto kMeasureInterval = std::chrono::milliseconds(500);

}  // namespace

TokenBucket::TokenBucket(Clock& clock, double rate_per_second, double burst)
    : clock_(clock),
      rate_(rate_per_second),
      burst_(std::max(1.0, burst)),
      tokens_(std::max(1.0, burst)),
      last_(clock.Now()) {}

void TokenBucket::RefillLocked(Clock::TimePoint now) {
  if (now <= last_) return;  // a clock stepping back adds nothing
  if (rate_ > 0) tokens_ = std::min(burst_, tokens_ + ToSeconds(now - last_) * rate_);
  last_ = now;
}

Clock::TimePoint TokenBucket::Reserve() {
  Clock::TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> g(mu_);
  if (rate_ <= 0) return now;
  RefillLocked(now);
  tokens_ -= 1;
  if (tokens_ >= 0) return now;
  // -tokens_ tokens are owed (this one included); they arrive at `rate_` per second.
  auto wait = std::chrono::duration<double>(-tokens_ / rate_);
  return now + std::chrono::ceil<Clock::Duration>(wait);
}

bool TokenBucket::TryAcquire() {
  Clock::TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> g(mu_);
  if (rate_ <= 0) return true;
  RefillLocked(now);
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

void TokenBucket::SetRate(double rate_per_second, double burst) {
  Clock::TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> g(mu_);
  RefillLocked(now);  // what accrued so far accrued at the old rate
  if (rate_ <= 0 && rate_per_second > 0) tokens_ = std::max(1.0, burst);  // was unlimited
  rate_ = rate_per_second;
  burst_ = std::max(1.0, burst);
  tokens_ = std::min(tokens_, burst_);
}

double TokenBucket::rate() const {
  std::lock_guard<std::mutex> g(mu_);
  return rate_;
}

AdaptiveRate::AdaptiveRate(Clock& clock, TokenBucket& bucket, AdaptiveRateOptions options)
    : clock_(clock),
      bucket_(bucket),
      options_(options),
      fill_rate_(options.max_rate),
      last_throttle_(clock.Now()),
      bucket_start_(clock.Now()) {
  std::lock_guard<std::mutex> g(mu_);
  ApplyLocked(fill_rate_);
}

void AdaptiveRate::MeasureLocked(Clock::TimePoint now) {
  if (now - bucket_start_ < kMeasureInterval) return;
  double current = sent_in_bucket_ / ToSeconds(now - bucket_start_);
  measured_ = current * options_.smoothing + measured_ * (1 - options_.smoothing);
  sent_in_bucket_ = 0;
  bucket_start_ = now;
}

void AdaptiveRate::ApplyLocked(double rate) {
  fill_rate_ = rate;
  // Burst of a tenth of a second's worth: a cut takes effect at once, not after a second of
  // saved-up tokens.
  bucket_.SetRate(rate, rate > 0 ? std::max(1.0, rate / 10) : 1.0);
}

void AdaptiveRate::OnSend() {
  std::lock_guard<std::mutex> g(mu_);
  ++sent_in_bucket_;
  MeasureLocked(clock_.Now());
}

void AdaptiveRate::OnThrottle() {
  Clock::TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> g(mu_);
  MeasureLocked(now);
  if (throttled_ && now - last_throttle_ < options_.throttle_epoch) return;
  // Cut from what was really being sent: a ceiling far above the send rate says nothing.
  double base = measured_ > 0 ? measured_ : (fill_rate_ > 0 ? fill_rate_ : 1.0);
  if (throttled_ && fill_rate_ > 0) base = std::min(base, fill_rate_);
  w_max_ = base;
  k_ = std::cbrt(w_max_ * (1 - options_.beta) / options_.scale);
  last_throttle_ = now;
  throttled_ = true;
  ApplyLocked(std::max(options_.min_rate, w_max_ * options_.beta));
}

void AdaptiveRate::OnSuccess() {
  Clock::TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> g(mu_);
  MeasureLocked(now);
  if (!throttled_) return;  // still at the ceiling
  double t = ToSeconds(now - last_throttle_) - k_;
  double rate = options_.scale * t * t * t + w_max_;
  // Probe above what is being sent, not arbitrarily far: an idle client must not grow a rate
  // it never tested.
  if (measured_ > 0) rate = std::min(rate, 2 * measured_);
  rate = std::max(rate, options_.min_rate);
  if (options_.max_rate > 0) rate = std::min(rate, options_.max_rate);
  ApplyLocked(rate);
}

double AdaptiveRate::rate() const {
  std::lock_guard<std::mutex> g(mu_);
  return fill_rate_;
}

double AdaptiveRate::measured_rate() const {
  std::lock_guard<std::mutex> g(mu_);
  return measured_;
}

}  // namespace thaw::restore
