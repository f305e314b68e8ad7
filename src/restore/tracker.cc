// Polling and retry schedules, and the meaning of HEAD answers (see tracker.h).
#include "restore/tracker.h"

#include <algorithm>

namespace thaw::restore {
namespace {

Clock::Duration Scale(Clock::Duration d, double factor) {
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double, Clock::Duration::period>(d.count() * factor));
}

// +-jitter around 1, from a draw in [0, 1).
double Jitter(double jitter, double u01) {
  return 1.0 + jitter * (2.0 * u01 - 1.0);
}

}  // namespace

Clock::Duration FirstPollDelay(const ExpectedDuration& d, Clock::Duration min_interval,
                               double jitter, double u01) {
  // Only later than `earliest`, never earlier: a HEAD before then is wasted.
  return std::max(min_interval, Scale(d.earliest, 1.0 + jitter * u01));
}

Clock::Duration NextPollDelay(const ExpectedDuration& d, int polls_done,
                              Clock::Duration min_interval, double jitter, double u01) {
  Clock::Duration window = std::max(d.latest - d.earliest, Clock::Duration(0));
  Clock::Duration step = window / 8;
  Clock::Duration cap = window / 4;
  int doublings = std::clamp(polls_done - 1, 0, 20);
  Clock::Duration base = std::min(cap, step * (int64_t{1} << doublings));
  return std::max(min_interval, Scale(base, Jitter(jitter, u01)));
}

Clock::Duration ScaleToEndpoint(Clock::Duration delay, double scale) {
  if (!(scale > 1.0)) return delay;
  return std::max(std::min(delay, kMinScaledPoll), Scale(delay, 1.0 / scale));
}

Clock::Duration RetryDelay(Clock::Duration base, int attempt, double jitter, double u01) {
  int doublings = std::clamp(attempt - 1, 0, 6);
  return Scale(base * (int64_t{1} << doublings), Jitter(jitter, u01));
}

HeadVerdict InterpretHead(State state, const s3::ObjectInfo& info) {
  using Kind = HeadVerdict::Kind;
  if (info.restore.state == s3::RestoreStatus::State::kRestored) {
    return {Kind::kRestored, info.restore.expiry};
  }
  if (info.restore.state == s3::RestoreStatus::State::kOngoing) return {Kind::kOngoing, {}};
  // Intelligent-Tiering restores end with the object back in Frequent Access and no
  // x-amz-restore header: readable is done.
  if (!info.archived()) return {Kind::kRestored, std::nullopt};
  if (state == State::kPending || state == State::kRequested) return {Kind::kResend, {}};
  return {Kind::kExpired, {}};
}

}  // namespace thaw::restore
