// When and how long to wait before retrying an S3 call: exponential backoff with full jitter
// (sleep = random(0, min(cap, base * 2^attempt))) on 500/503/SlowDown, throttling codes,
// timeouts and connection resets; a bounded number of attempts; never for a non-idempotent call
// whose request may have reached the server.
#pragma once

#include <chrono>
#include <functional>
#include <random>

#include "common/clock.h"
#include "common/status.h"

namespace thaw::s3 {

struct RetryPolicy {
  int max_attempts = 3;  // total tries including the first (AWS SDKs' standard mode); >= 1
  std::chrono::milliseconds base_delay{100};
  std::chrono::milliseconds max_delay{20000};
};

// Whether `status` (from one attempt) may be retried. `idempotent` says the operation can be
// repeated safely even if the first attempt took effect.
bool IsRetryable(const Status& status, bool idempotent);

// The delay before retry number `attempt` (1 for the first retry). `uniform01` returns a value
// in [0, 1); injectable so tests can pin the jitter.
Clock::Duration BackoffDelay(const RetryPolicy& policy, int attempt,
                             const std::function<double()>& uniform01);

// The production jitter source for BackoffDelay and WithRetries: uniform in [0, 1), one
// generator per thread.
double RetryJitter01();

// Runs `attempt_fn` until it succeeds, fails with a non-retryable error, or max_attempts is
// reached, sleeping on `clock` between attempts. Returns the last result.
template <typename T>
Result<T> WithRetries(const RetryPolicy& policy, bool idempotent, Clock& clock,
                      const std::function<double()>& uniform01,
                      const std::function<Result<T>()>& attempt_fn) {
  for (int attempt = 1;; ++attempt) {
    Result<T> r = attempt_fn();
    if (r.ok() || attempt >= policy.max_attempts || !IsRetryable(r.status(), idempotent)) return r;
    clock.SleepFor(BackoffDelay(policy, attempt, uniform01));
  }
}

}  // namespace thaw::s3
