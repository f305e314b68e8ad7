// The restore engine: where every trigger (a file opened in the mount, an event from
// EventBridge, an operator's `thaw restore`) ends up. It decides whether and how to restore
// (policy), makes sure each object is requested once (in-flight table; across processes S3's
// 409 is the answer), writes every request to the journal before sending it, follows each
// restore to completion (HEAD polling on a tier-derived schedule, or completion events from
// outside) and wakes whoever waits.
//
// Ownership: the Engine owns its journal, tracker thread and worker threads; it borrows the
// S3Client and the Clock, which must outlive it. Handles stay valid after the engine stops
// (they then report kCancelled/Aborted).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "s3/client.h"
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
  kPending,     // journaled, not yet sent (waiting for a token, a slot or budget)
  kRequested,   // RestoreObject being sent
  kInProgress,  // S3 accepted (202) or said it is running (409)
  kRestored,    // a readable copy exists until restore_expiry
  kExpired,     // the restored copy expired
  kFailed,      // gave up; `error` says why
  kSkipped,     // nothing to do or not allowed; `error` says why (readable class, denied by policy)
};
std::string_view StateName(State s);  // "pending", "requested", ...
std::optional<State> ParseState(std::string_view s);
bool IsTerminal(State s);  // restored, expired, failed, skipped

enum class Source { kCli, kMount, kEvent };
std::string_view SourceName(Source s);  // "cli", "mount", "event"

// What the journal knows about one object.
struct RestoreRecord {
  ObjectRef object;
  State state = State::kPending;
  std::optional<s3::RestoreTier> tier;
  std::optional<int> days;
  Source source = Source::kCli;
  std::string storage_class;
  uint64_t size_bytes = 0;
  double estimated_cost_usd = 0;
  std::optional<Clock::TimePoint> requested_at;  // when S3 accepted it
  std::optional<Clock::TimePoint> eta;           // expected completion
  std::optional<Clock::TimePoint> restore_expiry;
  std::string error;  // failed/skipped reason
  Clock::TimePoint updated_at{};
};

struct SubmitOptions {
  Source source = Source::kCli;
  // Overrides of the policy's choice (flags such as --tier/--days).
  std::optional<s3::RestoreTier> tier;
  std::optional<int> days;
  // What the caller already knows (from a listing or HEAD), to save a HEAD.
  std::optional<s3::ObjectInfo> known_info;
  // Budget exceeded: wait for the next day's budget (true) or be refused at once (false).
  bool wait_for_budget = false;
  bool dry_run = false;  // decide and estimate; journal and send nothing
};

// A request's progress, shared by everyone who submitted the same object.
class RestoreHandle {
 public:
  virtual ~RestoreHandle() = default;
  virtual RestoreRecord Snapshot() const = 0;
  // Blocks until the request reaches a terminal state or the deadline (on the engine's clock)
  // passes. Returns the record, or kDeadlineExceeded (the restore goes on).
  virtual Result<RestoreRecord> WaitUntil(Clock::TimePoint deadline) = 0;
  // Calls `fn` once when the request reaches a terminal state (at once if it already has),
  // from an engine thread; `fn` must not block. Returns an id for Unsubscribe.
  virtual int Subscribe(std::function<void(const RestoreRecord&)> fn) = 0;
  virtual void Unsubscribe(int id) = 0;
};

struct EngineOptions {
  std::string state_dir;  // journal lives at state_dir/journal.db; created if missing
  // Limits (0 = unlimited).
  double restore_requests_per_second = 100;
  double head_requests_per_second = 200;
  int max_concurrency = 32;  // RestoreObject/HEAD calls in flight at once
  uint64_t daily_byte_budget = 0;
  double daily_cost_budget_usd = 0;
  // An object restored but expiring within this margin is restored again (extends Days).
  std::chrono::hours renew_margin{24};
  // Tracker: never poll one object more often than this.
  std::chrono::seconds min_poll_interval{60};
};

class Policy;  // policy.h

class Engine {
 public:
  virtual ~Engine() = default;

  // Submits a restore of `object`. Returns the handle shared by every caller of the same
  // object while it is in flight. Skips (terminal kSkipped) readable objects and those the
  // policy denies.
  virtual Result<std::shared_ptr<RestoreHandle>> Submit(const ObjectRef& object,
                                                        const SubmitOptions& options) = 0;
  // The journal's record of `object` (kNotFound if never seen).
  virtual Result<RestoreRecord> Query(const ObjectRef& object) = 0;
  // Everything not yet terminal.
  virtual std::vector<RestoreRecord> InFlight() = 0;
  // Every record whose key starts with `prefix` in `bucket` (empty bucket: all).
  virtual std::vector<RestoreRecord> List(const std::string& bucket, const std::string& prefix) = 0;
  // An outside source (S3 ObjectRestore:Completed notification, EventBridge) says the restore
  // finished. Wakes waiters. Harmless for unknown objects and duplicates.
  virtual Status NotifyCompleted(const ObjectRef& object,
                                 std::optional<Clock::TimePoint> expiry) = 0;
  // Stops threads; waiters get kAborted. The journal keeps everything for the next start.
  virtual void Shutdown() = 0;
};

// Opens the journal, resumes what a previous run left (pending ones are sent, in-flight ones
// re-checked with HEAD), and starts the tracker.
Result<std::unique_ptr<Engine>> OpenEngine(const EngineOptions& options,
                                           std::shared_ptr<const Policy> policy,
                                           s3::S3Client& client, Clock& clock);

}  // namespace thaw::restore
