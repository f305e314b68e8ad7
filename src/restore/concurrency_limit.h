// How many RestoreObject calls the engine keeps in flight at once, found from the endpoint's
// answers. S3 serves thousands of requests per second per prefix and answers as fast with 64
// calls in flight as with 8, so more in flight means more per second. An endpoint that is
// already busy (a MinIO or Ceph gateway at its limit, moto's single Python process, a hot S3
// partition before it says SlowDown) answers no faster with 64 than with 8: the extra calls
// only wait in its queue, and a server with a thread per connection spends more CPU on each.
//
// The signal is Little's law, not latency: latency varies at S3 for reasons that have nothing to
// do with our load (a long tail), so a limit that shrinks when latency rises would shrink at S3
// too. Instead the limiter compares answers per second: while the limit is what holds the calls
// back (calls in flight near the limit), it now and then halves the limit for a window and keeps
// the half if answers per second stay (at least keep_lower of the rate at the limit the descent
// started from, so that steps of a few percent each cannot add up to a large loss); at S3 they
// halve too and the limit goes back at once. Below the ceiling it also tries doubling, kept only
// for a clear gain (take_higher), so a busy endpoint that frees up gets the calls back. A probe
// that does not pay doubles the wait before the next (up to max_probe_interval): at S3 a long
// restore spends a window at half rate about once a minute. Windows are at least min_window long
// and hold at least two answers per slot; the window after a change is not measured (calls in
// flight are still moving to the new limit).
//
// Thread safety: all methods may be called from any thread; limit() does not lock.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>

#include "common/clock.h"

namespace thaw::restore {

struct ConcurrencyLimitOptions {
  int max_limit = 64;  // the ceiling (--concurrency); where the limit starts
  int min_limit = 4;
  bool adaptive = false;  // false: always max_limit
  std::chrono::milliseconds min_window{250};
  double keep_lower = 0.95;   // a halved limit stays if it answers this share of the rate
  double take_higher = 1.10;  // a doubled limit stays only if it answers this much more
  std::chrono::milliseconds first_probe{1000};  // bound windows before the first probe
  std::chrono::seconds max_probe_interval{60};
};

class ConcurrencyLimit {
 public:
  ConcurrencyLimit(Clock& clock, ConcurrencyLimitOptions options);

  int limit() const { return limit_.load(std::memory_order_relaxed); }
  // One answer (any answer) arrived while `in_flight` calls were under way, itself included.
  void OnAnswer(int in_flight);
  // Probes kept and probes undone since construction (for logs and tests).
  int kept() const;
  int undone() const;

 private:
  enum class Phase { kSteady, kSettling, kProbing };
  void EndWindowLocked(Clock::TimePoint now);
  void SetLimitLocked(int limit);

  Clock& clock_;
  const ConcurrencyLimitOptions options_;
  std::atomic<int> limit_;
  mutable std::mutex mu_;  // guards everything below
  Phase phase_ = Phase::kSteady;
  Phase after_settling_ = Phase::kSteady;
  Clock::TimePoint window_start_;
  int answers_ = 0;
  int64_t in_flight_sum_ = 0;
  // Answers/s of bound steady windows at the current limit (a running mean; 0: none yet).
  double level_rate_ = 0;
  // The rate at the limit the current descent started from (or the last measured above it):
  // what a halved limit must keep, however many halvings came before.
  double reference_rate_ = 0;
  int before_probe_ = 0;  // the limit a probe came from
  bool probing_down_ = true;
  bool next_down_ = true;
  Clock::Duration probe_interval_;
  Clock::TimePoint next_probe_at_;
  int kept_ = 0;
  int undone_ = 0;
};

}  // namespace thaw::restore
