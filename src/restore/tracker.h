// Completion tracking rules: when to HEAD an in-progress restore, how to back off retries, and
// what a HEAD answer means for a request in a given journal state (the heart of crash resume).
// Pure functions; the engine's scheduler (engine.cc) runs them on the injected clock, and
// completion events from outside (Engine::NotifyCompleted) short-cut the polling.
//
// Polling schedule for a restore of expected duration [earliest, latest] (cost.h):
//   first HEAD at earliest * (1 + jitter * u): never before a restore can be done;
//   then steps of window/8, doubling, capped at window/4 (window = latest - earliest), each
//   jittered by +-jitter, never shorter than min_poll_interval.
// A GLACIER Standard restore (3-5 h) is HEADed at ~3h, 3h15, 3h45, 4h15, ... .
//
// Thread safety: pure functions.
#pragma once

#include <optional>

#include "common/clock.h"
#include "restore/cost.h"
#include "restore/record.h"
#include "s3/types.h"

namespace thaw::restore {

// Delay from acceptance to the first HEAD. `u01` in [0, 1) is the random draw.
Clock::Duration FirstPollDelay(const ExpectedDuration& d, Clock::Duration min_interval,
                               double jitter, double u01);
// Delay after poll number `polls_done` (>= 1) found the restore still running.
Clock::Duration NextPollDelay(const ExpectedDuration& d, int polls_done,
                              Clock::Duration min_interval, double jitter, double u01);
// A poll delay on the schedule above, for an endpoint whose clock runs `scale` times faster
// than ours (thaw sim --time-scale announces it; AWS's scale is 1, which changes nothing): the
// delay divided by scale, but never below kMinScaledPoll, so a sim at --time-scale 36000 is
// HEADed about every quarter second rather than thousands of times a second.
inline constexpr Clock::Duration kMinScaledPoll = std::chrono::milliseconds(250);
Clock::Duration ScaleToEndpoint(Clock::Duration delay, double scale);

// Backoff before retry number `attempt` (>= 1) of a failed call: base * 2^(attempt-1),
// capped at 64 * base, jittered by +-jitter.
Clock::Duration RetryDelay(Clock::Duration base, int attempt, double jitter, double u01);

// What a HEAD answer means for a request in journal state `state`.
struct HeadVerdict {
  enum class Kind {
    kRestored,  // a readable copy exists (or the object left its archive tier)
    kOngoing,   // S3 is restoring it: track it, never send again
    kResend,    // S3 knows of no restore and none was accepted by us: send (again)
    kExpired,   // we know S3 accepted a restore, but no copy and no restore exist any more
  };
  Kind kind;
  std::optional<Clock::TimePoint> expiry;  // kRestored
};
// pending/requested: S3 may never have seen the request, so "no restore" means send (a
// duplicate is answered with 409 or 200, both success). in_progress: S3 accepted it, so "no
// restore" can only mean the copy came and went: expired, never re-sent. restored/expired: as
// for in_progress.
HeadVerdict InterpretHead(State state, const s3::ObjectInfo& info);

}  // namespace thaw::restore
