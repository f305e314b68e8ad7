// The archive and restore state machine of one object, as S3 runs it (facts doc): which
// objects need a restore, how RestoreObject answers (202 / 200 / 409 / 4xx), how long a
// restore takes per class and tier, when a restored copy expires.
//
// Pure: the state is a value, time is passed in (the sim's scaled clock, a FakeClock in tests)
// and randomness comes from the caller's generator, so tests are deterministic. States are
// advanced lazily: whoever reads an object first calls AdvanceTo(now) and persists a change.
//
// Thread safety: pure functions; callers serialize access to one state.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "s3/types.h"

namespace thaw::sim {

struct ArchiveState {
  enum class Restore { kNone = 0, kOngoing = 1, kRestored = 2 };
  std::string storage_class = "STANDARD";
  std::string archive_status;  // Intelligent-Tiering: ARCHIVE_ACCESS / DEEP_ARCHIVE_ACCESS / ""
  Restore restore = Restore::kNone;
  s3::RestoreTier tier = s3::RestoreTier::kStandard;
  int days = 0;
  Clock::TimePoint ready_at{};  // kOngoing: when the restored copy becomes readable
  Clock::TimePoint expiry{};    // kRestored: when the restored copy goes away

  bool archived() const { return s3::IsArchived(storage_class, archive_status); }
  // GET may read the data: not archived, or a restored copy exists.
  bool readable() const { return !archived() || restore == Restore::kRestored; }
  bool operator==(const ArchiveState&) const = default;
};

// Completes a restore whose time has come (Intelligent-Tiering objects move back to the
// frequent tier; others get a copy until ExpiryFor(ready_at, days)) and drops expired copies
// (the object is archived again). Returns true when the state changed.
bool AdvanceTo(ArchiveState& state, Clock::TimePoint now);

struct RestoreParams {
  std::optional<int> days;
  s3::RestoreTier tier = s3::RestoreTier::kStandard;
};

enum class RestoreAnswer { kAccepted, kAlreadyRestored };  // 202, 200

// Applies a RestoreObject request to an advanced state. Errors are S3 errors:
// InvalidObjectState (not archived), InvalidArgument (Days missing/forbidden/out of range,
// Expedited for deep archive), RestoreAlreadyInProgress (409).
Result<RestoreAnswer> RequestRestore(ArchiveState& state, const RestoreParams& params,
                                     Clock::TimePoint now, std::mt19937_64& rng);

// A duration drawn uniformly from S3's published range for the object's class and `tier`:
// GLACIER and IT ARCHIVE_ACCESS: Expedited 1-5 min, Standard 3-5 h, Bulk 5-12 h;
// DEEP_ARCHIVE and IT DEEP_ARCHIVE_ACCESS: Standard 9-12 h, Bulk 24-48 h.
Clock::Duration RestoreDuration(const ArchiveState& state, s3::RestoreTier tier,
                                std::mt19937_64& rng);

// `from` + days, rounded up to the next 00:00 UTC.
Clock::TimePoint ExpiryFor(Clock::TimePoint from, int days);

// The state as S3 reports it (x-amz-restore, RestoreStatus in listings).
s3::RestoreStatus ToRestoreStatus(const ArchiveState& state);

}  // namespace thaw::sim
