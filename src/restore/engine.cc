// The engine's frame: opening and resuming, the in-flight table that de-duplicates submits,
// the scheduler (a timer heap on the injected clock) and the worker pool, journal queries and
// completion events. What each job does is in engine_jobs.cc.
#include <spdlog/spdlog.h>

#include "restore/internal/engine_impl.h"
#include "restore/tracker.h"

namespace thaw::restore {
namespace internal {
namespace {

// With no timer pending the scheduler still wakes now and then; bounded so that a RealClock
// wait never overflows the steady clock's range.
constexpr auto kIdleWake = std::chrono::hours(1);
// max_concurrency = 0 ("unlimited") still needs a finite pool.
constexpr int kUnlimitedWorkers = 256;
// How long a Submit waits at a time for a task that is ending `expired` (a journal commit away).
constexpr auto kEndingWait = std::chrono::seconds(1);

TokenBucket MakeBucket(Clock& clock, double rate) {
  return TokenBucket(clock, rate, rate);
}

AdaptiveRateOptions RateOptions(double ceiling) {
  AdaptiveRateOptions o;
  o.max_rate = ceiling;
  return o;
}

int WorkerCount(const Limits& limits) {
  return limits.max_concurrency > 0 ? limits.max_concurrency : kUnlimitedWorkers;
}

ConcurrencyLimitOptions SendLimitOptions(const EngineOptions& options) {
  ConcurrencyLimitOptions o;
  o.max_limit = WorkerCount(options.limits);
  o.adaptive = options.adapt_concurrency && options.limits.adaptive_concurrency;
  return o;
}

}  // namespace

EngineImpl::EngineImpl(const EngineOptions& options, std::shared_ptr<const Policy> policy,
                       std::unique_ptr<Journal> journal, s3::S3Client& client, Clock& clock)
    : options_(options),
      policy_(std::move(policy)),
      journal_(std::move(journal)),
      client_(client),
      clock_(clock),
      restore_tokens_(MakeBucket(clock, options.limits.restore_requests_per_second)),
      head_tokens_(MakeBucket(clock, options.limits.head_requests_per_second)),
      restore_rate_(clock, restore_tokens_,
                    RateOptions(options.limits.restore_requests_per_second)),
      head_rate_(clock, head_tokens_, RateOptions(options.limits.head_requests_per_second)),
      send_limit_(clock, SendLimitOptions(options)),
      rng_(options.random_seed != 0
               ? options.random_seed
               : static_cast<uint64_t>(clock.Now().time_since_epoch().count())) {}

EngineImpl::~EngineImpl() {
  Shutdown();
}

Status EngineImpl::Start() {
  if (options_.mode == EngineOptions::Mode::kObserver) return Status::Ok();
  // Resume: every row a previous run left unfinished becomes a task again. Nothing is sent
  // here: pending rows are decided afresh (prepare), requested/in_progress rows are HEADed
  // first (check), and tracker.h's InterpretHead decides whether a send is due.
  THAW_ASSIGN_OR_RETURN(std::vector<RestoreRecord> rows, journal_->NonTerminal());
  for (RestoreRecord& rec : rows) {
    auto task = std::make_shared<Task>();
    task->handle = std::make_shared<Request>(clock_, rec);
    task->handle->SetJournaled(Status::Ok());
    task->options.source = rec.source;
    task->options.wait_for_budget = rec.wait_for_budget;
    // The tier/days already decided stay (they were journaled before anything was sent).
    task->options.tier = rec.tier;
    task->options.days = rec.days;
    task->rec = std::move(rec);
    task->unconfirmed_send = task->rec.state == State::kRequested;
    Job::Kind kind = task->rec.state == State::kPending ? Job::Kind::kPrepare : Job::Kind::kCheck;
    {
      std::lock_guard<std::mutex> g(mu_);
      task->awaiting_check = kind == Job::Kind::kCheck;
      task->handle->SetRechecking(task->awaiting_check);
      in_flight_[task->rec.object] = task;
      ++stats_.in_flight;
    }
    Schedule(task, kind, clock_.Now());
  }
  if (!rows.empty()) spdlog::info("restore engine: resuming {} unfinished requests", rows.size());
  int workers = WorkerCount(options_.limits);
  send_limit_seen_ = send_limit_.limit();
  threads_.emplace_back([this] { SchedulerLoop(); });
  for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { WorkerLoop(); });
  return Status::Ok();
}

void EngineImpl::Shutdown() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_ = true;
    timer_cv_.notify_all();
    work_cv_.notify_all();
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  {
    // RestoreObject calls under way: their answers are journaled (OnSent acts on them itself
    // once the workers are gone) before the journal is flushed.
    std::unique_lock<std::mutex> l(mu_);
    sends_cv_.wait(l, [&] { return sends_in_flight_ == 0; });
    parked_sends_.clear();
  }
  journal_->Flush();  // every async state change durable and published before handles abort
  std::map<ObjectRef, std::shared_ptr<Task>> tasks;
  {
    std::lock_guard<std::mutex> g(mu_);
    tasks.swap(in_flight_);
    while (!timers_.empty()) timers_.pop();
    ready_.clear();
  }
  for (auto& [object, task] : tasks) {
    task->handle->Abort(Status::Aborted("restore engine stopped before " + object.ToString() +
                                        " finished; it resumes at the next start"));
  }
}

void EngineImpl::Schedule(const std::shared_ptr<Task>& task, Job::Kind kind, Clock::TimePoint due) {
  std::lock_guard<std::mutex> g(mu_);
  if (stopping_) return;
  Job job{kind, due, next_seq_++, ++task->generation, task};
  if (due <= clock_.Now()) {
    // A send goes ahead of queued prepares: finishing a decided request before HEADing the
    // next keeps requests flowing from the start of a bulk submit or a resume of thousands of
    // pending rows, instead of HEADing them all first (and, after a crash in that phase, again).
    if (kind == Job::Kind::kSend) {
      ready_.push_front(std::move(job));
    } else {
      ready_.push_back(std::move(job));
    }
    work_cv_.notify_one();
  } else {
    // The scheduler sleeps until the earliest timer: only an earlier one needs to wake it
    // (a bulk restore adds a later poll per object sent).
    bool earliest = timers_.empty() || due < timers_.top().due;
    timers_.push(std::move(job));
    if (earliest) {
      timers_changed_ = true;
      timer_cv_.notify_all();
    }
  }
}

void EngineImpl::SchedulerLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (!stopping_) {
    Clock::TimePoint now = clock_.Now();
    while (!timers_.empty() && timers_.top().due <= now) {
      ready_.push_back(timers_.top());
      timers_.pop();
      work_cv_.notify_one();
    }
    Clock::TimePoint deadline = timers_.empty() ? now + kIdleWake : timers_.top().due;
    timers_changed_ = false;
    clock_.WaitUntil(l, timer_cv_, deadline, [&] { return stopping_ || timers_changed_; });
  }
}

void EngineImpl::WorkerLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    // An untimed wait: jobs arrive from Schedule or the scheduler, never by time alone.
    work_cv_.wait(l, [&] { return stopping_ || !ready_.empty(); });
    if (stopping_) return;
    Job job = std::move(ready_.front());
    ready_.pop_front();
    l.unlock();
    RunJob(job);
    l.lock();
  }
}

double EngineImpl::Uniform() {
  std::lock_guard<std::mutex> g(mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

void EngineImpl::Publish(Task& task, const RestoreRecord& rec) {
  task.handle->Update(rec);
  if (options_.on_change) options_.on_change(rec);
}

void EngineImpl::Retire(Task& task) {
  task.finished = true;
  std::lock_guard<std::mutex> g(mu_);
  ++task.generation;  // any queued job of this task is now stale
  auto it = in_flight_.find(task.rec.object);
  if (it != in_flight_.end() && it->second.get() == &task) {
    in_flight_.erase(it);
    --stats_.in_flight;
  }
}

void EngineImpl::Commit(Task& task, RestoreRecord rec) {
  rec.updated_at = clock_.Now();
  Status s = journal_->Put(rec);
  if (!s.ok()) spdlog::error("restore engine: {}: {}", rec.object.ToString(), s.ToString());
  task.rec = rec;
  // Retire before waking waiters: one who re-submits at once must get a new request.
  if (IsTerminal(rec.state)) Retire(task);
  Publish(task, rec);
}

void EngineImpl::CommitAsync(const std::shared_ptr<Task>& task, RestoreRecord rec) {
  rec.updated_at = clock_.Now();
  task->rec = rec;
  // The callback runs on the journal's commit thread: Publish of a non-terminal state only
  // updates the handle's record and calls on_change (no subscribers, no engine locks).
  journal_->PutAsync(rec, [this, task, rec](const Status& s) {
    if (!s.ok()) spdlog::error("restore engine: {}: {}", rec.object.ToString(), s.ToString());
    Publish(*task, rec);
  });
}

Result<std::shared_ptr<RestoreHandle>> EngineImpl::Submit(const ObjectRef& object,
                                                          const SubmitOptions& options) {
  if (options_.mode == EngineOptions::Mode::kObserver) {
    return Status::FailedPrecondition("restore engine opened as an observer cannot submit");
  }
  if (object.bucket.empty() || object.key.empty()) {
    return Status::InvalidArgument("restore needs a bucket and a key: " + object.ToString());
  }
  std::optional<s3::ObjectInfo> known = TrustedKnownInfo(object, options.known_info);
  std::shared_ptr<Task> task;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stopping_) return Status::Aborted("restore engine stopped");
    auto it = in_flight_.find(object);
    while (it != in_flight_.end() && it->second->ending_expired) {
      // Retired before its handle finishes (Commit): once the wait returns, it is gone.
      std::shared_ptr<Request> ending = it->second->handle;
      mu_.unlock();
      (void)ending->WaitUntil(clock_.Now() + kEndingWait);
      mu_.lock();
      if (stopping_) return Status::Aborted("restore engine stopped");
      it = in_flight_.find(object);
    }
    if (it != in_flight_.end()) {
      ++stats_.deduplicated;
      if (it->second->awaiting_check) it->second->joined = options;
      std::shared_ptr<Request> handle = it->second->handle;
      // Outside mu_: the submitter may still be writing the pending row.
      mu_.unlock();
      Status s = handle->AwaitJournaled();
      mu_.lock();
      if (!s.ok()) return s;
      return std::shared_ptr<RestoreHandle>(handle);
    }
    task = std::make_shared<Task>();
    RestoreRecord rec;
    rec.object = object;
    rec.state = State::kPending;
    rec.source = options.source;
    rec.tier = options.tier;
    rec.days = options.days;
    rec.wait_for_budget = options.wait_for_budget;
    rec.submitted_at = clock_.Now();
    rec.updated_at = *rec.submitted_at;
    task->rec = rec;
    task->options = options;
    task->info = std::move(known);
    task->handle = std::make_shared<Request>(clock_, rec);
    in_flight_[object] = task;
    ++stats_.submitted;
    ++stats_.in_flight;
  }
  if (!options.durable_before_return) {
    // The journal commits in queue order: this row is durable before the `requested` one that
    // precedes any send. A failed write fails that later one too (and so the request).
    std::shared_ptr<Request> handle = task->handle;
    journal_->PutAsync(task->rec, [handle, object](const Status& s) {
      if (!s.ok()) spdlog::error("restore engine: {}: {}", object.ToString(), s.ToString());
      handle->SetJournaled(s);
    });
    Schedule(task, Job::Kind::kPrepare, clock_.Now());
    return std::shared_ptr<RestoreHandle>(task->handle);
  }
  // The pending row is durable before Submit returns (an event source acknowledges its
  // message after this) and before anything is sent.
  Status s = journal_->Put(task->rec);
  task->handle->SetJournaled(s);
  if (!s.ok()) {
    std::lock_guard<std::mutex> g(task->work_mu);
    task->rec.state = State::kFailed;
    task->rec.reason = Reason::kJournal;
    task->rec.error = s.message();
    Retire(*task);
    Publish(*task, task->rec);
    return s;
  }
  Schedule(task, Job::Kind::kPrepare, clock_.Now());
  return std::shared_ptr<RestoreHandle>(task->handle);
}

Result<s3::ObjectInfo> EngineImpl::Head(const ObjectRef& object) {
  Clock::TimePoint when = head_tokens_.Reserve();
  if (when > clock_.Now()) clock_.SleepFor(when - clock_.Now());
  return SendHead(object);
}

Result<s3::ObjectInfo> EngineImpl::SendHead(const ObjectRef& object) {
  {
    std::lock_guard<std::mutex> g(mu_);
    ++stats_.head_calls;
  }
  head_rate_.OnSend();
  Result<s3::ObjectInfo> r = client_.HeadObject({object.bucket, object.key, object.version_id});
  // Unavailable after the client's own retries: S3 (or the network) asks us to slow down.
  if (!r.ok() && r.status().IsUnavailable()) {
    head_rate_.OnThrottle();
  } else {
    head_rate_.OnSuccess();
  }
  return r;
}

std::optional<s3::ObjectInfo> EngineImpl::TrustedKnownInfo(
    const ObjectRef& object, const std::optional<s3::ObjectInfo>& known) {
  if (!known || !known->archived() || known->restore.state != s3::RestoreStatus::State::kNone) {
    return known;
  }
  Result<std::optional<RestoreRecord>> row = journal_->Peek(object);
  if (!row.ok()) {
    spdlog::warn("restore engine: {}: {}", object.ToString(), row.status().ToString());
    return std::nullopt;
  }
  if (!*row) return known;
  const RestoreRecord& r = **row;
  bool alive =
      r.state == State::kRequested || r.state == State::kInProgress ||
      (r.state == State::kRestored && (!r.restore_expiry || *r.restore_expiry > clock_.Now()));
  return alive ? std::nullopt : known;
}

Result<Decision> EngineImpl::Plan(const ObjectRef& object, const SubmitOptions& options) {
  s3::ObjectInfo info;
  if (std::optional<s3::ObjectInfo> known = TrustedKnownInfo(object, options.known_info)) {
    info = *known;
  } else {
    THAW_ASSIGN_OR_RETURN(info, Head(object));
  }
  info.bucket = object.bucket;
  info.key = object.key;
  return policy_->Decide(info, {options.tier, options.days}, clock_.Now(), options_.renew_margin);
}

RestoreRecord EngineImpl::ExpireIfDue(RestoreRecord rec) {
  // A restored copy we know the expiry of is gone once that time passed; say so without a HEAD.
  Clock::TimePoint now = clock_.Now();
  if (rec.state == State::kRestored && rec.restore_expiry && *rec.restore_expiry <= now) {
    rec.state = State::kExpired;
    rec.updated_at = now;
    Status s = journal_->Put(rec);
    if (!s.ok()) spdlog::warn("restore engine: {}", s.ToString());
  }
  return rec;
}

Result<RestoreRecord> EngineImpl::Query(const ObjectRef& object) {
  THAW_ASSIGN_OR_RETURN(std::optional<RestoreRecord> rec, journal_->Get(object));
  if (!rec) return Status::NotFound("no restore of " + object.ToString() + " in the journal");
  return ExpireIfDue(std::move(*rec));
}

Result<std::vector<RestoreRecord>> EngineImpl::InFlight() {
  return journal_->NonTerminal();
}

Result<std::vector<RestoreRecord>> EngineImpl::List(const std::string& bucket,
                                                    const std::string& prefix) {
  THAW_ASSIGN_OR_RETURN(std::vector<RestoreRecord> rows, journal_->List(bucket, prefix));
  for (RestoreRecord& r : rows) r = ExpireIfDue(std::move(r));
  return rows;
}

Result<RestoreRecord> EngineImpl::Refresh(const ObjectRef& object) {
  THAW_ASSIGN_OR_RETURN(RestoreRecord rec, Query(object));
  {
    std::lock_guard<std::mutex> g(mu_);
    // Our own tracker follows it; a HEAD here would only race with it.
    if (in_flight_.count(object)) return rec;
  }
  THAW_ASSIGN_OR_RETURN(s3::ObjectInfo info, Head(object));
  HeadVerdict v = InterpretHead(rec.state, info);
  switch (v.kind) {
    case HeadVerdict::Kind::kRestored:
      rec.state = State::kRestored;
      rec.restore_expiry = v.expiry;
      break;
    case HeadVerdict::Kind::kOngoing:
      if (!IsTerminal(rec.state)) rec.state = State::kInProgress;
      break;
    case HeadVerdict::Kind::kResend:
      break;  // a pending/requested row of another process: it will send it
    case HeadVerdict::Kind::kExpired:
      if (rec.state == State::kRestored || rec.state == State::kInProgress) {
        rec.state = State::kExpired;
      }
      break;
  }
  rec.updated_at = clock_.Now();
  THAW_RETURN_IF_ERROR(journal_->Put(rec));
  return rec;
}

Status EngineImpl::NotifyCompleted(const ObjectRef& object,
                                   std::optional<Clock::TimePoint> expiry) {
  std::shared_ptr<Task> task;
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = in_flight_.find(object);
    if (it != in_flight_.end()) task = it->second;
  }
  if (task) {
    std::lock_guard<std::mutex> g(task->work_mu);  // waits for a job of this task under way
    if (task->finished) return Status::Ok();
    RestoreRecord rec = task->rec;
    rec.state = State::kRestored;
    rec.restore_expiry = expiry;
    rec.next_check_at.reset();
    Commit(*task, std::move(rec));  // retires the task: its queued check becomes stale
    return Status::Ok();
  }
  // Not ours in memory: perhaps another process's, or a duplicate event. Update the journal
  // row if it is still open (or refresh a known expiry); ignore unknown objects.
  THAW_ASSIGN_OR_RETURN(std::optional<RestoreRecord> rec, journal_->Get(object));
  if (!rec) return Status::Ok();
  if (IsTerminal(rec->state) && rec->state != State::kRestored) return Status::Ok();
  if (rec->state == State::kRestored && (!expiry || rec->restore_expiry == expiry)) {
    return Status::Ok();
  }
  rec->state = State::kRestored;
  rec->restore_expiry = expiry;
  rec->next_check_at.reset();
  rec->updated_at = clock_.Now();
  return journal_->Put(*rec);
}

EngineStats EngineImpl::Stats() const {
  std::lock_guard<std::mutex> g(mu_);
  EngineStats s = stats_;
  s.restore_concurrency = send_limit_.limit();
  return s;
}

}  // namespace internal

Result<std::unique_ptr<Engine>> OpenEngine(const EngineOptions& options,
                                           std::shared_ptr<const Policy> policy,
                                           s3::S3Client& client, Clock& clock) {
  if (options.state_dir.empty()) return Status::InvalidArgument("restore engine: no state_dir");
  if (!policy) policy = std::make_shared<Policy>();
  THAW_ASSIGN_OR_RETURN(std::unique_ptr<Journal> journal, Journal::Open(options.state_dir));
  auto engine = std::make_unique<internal::EngineImpl>(options, std::move(policy),
                                                       std::move(journal), client, clock);
  THAW_RETURN_IF_ERROR(engine->Start());
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace thaw::restore
