// ConcurrencyLimit (see concurrency_limit.h).
#include "restore/concurrency_limit.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace thaw::restore {
namespace {

// A window counts when the limit held the calls back: on average this share of it in flight.
// Below that the caller (a feeder listing pages, the rate limit) is what sets the pace, and a
// smaller limit would look just as fast.
constexpr double kBoundShare = 0.8;
// Weight of the newest bound window in the rate at the current limit.
constexpr double kLevelWeight = 0.5;

}  // namespace

ConcurrencyLimit::ConcurrencyLimit(Clock& clock, ConcurrencyLimitOptions options)
    : clock_(clock),
      options_(options),
      limit_(std::max(1, options.max_limit)),
      window_start_(clock.Now()),
      probe_interval_(options.first_probe),
      next_probe_at_(clock.Now() + options.first_probe) {}

void ConcurrencyLimit::OnAnswer(int in_flight) {
  if (!options_.adaptive || options_.max_limit <= options_.min_limit) return;
  Clock::TimePoint now = clock_.Now();
  std::lock_guard<std::mutex> g(mu_);
  ++answers_;
  in_flight_sum_ += std::max(0, in_flight);
  if (answers_ < 2 * limit() || now - window_start_ < options_.min_window) return;
  EndWindowLocked(now);
}

void ConcurrencyLimit::EndWindowLocked(Clock::TimePoint now) {
  int limit = this->limit();
  double rate = answers_ / ToSeconds(now - window_start_);
  bool bound = static_cast<double>(in_flight_sum_) >= kBoundShare * limit * answers_;
  answers_ = 0;
  in_flight_sum_ = 0;
  window_start_ = now;
  switch (phase_) {
    case Phase::kSettling:
      phase_ = after_settling_;
      return;
    case Phase::kProbing: {
      bool keep = probing_down_ ? rate >= options_.keep_lower * reference_rate_
                                : bound && rate >= options_.take_higher * level_rate_;
      // A probe up measured the higher limit afresh: a descent is now judged against that (the
      // endpoint may have slowed or sped up since the last one).
      if (!probing_down_) reference_rate_ = std::max(rate, keep ? 0.0 : level_rate_);
      if (keep) {
        ++kept_;
        level_rate_ = rate;
        probe_interval_ = options_.first_probe;  // go on in the same direction soon
        next_down_ = probing_down_;
        phase_ = Phase::kSteady;
        spdlog::debug("restore engine: {} RestoreObject calls in flight (from {}): {:.0f}/s", limit,
                      before_probe_, rate);
      } else {
        ++undone_;
        SetLimitLocked(before_probe_);
        probe_interval_ =
            std::min<Clock::Duration>(2 * probe_interval_, options_.max_probe_interval);
        next_down_ = !probing_down_;
        phase_ = Phase::kSettling;
        after_settling_ = Phase::kSteady;
      }
      next_probe_at_ = now + probe_interval_;
      return;
    }
    case Phase::kSteady:
      break;
  }
  if (!bound) {
    level_rate_ = 0;  // the caller set the pace: nothing to compare a probe with
    reference_rate_ = 0;
    return;
  }
  level_rate_ = level_rate_ > 0 ? kLevelWeight * rate + (1 - kLevelWeight) * level_rate_ : rate;
  reference_rate_ = std::max(reference_rate_, level_rate_);
  if (now < next_probe_at_) return;
  bool can_down = limit > options_.min_limit;
  bool can_up = limit < options_.max_limit;
  if (!can_down && !can_up) return;
  probing_down_ = can_down && (next_down_ || !can_up);
  before_probe_ = limit;
  SetLimitLocked(probing_down_ ? std::max(options_.min_limit, limit / 2)
                               : std::min(options_.max_limit, limit * 2));
  phase_ = Phase::kSettling;
  after_settling_ = Phase::kProbing;
}

void ConcurrencyLimit::SetLimitLocked(int limit) {
  limit_.store(limit, std::memory_order_relaxed);
}

int ConcurrencyLimit::kept() const {
  std::lock_guard<std::mutex> g(mu_);
  return kept_;
}

int ConcurrencyLimit::undone() const {
  std::lock_guard<std::mutex> g(mu_);
  return undone_;
}

}  // namespace thaw::restore
