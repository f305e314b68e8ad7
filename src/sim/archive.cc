// Restore state machine: durations, answers and expiry (see archive.h for the rules).
#include "sim/archive.h"

#include "sim/s3_error.h"

namespace thaw::sim {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using Restore = ArchiveState::Restore;
using s3::RestoreTier;

bool IsDeep(const ArchiveState& s) {
  return s.storage_class == s3::kDeepArchive || s.archive_status == s3::kDeepArchiveAccess;
}

bool IsIntelligentTiering(const ArchiveState& s) {
  return s.storage_class == s3::kIntelligentTiering;
}

// Lower is faster.
int Speed(RestoreTier t) {
  switch (t) {
    case RestoreTier::kExpedited:
      return 0;
    case RestoreTier::kStandard:
      return 1;
    case RestoreTier::kBulk:
      return 2;
  }
  return 1;
}

}  // namespace

Clock::TimePoint ExpiryFor(Clock::TimePoint from, int days) {
  using Days = std::chrono::duration<int64_t, std::ratio<86400>>;
  auto t = from + Days(days);
  auto midnight = std::chrono::floor<Days>(t);
  if (midnight == t) return t;
  return Clock::TimePoint(
      std::chrono::duration_cast<Clock::Duration>((midnight + Days(1)).time_since_epoch()));
}

Clock::Duration RestoreDuration(const ArchiveState& state, RestoreTier tier, std::mt19937_64& rng) {
  Clock::Duration lo = hours(3), hi = hours(5);
  if (IsDeep(state)) {
    if (tier == RestoreTier::kBulk) {
      lo = hours(24), hi = hours(48);
    } else {
      lo = hours(9), hi = hours(12);
    }
  } else {
    switch (tier) {
      case RestoreTier::kExpedited:
        lo = minutes(1), hi = minutes(5);
        break;
      case RestoreTier::kStandard:
        lo = hours(3), hi = hours(5);
        break;
      case RestoreTier::kBulk:
        lo = hours(5), hi = hours(12);
        break;
    }
  }
  std::uniform_int_distribution<int64_t> dist(lo.count(), hi.count());
  return Clock::Duration(dist(rng));
}

bool AdvanceTo(ArchiveState& state, Clock::TimePoint now) {
  bool changed = false;
  if (state.restore == Restore::kOngoing && now >= state.ready_at) {
    if (IsIntelligentTiering(state)) {
      // Intelligent-Tiering restores move the object back to the frequent access tier.
      state.archive_status.clear();
      state.restore = Restore::kNone;
    } else {
      state.restore = Restore::kRestored;
      state.expiry = ExpiryFor(state.ready_at, state.days);
    }
    changed = true;
  }
  if (state.restore == Restore::kRestored && now >= state.expiry) {
    state.restore = Restore::kNone;  // archived again
    state.days = 0;
    state.ready_at = {};
    state.expiry = {};
    changed = true;
  }
  return changed;
}

Result<RestoreAnswer> RequestRestore(ArchiveState& state, const RestoreParams& params,
                                     Clock::TimePoint now, std::mt19937_64& rng) {
  if (!state.archived() && state.restore == Restore::kNone) {
    return S3Err("InvalidObjectState",
                 "Restore is not allowed for the object's current storage class");
  }
  if (IsIntelligentTiering(state)) {
    if (params.days) {
      return S3Err(
          "InvalidArgument",
          "Days must not be specified for objects in the Intelligent-Tiering storage class");
    }
  } else if (!params.days) {
    return S3Err("InvalidArgument",
                 "Days is required for the " + state.storage_class + " storage class");
  } else if (*params.days < 1 || *params.days > 30000) {
    return S3Err("InvalidArgument", "Days must be between 1 and 30000");
  }
  if (params.tier == RestoreTier::kExpedited && IsDeep(state)) {
    return S3Err("InvalidArgument",
                 "Expedited retrieval is not supported for the " +
                     (state.archive_status.empty() ? state.storage_class : state.archive_status) +
                     " tier");
  }
  switch (state.restore) {
    case Restore::kRestored:
      state.days = params.days.value_or(state.days);
      state.expiry = ExpiryFor(now, state.days);
      return RestoreAnswer::kAlreadyRestored;
    case Restore::kOngoing:
      if (Speed(params.tier) < Speed(state.tier)) {
        // A faster tier may be requested while a slower restore runs.
        state.ready_at = std::min(state.ready_at, now + RestoreDuration(state, params.tier, rng));
        state.tier = params.tier;
        return RestoreAnswer::kAccepted;
      }
      return S3Err("RestoreAlreadyInProgress");
    case Restore::kNone:
      break;
  }
  state.restore = Restore::kOngoing;
  state.tier = params.tier;
  state.days = params.days.value_or(0);
  state.ready_at = now + RestoreDuration(state, params.tier, rng);
  return RestoreAnswer::kAccepted;
}

s3::RestoreStatus ToRestoreStatus(const ArchiveState& state) {
  s3::RestoreStatus r;
  if (state.restore == Restore::kOngoing) r.state = s3::RestoreStatus::State::kOngoing;
  if (state.restore == Restore::kRestored) {
    r.state = s3::RestoreStatus::State::kRestored;
    r.expiry = state.expiry;
  }
  return r;
}

}  // namespace thaw::sim
