// Rate limits for S3 calls: a token bucket on the injected clock. The engine keeps one for
// RestoreObject and one for HeadObject, so a mass-access storm (a `find` or `grep -r` over the
// mount) or a 10-million-object `thaw restore` stays under S3's ~1,000 restores/s per account
// and under what the operator allows. Concurrency is capped by the number of worker threads;
// daily budgets live in the journal (they must survive restarts and be shared by processes).
//
// Reserve() does not sleep: it books the next token and says when it may be used, so the
// engine can park the job on its timer instead of holding a worker thread.
//
// Thread safety: all methods may be called from any thread (own mutex, a leaf lock).
#pragma once

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

 private:
  void RefillLocked(Clock::TimePoint now);

  Clock& clock_;
  const double rate_;
  const double burst_;
  std::mutex mu_;  // guards tokens_ and last_
  double tokens_;  // may go negative: tokens promised to reservations not yet due
  Clock::TimePoint last_;
};

}  // namespace thaw::restore
