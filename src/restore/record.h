// The restore engine's vocabulary: which object (ObjectRef), the states a request goes
// through (State, Reason) and what the journal remembers about it (RestoreRecord). Shared by
// the engine, its journal and their users (`thaw status` prints RestoreRecords).
//
// Thread safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "common/clock.h"
#include "s3/types.h"

namespace thaw::restore {

struct ObjectRef {
  std::string bucket;
  std::string key;
  std::string version_id;  // empty: the current version

  bool operator<(const ObjectRef& o) const {
    return std::tie(bucket, key, version_id) < std::tie(o.bucket, o.key, o.version_id);
  }
  bool operator==(const ObjectRef& o) const = default;
  std::string ToString() const;  // s3://bucket/key[?versionId=v]
};

// Journal states (persisted by name).
enum class State {
  kPending,     // journaled, not yet sent (waiting for a HEAD, a token, a worker or budget)
  kRequested,   // RestoreObject being sent (S3 may or may not have seen it)
  kInProgress,  // S3 accepted (202) or said it is running (409, or HEAD shows ongoing)
  kRestored,    // a readable copy exists until restore_expiry (none for Intelligent-Tiering)
  kExpired,     // the restored copy expired
  kFailed,      // gave up; `error` says why
  kSkipped,     // nothing to do or not allowed; `error` says why
};
std::string_view StateName(State s);  // "pending", "requested", ...
std::optional<State> ParseState(std::string_view s);
bool IsTerminal(State s);  // restored, expired, failed, skipped

// Why a request ended skipped or failed, for programs (the CLI's exit codes); `error` has the
// words for humans. Persisted by name.
enum class Reason {
  kNone,
  kNotArchived,       // skipped: readable storage class, nothing to restore
  kDenied,            // skipped: a policy rule says deny
  kOverBudget,        // skipped: the daily byte or cost budget is used up
  kNotFound,          // failed: no such key/bucket
  kS3Error,           // failed: S3 refused (access denied, invalid argument, ...)
  kRetriesExhausted,  // failed: still unavailable/throttled after max_send_attempts
  kJournal,           // failed: the journal could not be written
};
std::string_view ReasonName(Reason r);  // "not_archived", "denied", "over_budget", ...
std::optional<Reason> ParseReason(std::string_view s);

enum class Source { kCli, kMount, kEvent };
std::string_view SourceName(Source s);  // "cli", "mount", "event"
std::optional<Source> ParseSource(std::string_view s);

// What the journal knows about one object (one row per object; a new request overwrites it).
struct RestoreRecord {
  ObjectRef object;
  State state = State::kPending;
  std::optional<s3::RestoreTier> tier;
  std::optional<int> days;  // nullopt for Intelligent-Tiering (S3 rejects Days there)
  Source source = Source::kCli;
  std::string storage_class;   // as HEAD reported it ("" until known)
  std::string archive_status;  // Intelligent-Tiering's x-amz-archive-status
  uint64_t size_bytes = 0;
  double estimated_cost_usd = 0;  // requests + retrieval (cost.h), 0 until decided
  std::optional<Clock::TimePoint> submitted_at;
  std::optional<Clock::TimePoint> requested_at;  // when S3 accepted it
  std::optional<Clock::TimePoint> eta;           // latest expected completion (cost.h)
  std::optional<Clock::TimePoint> restore_expiry;
  std::optional<Clock::TimePoint> next_check_at;  // tracker's next HEAD (in_progress only)
  Reason reason = Reason::kNone;
  std::string error;  // failed/skipped reason; while pending, why it waits (budget, retry)
  std::string note;   // decisions worth telling: "Expedited not available for DEEP_ARCHIVE..."
  int attempts = 0;   // RestoreObject calls made for this request
  bool wait_for_budget = false;
  std::string budget_day;  // UTC day ("2024-04-12") whose budget this request was charged to
  Clock::TimePoint updated_at{};
};

}  // namespace thaw::restore
