// Retry decisions and backoff (see retry.h).
#include "s3/retry.h"

#include <algorithm>
#include <cmath>

#include "s3/error.h"

namespace thaw::s3 {

bool IsRetryable(const Status& status, bool idempotent) {
  if (status.ok()) return false;
  if (const auto* net = status.detail_as<HttpErrorDetail>()) {
    return !net->request_sent || idempotent;
  }
  const S3ErrorDetail* s3 = GetS3Error(status);
  if (s3 == nullptr) return false;
  if (s3->kind == S3ErrorDetail::Kind::kNetwork) {
    // A request that may have been applied is repeated only when repeating is harmless.
    return s3->retryable && (!s3->request_sent || idempotent);
  }
  if (s3->kind != S3ErrorDetail::Kind::kService) return false;
  // A 5xx or throttling answer means the server did not do the work (S3 guarantees that a
  // 500/503 did not apply a write), so even non-idempotent calls may be retried.
  return s3->retryable;
}

double RetryJitter01() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

Clock::Duration BackoffDelay(const RetryPolicy& policy, int attempt,
                             const std::function<double()>& uniform01) {
  double exp = std::ldexp(1.0, std::min(attempt - 1, 30));
  double cap = static_cast<double>(policy.max_delay.count());
  double ceiling_ms = std::min(cap, static_cast<double>(policy.base_delay.count()) * exp);
  double u = uniform01 ? uniform01() : 0.5;
  u = std::clamp(u, 0.0, 1.0);
  auto ns = static_cast<int64_t>(ceiling_ms * u * 1e6);
  return std::chrono::nanoseconds(ns);
}

}  // namespace thaw::s3
