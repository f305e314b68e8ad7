// The restore engine: where every trigger (a file opened in the mount, an event from
// EventBridge, an operator's `thaw restore`) ends up. It decides whether and how to restore
// (policy.h), makes sure each object is requested once (in-flight table; across processes S3's
// 409 is the answer), writes every request to the journal before sending it, follows each
// restore to completion (HEAD polling on a tier-derived schedule, or completion events from
// outside) and wakes whoever waits.
//
// Flow of one request: Submit journals it as `pending` and returns a handle at once; a worker
// HEADs the object (unless the caller passed what it knows), asks the policy, reserves a
// RestoreObject token and the day's budget, journals `requested`, sends, and journals the
// outcome (`in_progress`, `restored`, `skipped`, `failed`); the tracker HEAD-polls `in_progress`
// ones until S3 shows the restored copy. Every state change reaches the handle's waiters and
// subscribers and the optional EngineOptions::on_change observer.
//
// Ownership: the Engine owns its journal, scheduler and worker threads; it borrows the S3Client
// and the Clock, which must outlive it (the Clock must also outlive handles that are waited on).
// Handles stay valid after the engine stops: a request that had not finished then reports
// kAborted.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "restore/policy.h"
#include "restore/record.h"
#include "s3/client.h"
#include "s3/types.h"

namespace thaw::restore {

struct SubmitOptions {
  Source source = Source::kCli;
  // Overrides of the policy's choice (flags such as --tier/--days). Still subject to the
  // storage-class rules: no Days for Intelligent-Tiering, no Expedited for DEEP_ARCHIVE.
  std::optional<s3::RestoreTier> tier;
  std::optional<int> days;
  // What the caller already knows (from a listing or HEAD), to save a HEAD.
  std::optional<s3::ObjectInfo> known_info;
  // Budget exceeded: wait for the next UTC day's budget (true) or be refused at once (false:
  // state skipped, reason kOverBudget).
  bool wait_for_budget = false;
  // Submit returns once the `pending` row is durable (true: an event source deletes its message
  // after Submit). A caller that can ask again after a crash (a bulk restore re-lists its
  // prefix) passes false: the row is then written with the next group commit, still before
  // anything is sent (the `requested` row is committed after it), and Submit does not wait.
  bool durable_before_return = true;
};

// Result of the terminal notification: the final record, or kAborted when the engine stopped
// before the request finished.
using RestoreCallback = std::function<void(const Result<RestoreRecord>&)>;

// A request's progress, shared by everyone who submitted the same object.
class RestoreHandle {
 public:
  virtual ~RestoreHandle() = default;
  virtual const ObjectRef& object() const = 0;
  virtual RestoreRecord Snapshot() const = 0;
  // True while a request resumed from an earlier run waits for the HEAD that tells where it
  // stands: Snapshot() is then what that run left (say in_progress), not yet S3's word.
  virtual bool Rechecking() const { return false; }
  // Blocks until the request reaches a terminal state or the deadline (on the engine's clock)
  // passes. Returns the record, kDeadlineExceeded (the restore goes on) or kAborted (engine
  // stopped).
  virtual Result<RestoreRecord> WaitUntil(Clock::TimePoint deadline) = 0;
  // Calls `fn` exactly once when the request reaches a terminal state or the engine stops
  // (at once, on the caller's thread, if that already happened; otherwise from an engine
  // thread, while the engine holds this object's task lock). `fn` must not block and must not
  // call NotifyCompleted for the same object; Submit (a new request) is fine.
  // Returns an id for Unsubscribe.
  virtual int Subscribe(RestoreCallback fn) = 0;
  virtual void Unsubscribe(int id) = 0;
};

struct EngineOptions {
  std::string state_dir;  // journal lives at state_dir/journal.db; created if missing
  // kObserver opens the journal for `thaw status`: no resume, no threads, Submit refused;
  // Query/List/InFlight/Refresh work. Several processes may share a state dir.
  enum class Mode { kActive, kObserver };
  Mode mode = Mode::kActive;
  Limits limits;  // rates, concurrency, budgets (policy.h; [limits] in the config file)
  // An object restored but expiring within this margin is restored again (extends Days).
  std::chrono::hours renew_margin{24};
  // Tracker: never poll one object more often than this.
  std::chrono::seconds min_poll_interval{60};
  // Tracker: never wait longer than this between polls of one object, whatever the tier's
  // schedule says (0: no cap). For endpoints that restore faster than AWS (the sim with a
  // time scale, moto, MinIO) and for `thaw restore --wait --poll-interval`.
  std::chrono::seconds max_poll_interval{0};
  // Tracker: poll restores in flight until they finish. Off for a process that only sends
  // (`thaw restore` without --wait): a long run's polls would spend requests on objects whose
  // outcome nobody in it waits for (on the sim's fast clock, two HEADs per object of a
  // 100,000-object run). Their rows keep eta and next_check_at, and a later `status
  // --refresh`, `restore --wait`, mount or serve follows them. Resumed rows are still HEADed
  // once at start (where they stand decides whether anything must be sent).
  bool track_in_flight = true;
  // RestoreObject calls in flight follow the endpoint below limits.max_concurrency
  // (concurrency_limit.h) when limits.adaptive_concurrency also says so. For bulk senders
  // (`thaw restore`), whose goal is requests per second; a mount or an event consumer sends
  // what users open or events name, and each of those should go out at once.
  bool adapt_concurrency = false;
  // Relative jitter of poll and retry delays (0.2: +-20%); 0 makes schedules exact (tests).
  double jitter = 0.2;
  // RestoreObject still failing with kUnavailable (after the client's own retries): tries in
  // all before `failed`, with backoff retry_base_delay * 2^n on the clock.
  int max_send_attempts = 5;
  std::chrono::seconds retry_base_delay{30};
  // A request resumed from the journal as `requested` may have been sent by the dead process a
  // moment before it died, still on its way or being handled. If S3 shows no restore yet, the
  // engine HEADs again after this long before sending (no second request for one object).
  std::chrono::seconds resend_grace{10};
  uint64_t random_seed = 0;  // 0: seeded from the clock
  // Called from engine threads after every journaled state change (with that object's task
  // lock held, not the engine-wide one); for progress bars. Must be cheap and must not call
  // back into the engine.
  std::function<void(const RestoreRecord&)> on_change;
};

// Counters of this engine's requests since open (not the journal's history), for progress.
struct EngineStats {
  int submitted = 0;      // new requests (de-duplicated submits not counted)
  int deduplicated = 0;   // submits that joined a request already in flight
  int restore_calls = 0;  // RestoreObject calls sent
  int head_calls = 0;     // HeadObject calls sent
  int in_flight = 0;      // not yet terminal
  uint64_t bytes_requested = 0;
  double cost_requested_usd = 0;
  // RestoreObject calls allowed in flight now (--concurrency, or fewer where the endpoint
  // answers as fast with fewer: concurrency_limit.h).
  int restore_concurrency = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;

  // Submits a restore of `object` and returns once the request is journaled (so an event
  // source may acknowledge its message). Returns the handle shared by every caller of the same
  // object while it is in flight; later states (including kSkipped for readable objects and
  // those the policy denies or the budget refuses) arrive through the handle.
  // An earlier run's request still in flight (resumed) is joined; if its check finds the copy
  // gone, the joiner gets a new request, never that run's `expired` (which on_change may still
  // report while this Submit is on its way).
  virtual Result<std::shared_ptr<RestoreHandle>> Submit(const ObjectRef& object,
                                                        const SubmitOptions& options) = 0;
  // Dry run: HEADs (unless options.known_info) and decides, journaling and sending nothing.
  // Feed the decisions to a CostSummary (cost.h) for --dry-run totals.
  virtual Result<Decision> Plan(const ObjectRef& object, const SubmitOptions& options) = 0;
  // The journal's record of `object` (kNotFound if never seen). A restored record whose
  // expiry has passed is marked expired on the way.
  virtual Result<RestoreRecord> Query(const ObjectRef& object) = 0;
  // HEADs `object` and brings its record up to date (restored, expired, in progress); for
  // `thaw status` refreshing from S3. kNotFound if the journal never saw it.
  virtual Result<RestoreRecord> Refresh(const ObjectRef& object) = 0;
  // Everything not yet terminal, from the journal (other processes' requests included).
  virtual Result<std::vector<RestoreRecord>> InFlight() = 0;
  // Every record whose key starts with `prefix` in `bucket` (empty bucket: all).
  virtual Result<std::vector<RestoreRecord>> List(const std::string& bucket,
                                                  const std::string& prefix) = 0;
  // An outside source (S3 ObjectRestore:Completed notification, EventBridge) says the restore
  // finished. Wakes waiters. Harmless for unknown objects and duplicates.
  virtual Status NotifyCompleted(const ObjectRef& object,
                                 std::optional<Clock::TimePoint> expiry) = 0;
  virtual EngineStats Stats() const = 0;
  // Stops threads (waits for S3 calls under way); unfinished handles get kAborted. The journal
  // keeps everything for the next start. Idempotent; the destructor calls it.
  virtual void Shutdown() = 0;
};

// Opens the journal, resumes what a previous run left (pending ones are decided and sent,
// requested/in_progress ones re-checked with HEAD: nothing S3 already accepted is sent again),
// and starts the scheduler and workers.
Result<std::unique_ptr<Engine>> OpenEngine(const EngineOptions& options,
                                           std::shared_ptr<const Policy> policy,
                                           s3::S3Client& client, Clock& clock);

}  // namespace thaw::restore
