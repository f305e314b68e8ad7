// The engine's insides, shared by engine.cc (API, scheduler, workers), engine_jobs.cc (the
// three jobs: prepare, send, check) and request.cc (handles). Not a public header.
//
// Model: each object in flight is a Task. A Task always has at most one live Job (prepare:
// HEAD + policy; send: budget + RestoreObject; check: tracker HEAD). Jobs wait on a timer heap
// until due, then on a ready queue until a worker takes them; the number of workers is the
// concurrency cap. A task's `generation` makes queued jobs stale when something else (an
// outside completion event) moved the task on.
//
// Lock order: Task::work_mu, then EngineImpl::mu_. Request::mu_, Journal's and TokenBucket's
// mutexes and ConcurrencyLimit's are leaves. No lock is held while calling subscriber callbacks or
// on_change.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <thread>
#include <vector>

#include "restore/concurrency_limit.h"
#include "restore/engine.h"
#include "restore/journal.h"
#include "restore/limiter.h"
#include "restore/tracker.h"

namespace thaw::restore::internal {

// The handle everybody who submitted one object shares.
class Request : public RestoreHandle {
 public:
  Request(Clock& clock, RestoreRecord initial);

  const ObjectRef& object() const override { return object_; }
  RestoreRecord Snapshot() const override;
  bool Rechecking() const override { return rechecking_; }
  Result<RestoreRecord> WaitUntil(Clock::TimePoint deadline) override;
  int Subscribe(RestoreCallback fn) override;
  void Unsubscribe(int id) override;

  // Engine side. Publishes a new record; a terminal one wakes waiters and runs subscribers.
  void SetRechecking(bool on) { rechecking_ = on; }
  void Update(const RestoreRecord& record);
  // The engine stopped before the request finished: waiters and subscribers get `status`.
  void Abort(const Status& status);
  // Submit returns only once the pending row is durable; joiners wait for it here.
  void SetJournaled(const Status& status);
  Status AwaitJournaled();

 private:
  void Finish(std::unique_lock<std::mutex>& lock, const Result<RestoreRecord>& result);

  Clock& clock_;
  const ObjectRef object_;
  mutable std::mutex mu_;  // leaf lock; guards everything below
  std::condition_variable cv_;
  RestoreRecord record_;
  bool finished_ = false;  // terminal or aborted
  Status abort_status_;
  std::map<int, RestoreCallback> subscribers_;
  int next_id_ = 1;
  std::optional<Status> journaled_;
  std::atomic<bool> rechecking_{false};
};

// Engine-private state of one object in flight.
struct Task {
  std::mutex work_mu;  // held by the worker running this task's job; before EngineImpl::mu_
  std::shared_ptr<Request> handle;
  // Guarded by work_mu:
  RestoreRecord rec;  // as last journaled
  SubmitOptions options;
  std::optional<s3::ObjectInfo> info;  // latest HEAD (or the caller's known_info)
  bool expedited_fallback = true;
  bool token_ready = false;       // a token for the next S3 call of this task is reserved
  int polls = 0;                  // tracker HEADs that found the restore still running
  int unavailable = 0;            // consecutive kUnavailable answers (send or HEAD)
  bool unconfirmed_send = false;  // resumed as `requested`: a request may be on its way
  // `rec` holds a decision (tier, days, cost) not yet journaled: the `requested` row that
  // follows at once carries it; a send that has to wait writes it first (SaveDecision).
  bool decision_unsaved = false;
  bool finished = false;
  // Guarded by EngineImpl::mu_:
  uint64_t generation = 0;
  // Resumed from an earlier run and not HEADed yet; `joined` holds the options of a Submit
  // that joined it meanwhile: if the HEAD finds the copy gone (expired), that caller still
  // wants it restored, so the check turns into a new request instead of ending `expired`.
  bool awaiting_check = false;
  std::optional<SubmitOptions> joined;
  // The check found the copy gone and nobody had joined: the task is ending `expired`. A Submit
  // arriving now waits for it to end and starts a new request (joining would hand it `expired`).
  bool ending_expired = false;
  // S3's answer to the RestoreObject under way, handed to a worker (a kSent job) when the
  // transport's thread could not act on it at once.
  std::optional<Result<s3::RestoreOutcome>> sent;
};

struct Job {
  enum class Kind { kPrepare, kSend, kSent, kCheck };
  Kind kind;
  Clock::TimePoint due;
  uint64_t seq;  // FIFO among equal due times
  uint64_t generation;
  std::shared_ptr<Task> task;
  bool operator>(const Job& o) const { return due != o.due ? due > o.due : seq > o.seq; }
};

class EngineImpl : public Engine {
 public:
  EngineImpl(const EngineOptions& options, std::shared_ptr<const Policy> policy,
             std::unique_ptr<Journal> journal, s3::S3Client& client, Clock& clock);
  ~EngineImpl() override;

  Status Start();  // resume + threads

  Result<std::shared_ptr<RestoreHandle>> Submit(const ObjectRef& object,
                                                const SubmitOptions& options) override;
  Result<Decision> Plan(const ObjectRef& object, const SubmitOptions& options) override;
  Result<RestoreRecord> Query(const ObjectRef& object) override;
  Result<RestoreRecord> Refresh(const ObjectRef& object) override;
  Result<std::vector<RestoreRecord>> InFlight() override;
  Result<std::vector<RestoreRecord>> List(const std::string& bucket,
                                          const std::string& prefix) override;
  Status NotifyCompleted(const ObjectRef& object, std::optional<Clock::TimePoint> expiry) override;
  EngineStats Stats() const override;
  void Shutdown() override;

 private:
  // --- engine.cc ---
  void SchedulerLoop();
  void WorkerLoop();
  // Queues the task's next job (making older ones stale).
  void Schedule(const std::shared_ptr<Task>& task, Job::Kind kind, Clock::TimePoint due);
  // Journals `rec` (a failed write is logged and the record kept in memory), publishes it to
  // the handle and on_change, and retires the task when terminal. Caller holds work_mu.
  void Commit(Task& task, RestoreRecord rec);
  // The same for a non-terminal state whose loss in a crash is harmless (journal.cc says
  // which): the worker goes on at once; the record is published once durable, so whoever sees
  // it (a progress bar, another process reading the journal) sees a durable state.
  void CommitAsync(const std::shared_ptr<Task>& task, RestoreRecord rec);
  void Publish(Task& task, const RestoreRecord& rec);
  // RestoreObject answered (on the client's thread, or on the sender's when the client answers
  // at once). The usual answer (202/409: start tracking, which never blocks) is acted on right
  // there; anything else becomes a kSent job for a worker, since acting on it may wait for a
  // journal commit. No lock held by the caller.
  void OnSent(const std::shared_ptr<Task>& task, Result<s3::RestoreOutcome> r);
  // A send slot is free again: the oldest sends waiting for one go ahead (more than one when
  // the limit grew). `answered`: the slot's call got an answer (feeds the concurrency limit).
  void ReleaseSendSlot(bool answered);
  void Retire(Task& task);
  double Uniform();  // [0, 1)
  // The caller's info unless it says "archived, no restore" while the journal holds a restore
  // of the object that may still be alive (an earlier run's request, a copy not yet expired):
  // a listing without RestoreStatus or an inventory row cannot see those, and a blind request
  // would repeat the restore or reset the copy's expiry (S3: 200). nullopt then: HEAD first.
  std::optional<s3::ObjectInfo> TrustedKnownInfo(const ObjectRef& object,
                                                 const std::optional<s3::ObjectInfo>& known);
  Result<s3::ObjectInfo> Head(const ObjectRef& object);  // waits for a HEAD token on the clock
  // What a tracker HEAD found (Check), acted on.
  void ApplyVerdict(const std::shared_ptr<Task>& task, const HeadVerdict& v, RestoreRecord rec);
  // A resumed restore whose copy expired, submitted again by this run: decided and sent anew.
  void RequestAgain(const std::shared_ptr<Task>& task, RestoreRecord rec,
                    const SubmitOptions& options);
  // A HEAD through the adaptive rate (the token already taken).
  Result<s3::ObjectInfo> SendHead(const ObjectRef& object);
  RestoreRecord ExpireIfDue(RestoreRecord rec);

  // --- engine_jobs.cc (caller holds task.work_mu) ---
  void RunJob(const Job& job);
  void Prepare(const std::shared_ptr<Task>& task);
  // Journals `requested` and sends RestoreObject without waiting for the answer: the worker
  // goes on with other jobs while at most send_limit_.limit() of them are in flight on the client's
  // event loop. The answer comes back in OnSent.
  void Send(const std::shared_ptr<Task>& task);
  // Acts on RestoreObject's answer (caller holds work_mu).
  void HandleSent(const std::shared_ptr<Task>& task, const Result<s3::RestoreOutcome>& r);
  void Check(const std::shared_ptr<Task>& task);
  // Reserves a token for the task's next call; false when the job was re-queued for later.
  bool TakeToken(const std::shared_ptr<Task>& task, TokenBucket& bucket, Job::Kind kind);
  void ApplyDecision(const std::shared_ptr<Task>& task, const Decision& d);
  void SaveDecision(const std::shared_ptr<Task>& task);
  void HandleRestoreError(const std::shared_ptr<Task>& task, const Status& s);
  void HandleHeadError(const std::shared_ptr<Task>& task, Job::Kind retry_as, const Status& s);
  void StartTracking(const std::shared_ptr<Task>& task, RestoreRecord rec, bool fresh);
  // Terminal failure: refunds the budget charge, journals `failed`/`skipped`.
  void Fail(Task& task, State state, Reason reason, const std::string& error);

  const EngineOptions options_;
  const std::shared_ptr<const Policy> policy_;
  std::unique_ptr<Journal> journal_;
  s3::S3Client& client_;
  Clock& clock_;
  TokenBucket restore_tokens_;
  TokenBucket head_tokens_;
  AdaptiveRate restore_rate_;    // drives restore_tokens_ from S3's answers
  AdaptiveRate head_rate_;       // drives head_tokens_
  ConcurrencyLimit send_limit_;  // RestoreObject calls in flight at most

  mutable std::mutex mu_;             // guards everything below; after Task::work_mu
  std::condition_variable timer_cv_;  // the scheduler waits here (on the clock)
  std::condition_variable work_cv_;   // workers wait here for ready jobs
  std::map<ObjectRef, std::shared_ptr<Task>> in_flight_;
  std::priority_queue<Job, std::vector<Job>, std::greater<Job>> timers_;
  std::deque<Job> ready_;
  int sends_in_flight_ = 0;  // sent, answer not yet handled by OnSent
  int send_limit_seen_ = 0;  // send_limit_.limit() at the last ReleaseSendSlot (or Start)
  std::deque<std::shared_ptr<Task>> parked_sends_;  // sends waiting for a slot (token taken)
  std::condition_variable sends_cv_;                // Shutdown waits here for sends to end
  uint64_t next_seq_ = 0;
  bool timers_changed_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  EngineStats stats_;
  std::mt19937_64 rng_;
  std::vector<std::thread> threads_;
};

}  // namespace thaw::restore::internal
