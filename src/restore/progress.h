// RestoreProgress: the counters of one bulk restore (`thaw restore` over a prefix or a
// manifest), fed by the engine's on_change observer, the handles' snapshots and the bulk
// runner. The CLI renders it as a progress bar and a summary; tests assert on it. It is the one
// place that says what "archived", "requested" or "already restored" mean:
//
//   scanned           objects listed or read from the manifest
//   archived          of those, objects in an archive class or tier (restored or not)
//   requested         RestoreObject sent by this run and accepted (202, 409, or 200)
//   already_restored  archived objects with a restored copy that needed no request
//   already_in_progress  archived objects whose restore was already running (no request)
//   in_progress       restores running at the moment (requested or found running)
//   restored          archived objects with a readable copy at the moment
//   skipped           not restored on purpose: readable (not archived), denied, over budget
//   failed            S3 or the journal refused, or retries ran out
//   expired           a copy S3 accepted to make was gone when checked
// archived = requested + already_restored + already_in_progress + archived objects skipped
// (denied, over budget) or failed, once everything settled.
//
// An object is tracked from just before its Submit until it settles: once S3 has it (in
// progress) or it ended, or, in wait mode, once it ended. Only tracked objects are counted, so
// requests another process (or a resumed run) has in flight do not disturb the numbers, and
// memory is bounded by the submission window, not by the size of the prefix.
//
// Thread safety: every method may be called from any thread (one internal mutex, a leaf).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/status.h"
#include "restore/cost.h"
#include "restore/policy.h"
#include "restore/record.h"

namespace thaw::restore {

struct ProgressCounts {
  int64_t scanned = 0;
  int64_t archived = 0;
  int64_t requested = 0;
  int64_t already_restored = 0;
  int64_t already_in_progress = 0;
  int64_t in_progress = 0;
  int64_t restored = 0;
  int64_t skipped = 0;
  int64_t failed = 0;
  int64_t expired = 0;
  int64_t pending = 0;  // submitted (or being planned) and not settled yet
  std::map<std::string, int64_t> skipped_by_reason;  // ReasonName -> count
  uint64_t archived_bytes = 0;
  uint64_t requested_bytes = 0;
  double estimated_cost_usd = 0;  // restore fees of the accepted requests (dry run: planned)
  std::optional<Clock::TimePoint> latest_eta;  // when the slowest running restore should be done
  std::string first_error;                     // of the first failed object, for the summary
};

class RestoreProgress {
 public:
  // `wait_for_completion`: objects settle when they end (restored, failed...), not when S3
  // accepted them (thaw restore --wait).
  explicit RestoreProgress(bool wait_for_completion) : wait_(wait_for_completion) {}

  void Scanned(int64_t n = 1);
  // The listing showed a readable object: skipped (not_archived) without a request.
  void NotArchived();
  // Call before Submit: from here on, records of `object` are counted.
  void Track(const ObjectRef& object);
  // A state change of a tracked object (engine on_change, handle snapshots); others ignored.
  void Observe(const RestoreRecord& record);
  // The run's Submit of a tracked object returned, with the handle's state to count (none: an
  // earlier run's row still being checked, whose outcome the engine publishes).
  void Submitted(const ObjectRef& object, const std::optional<RestoreRecord>& snapshot);
  // Submit (or a dry-run Plan) failed for a tracked or untracked object.
  void Failed(const ObjectRef& object, const Status& status);
  // Dry run: what the policy decided for one object (no request sent).
  void Planned(const Decision& decision);
  // Dry run totals per class and tier.
  CostSummary DryRunSummary() const;

  ProgressCounts Counts() const;
  // Tracked objects not settled yet.
  int64_t Unsettled() const;
  // Blocks until at most `n` tracked objects are unsettled (true) or `deadline` passes on
  // `clock` (false).
  bool WaitUnsettledAtMost(int64_t n, Clock& clock, Clock::TimePoint deadline);

 private:
  struct Tracked {
    bool sent = false;        // a RestoreObject went out in this run
    bool submitted = false;   // this run's Submit returned
    bool classified = false;  // counted in requested/already_*/skipped/failed
    State state = State::kPending;
  };
  void ClassifyLocked(Tracked& t, const RestoreRecord& r);
  void LeaveStateLocked(State s);
  void EnterStateLocked(State s, const RestoreRecord& r);
  bool SettledLocked(State s) const;

  const bool wait_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<ObjectRef, Tracked> tracked_;
  ProgressCounts counts_;
  CostSummary dry_run_;
};

}  // namespace thaw::restore
