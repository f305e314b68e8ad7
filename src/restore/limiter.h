// Rate limits for S3 calls on the injected clock. The engine keeps one for RestoreObject and
// one for HeadObject, so a mass-access storm (a `find` or `grep -r` over the mount) or a
// 10-million-object `thaw restore` stays within what S3 serves and what the operator allows.
// Concurrency is capped by the number of worker threads; daily budgets live in the journal
// (they must survive restarts and be shared by processes).
//
// TokenBucket: a plain token bucket. Reserve() does not sleep: it books the next token and says
// when it may be used, so the engine can park the job on its timer instead of holding a worker.
//
// AdaptiveRate: the bucket's rate follows S3's answers as the AWS SDKs' "adaptive" retry mode
// does (a CUBIC congestion window over requests per second). It starts at the ceiling (S3's
// documented capacity, 3,500 writes or 5,500 reads per second per prefix, or the operator's
// limit). A throttling answer (503 SlowDown and other retryable unavailability) cuts the rate to
// beta (0.7) times what was measured being sent and remembers that as W_max; successes then
// grow it along rate(t) = C * (t - K)^3 + W_max with K = cbrt(W_max * (1 - beta) / C), so it
// climbs back quickly at first, slowly near W_max, then probes above it, never past twice the
// measured send rate nor past the ceiling. Throttles within kThrottleEpoch of the last cut count
// as the same congestion event: 32 requests in flight that all meet one SlowDown burst cut the
// rate once, not 32 times.
//
// Thread safety: all methods may be called from any thread (own mutex each, leaf locks).
#pragma once

#include <chrono>
#include <mutex>

#include "common/clock.h"

namespace thaw::restore {

class TokenBucket {
 public:
  // `rate_per_second` <= 0: unlimited. `burst`: tokens that may be spent at once (>= 1); the
  // bucket starts full.
  TokenBucket(Clock& clock, double rate_per_second, double burst);

  // Takes one token and returns when it may be used: now if one was available, else the time
  // the bucket will have refilled enough (tokens reserved by earlier callers come first).
  Clock::TimePoint Reserve();
  // Takes a token only if one is available now.
  bool TryAcquire();
  // New rate (<= 0: unlimited) and burst; tokens already owed stay owed.
  void SetRate(double rate_per_second, double burst);
  double rate() const;

 private:
  void RefillLocked(Clock::TimePoint now);

  Clock& clock_;
  mutable std::mutex mu_;  // guards everything below
  double rate_;
  double burst_;
  double tokens_;  // may go negative: tokens promised to reservations not yet due
  Clock::TimePoint last_;
};

struct AdaptiveRateOptions {
  // Never above this (<= 0: no ceiling; the rate is then unlimited until the first throttle).
  double max_rate = 3500;
  double min_rate = 0.5;   // never below (the SDKs' minimum fill rate)
  double beta = 0.7;       // multiplicative decrease on a throttle
  double scale = 0.4;      // C of the cubic
  double smoothing = 0.8;  // weight of the newest interval in the measured send rate
  // Throttles this close to the last cut belong to the same congestion event.
  std::chrono::milliseconds throttle_epoch{500};
};

class AdaptiveRate {
 public:
  // Drives `bucket` (which the caller Reserve()s from); sets its rate to the ceiling now.
  AdaptiveRate(Clock& clock, TokenBucket& bucket, AdaptiveRateOptions options);

  // One request sent (feeds the measured send rate).
  void OnSend();
  // Its answer: a success (any answer but throttling) or a throttle.
  void OnSuccess();
  void OnThrottle();

  double rate() const;           // current fill rate (<= 0: unlimited)
  double measured_rate() const;  // smoothed requests/s sent

 private:
  void MeasureLocked(Clock::TimePoint now);
  void ApplyLocked(double rate);

  Clock& clock_;
  TokenBucket& bucket_;
  const AdaptiveRateOptions options_;
  mutable std::mutex mu_;   // guards everything below
  bool throttled_ = false;  // since the first throttle the cubic governs the rate
  double fill_rate_;        // what the bucket runs at (<= 0: unlimited)
  double w_max_ = 0;        // the rate at the last throttle
  double k_ = 0;            // seconds the cubic takes to climb back to w_max_
  Clock::TimePoint last_throttle_;
  double measured_ = 0;
  Clock::TimePoint bucket_start_;  // start of the current measuring interval
  int sent_in_bucket_ = 0;
};

}  // namespace thaw::restore
