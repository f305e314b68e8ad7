// The three jobs a request goes through, run by engine workers with the task's work_mu held:
//   prepare: HEAD (unless the caller knew the object) and ask the policy;
//   send:    take a RestoreObject token, charge the day's budget and journal `requested` in one
//            transaction, send, and act on S3's answer (facts doc's RestoreObject table);
//   check:   the tracker's HEAD of an in-progress (or resumed) request.
// Waiting for tokens, budget days, retries and polls never blocks a worker: the job is queued
// again on the timer with the time it is due.
#include <spdlog/spdlog.h>

#include <cstdio>

#include "common/strings.h"
#include "common/time_format.h"
#include "restore/internal/engine_impl.h"
#include "restore/tracker.h"
#include "s3/error.h"

namespace thaw::restore::internal {
namespace {

std::string Dollars(double usd) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "$%.2f", usd);
  return buf;
}

// S3 keeps a restored copy for Days, rounded up to the next 00:00 UTC (facts doc).
std::optional<Clock::TimePoint> ExpiryAfter(Clock::TimePoint from, std::optional<int> days) {
  if (!days) return std::nullopt;
  auto t = from + std::chrono::days(*days);
  auto midnight = std::chrono::floor<std::chrono::days>(t);
  return midnight == t ? t : midnight + std::chrono::days(1);
}

// The task whose RestoreObjectAsync call this thread is inside (its work_mu held): a client
// that answers at once calls OnSent before the call returns, on this thread.
thread_local const Task* tls_sending = nullptr;

ArchiveKind KindOf(const RestoreRecord& rec) {
  return ArchiveKindOf(rec.storage_class, rec.archive_status).value_or(ArchiveKind::kGlacier);
}

}  // namespace

void EngineImpl::RunJob(const Job& job) {
  std::lock_guard<std::mutex> g(job.task->work_mu);
  {
    std::lock_guard<std::mutex> l(mu_);
    if (stopping_ || job.generation != job.task->generation) return;  // stale or stopping
  }
  if (job.task->finished) return;
  switch (job.kind) {
    case Job::Kind::kPrepare:
      Prepare(job.task);
      break;
    case Job::Kind::kSend:
      Send(job.task);
      break;
    case Job::Kind::kSent: {
      std::optional<Result<s3::RestoreOutcome>> r;
      {
        std::lock_guard<std::mutex> l(mu_);
        r.swap(job.task->sent);
      }
      if (r) HandleSent(job.task, *r);
      break;
    }
    case Job::Kind::kCheck:
      Check(job.task);
      break;
  }
}

bool EngineImpl::TakeToken(const std::shared_ptr<Task>& task, TokenBucket& bucket, Job::Kind kind) {
  if (task->token_ready) {
    task->token_ready = false;
    return true;
  }
  Clock::TimePoint when = bucket.Reserve();
  if (when <= clock_.Now()) return true;
  task->token_ready = true;  // booked; used when the job comes back at `when`
  Schedule(task, kind, when);
  return false;
}

void EngineImpl::Fail(Task& task, State state, Reason reason, const std::string& error) {
  RestoreRecord rec = task.rec;
  rec.state = state;
  rec.reason = reason;
  rec.error = error;
  rec.next_check_at.reset();
  if (rec.budget_day.empty()) {
    Commit(task, std::move(rec));
    return;
  }
  // Nothing was restored: give the day's budget back.
  std::string day = rec.budget_day;
  rec.budget_day.clear();
  rec.updated_at = clock_.Now();
  Status s = journal_->RefundAndPut(day, rec.size_bytes, rec.estimated_cost_usd, rec);
  if (!s.ok()) spdlog::error("restore engine: {}: {}", rec.object.ToString(), s.ToString());
  task.rec = rec;
  Retire(task);
  Publish(task, rec);
}

void EngineImpl::Prepare(const std::shared_ptr<Task>& task) {
  if (!task->info) {
    if (!TakeToken(task, head_tokens_, Job::Kind::kPrepare)) return;
    Result<s3::ObjectInfo> info = SendHead(task->rec.object);
    if (!info.ok()) {
      HandleHeadError(task, Job::Kind::kPrepare, info.status());
      return;
    }
    task->info = *info;
    task->unavailable = 0;
  }
  task->info->bucket = task->rec.object.bucket;
  task->info->key = task->rec.object.key;
  Decision d = policy_->Decide(*task->info, {task->options.tier, task->options.days}, clock_.Now(),
                               options_.renew_margin);
  ApplyDecision(task, d);
}

void EngineImpl::ApplyDecision(const std::shared_ptr<Task>& task, const Decision& d) {
  RestoreRecord rec = task->rec;
  rec.storage_class = task->info->storage_class;
  rec.archive_status = task->info->archive_status;
  rec.size_bytes = task->info->size;
  rec.error.clear();
  if (d.tier) rec.tier = d.tier;
  rec.days = d.days;
  rec.note = d.note;
  task->expedited_fallback = d.expedited_fallback;
  switch (d.action) {
    case Decision::Action::kSkip:
      task->rec = rec;
      Fail(*task, State::kSkipped, ParseReason(d.reason_code).value_or(Reason::kDenied), d.message);
      return;
    case Decision::Action::kAlreadyRestored:
      rec.state = State::kRestored;
      rec.restore_expiry = d.restore_expiry;
      rec.note = "already restored: no request needed";
      Commit(*task, std::move(rec));
      return;
    case Decision::Action::kInProgress:
      rec.note = "a restore was already running";
      StartTracking(task, std::move(rec), /*fresh=*/false);
      return;
    case Decision::Action::kRestore:
      rec.estimated_cost_usd = d.cost.restore_usd();
      // Still pending, now with what will be sent. Not journaled here: the `requested` row
      // written next carries it, and a send that must wait saves it first. (Lost in a crash,
      // the durable pending row is simply decided again.)
      task->rec = rec;
      task->decision_unsaved = true;
      Publish(*task, rec);  // the state (pending) is the submitted row's; only details are new
      // Send from this job (we hold the task's lock, as a send job would): handing it to
      // another worker cost a wake-up per object, the main cost of a bulk restore.
      Send(task);
      return;
  }
}

void EngineImpl::SaveDecision(const std::shared_ptr<Task>& task) {
  if (!task->decision_unsaved) return;
  task->decision_unsaved = false;
  CommitAsync(task, task->rec);
}

void EngineImpl::Send(const std::shared_ptr<Task>& task) {
  if (!TakeToken(task, restore_tokens_, Job::Kind::kSend)) {
    SaveDecision(task);  // waiting for a token: show what will be sent
    return;
  }
  {
    std::unique_lock<std::mutex> g(mu_);
    if (sends_in_flight_ >= send_limit_.limit()) {
      // Every slot busy: wait for one, keeping the token (ReleaseSendSlot queues us again).
      task->token_ready = true;
      parked_sends_.push_back(task);
      g.unlock();
      SaveDecision(task);
      return;
    }
    ++sends_in_flight_;
  }
  Task& t = *task;
  t.decision_unsaved = false;  // every path below journals a row that carries the decision
  Clock::TimePoint now = clock_.Now();
  RestoreRecord rec = t.rec;
  rec.state = State::kRequested;
  rec.attempts++;
  rec.error.clear();
  rec.updated_at = now;
  if (!rec.tier) rec.tier = s3::RestoreTier::kStandard;
  if (rec.budget_day.empty()) {
    // First send: charge today's budget and journal `requested` in one transaction.
    rec.budget_day = UtcDay(now);
    const Limits& lim = options_.limits;
    BudgetUse used;
    Result<bool> charged =
        journal_->ChargeAndPut(rec.budget_day, rec.size_bytes, rec.estimated_cost_usd,
                               lim.daily_byte_budget, lim.daily_cost_budget_usd, rec, &used);
    if (!charged.ok() || !*charged) ReleaseSendSlot(false);  // nothing goes out
    if (!charged.ok()) {
      Fail(t, State::kFailed, Reason::kJournal, charged.status().message());
      return;
    }
    if (!*charged) {
      bool cost = lim.daily_cost_budget_usd > 0 &&
                  used.cost_usd + t.rec.estimated_cost_usd > lim.daily_cost_budget_usd;
      std::string msg =
          cost ? "daily cost budget " + Dollars(lim.daily_cost_budget_usd) +
                     " reached: " + Dollars(used.cost_usd) + " spent on " + rec.budget_day +
                     " (UTC), this restore needs " + Dollars(t.rec.estimated_cost_usd)
               : "daily byte budget " + HumanBytes(lim.daily_byte_budget) +
                     " reached: " + HumanBytes(used.bytes) + " restored on " + rec.budget_day +
                     " (UTC), this restore needs " + HumanBytes(t.rec.size_bytes);
      bool fits_a_day =
          (lim.daily_byte_budget == 0 || t.rec.size_bytes <= lim.daily_byte_budget) &&
          (lim.daily_cost_budget_usd == 0 || t.rec.estimated_cost_usd <= lim.daily_cost_budget_usd);
      if (t.rec.wait_for_budget && fits_a_day) {
        RestoreRecord waiting = t.rec;
        Clock::TimePoint next_day = NextUtcMidnight(now);
        waiting.error = msg + "; waiting until " + FormatIso8601(next_day, false);
        Schedule(task, Job::Kind::kSend, next_day);  // before publishing (HandleRestoreError)
        Commit(t, std::move(waiting));
      } else {
        Fail(t, State::kSkipped, Reason::kOverBudget, msg);
      }
      return;
    }
    t.rec = rec;
    Publish(t, rec);
    std::lock_guard<std::mutex> g(mu_);
    stats_.bytes_requested += rec.size_bytes;
    stats_.cost_requested_usd += rec.estimated_cost_usd;
  } else {
    Commit(t, rec);  // a retry or a resumed request: already charged
  }
  {
    std::lock_guard<std::mutex> g(mu_);
    ++stats_.restore_calls;
  }
  const ObjectRef& o = rec.object;
  restore_rate_.OnSend();
  // The `requested` row is durable: from here a crash makes the next start HEAD the object
  // before anything is sent again.
  tls_sending = &t;
  client_.RestoreObjectAsync(
      {o.bucket, o.key, o.version_id, *rec.tier, rec.days},
      [this, task](Result<s3::RestoreOutcome> r) { OnSent(task, std::move(r)); });
  tls_sending = nullptr;
}

void EngineImpl::ReleaseSendSlot(bool answered) {
  std::vector<std::shared_ptr<Task>> next;
  {
    std::lock_guard<std::mutex> g(mu_);
    if (answered) send_limit_.OnAnswer(sends_in_flight_);
    --sends_in_flight_;
    // The slot just freed (unless the limit shrank below what is in flight), plus what the
    // limit just grew by. Not "limit minus in flight": sends queued by earlier releases have
    // not reached Send yet, and would be queued again and again.
    int limit = send_limit_.limit();
    int slots = (sends_in_flight_ < limit ? 1 : 0) + std::max(0, limit - send_limit_seen_);
    send_limit_seen_ = limit;
    while (!parked_sends_.empty() && static_cast<int>(next.size()) < slots) {
      next.push_back(std::move(parked_sends_.front()));
      parked_sends_.pop_front();
    }
    sends_cv_.notify_all();
  }
  for (const std::shared_ptr<Task>& task : next) Schedule(task, Job::Kind::kSend, clock_.Now());
}

void EngineImpl::OnSent(const std::shared_ptr<Task>& task, Result<s3::RestoreOutcome> r) {
  // 503 SlowDown (and other unavailability) that outlasted the client's retries: slow down.
  if (!r.ok() && r.status().IsUnavailable()) {
    restore_rate_.OnThrottle();
  } else {
    restore_rate_.OnSuccess();
  }
  if (tls_sending == task.get()) {
    // The client answered inside RestoreObjectAsync: we are the sender and hold work_mu.
    HandleSent(task, r);
    ReleaseSendSlot(true);
    return;
  }
  bool stopping;
  {
    std::lock_guard<std::mutex> g(mu_);
    stopping = stopping_;
  }
  bool usual = r.ok() && (*r == s3::RestoreOutcome::kAccepted ||
                          *r == s3::RestoreOutcome::kAlreadyInProgress);
  // The sender may still hold the task's lock for a moment (a fast answer): then a worker
  // takes it over. Once the workers are gone (shutdown) nobody else would, so we wait for it.
  std::unique_lock<std::mutex> work(task->work_mu, std::defer_lock);
  if (stopping) {
    work.lock();
  } else if (usual) {
    (void)work.try_lock();
  }
  if (work.owns_lock()) {
    if (!task->finished) HandleSent(task, r);
    work.unlock();
    ReleaseSendSlot(true);
    return;
  }
  {
    std::lock_guard<std::mutex> g(mu_);
    task->sent = std::move(r);
  }
  Schedule(task, Job::Kind::kSent, clock_.Now());
  ReleaseSendSlot(true);
}

void EngineImpl::HandleSent(const std::shared_ptr<Task>& task,
                            const Result<s3::RestoreOutcome>& r) {
  Task& t = *task;
  if (!r.ok()) {
    HandleRestoreError(task, r.status());
    return;
  }
  t.unavailable = 0;
  RestoreRecord rec = t.rec;
  switch (*r) {
    case s3::RestoreOutcome::kAccepted:
    case s3::RestoreOutcome::kAlreadyInProgress:  // 409: someone else started it: success
      rec.requested_at = clock_.Now();
      StartTracking(task, std::move(rec), /*fresh=*/true);
      return;
    case s3::RestoreOutcome::kAlreadyRestored:
      rec.state = State::kRestored;
      rec.restore_expiry = ExpiryAfter(clock_.Now(), rec.days);
      rec.note = "was already restored: S3 set its expiry to now + Days (RestoreObject: 200)";
      Commit(t, std::move(rec));
      return;
    case s3::RestoreOutcome::kExpeditedUnavailable:
      if (t.expedited_fallback && rec.tier == s3::RestoreTier::kExpedited) {
        rec.state = State::kPending;
        rec.tier = s3::RestoreTier::kStandard;
        rec.note += std::string(rec.note.empty() ? "" : "; ") +
                    "Expedited capacity unavailable (503): fell back to Standard";
        Commit(t, std::move(rec));
        Schedule(task, Job::Kind::kSend, clock_.Now());
      } else {
        Fail(t, State::kFailed, Reason::kS3Error,
             "Expedited retrieval capacity unavailable (503 "
             "GlacierExpeditedRetrievalNotAvailable) and the policy forbids falling back");
      }
      return;
    case s3::RestoreOutcome::kNotArchived:
      Fail(t, State::kSkipped, Reason::kNotArchived,
           "not archived: " + rec.storage_class + " (S3 answered InvalidObjectState)");
      return;
  }
}

void EngineImpl::HandleRestoreError(const std::shared_ptr<Task>& task, const Status& s) {
  Task& t = *task;
  if (s.IsUnavailable()) {
    // The client already retried a few times; throttling or an outage outlasted that.
    // Retry later on the clock, a bounded number of times.
    ++t.unavailable;
    if (t.unavailable < options_.max_send_attempts) {
      Clock::TimePoint at = clock_.Now() + RetryDelay(options_.retry_base_delay, t.unavailable,
                                                      options_.jitter, Uniform());
      RestoreRecord rec = t.rec;
      rec.state = State::kPending;
      rec.error = s.message() + "; retry " + std::to_string(t.unavailable + 1) + " of " +
                  std::to_string(options_.max_send_attempts) + " at " + FormatIso8601(at, false);
      // Queued before the state is published (the job waits for our work lock): whoever sees
      // the new state may rely on the retry being scheduled (a FakeClock test advancing time).
      Schedule(task, Job::Kind::kSend, at);
      Commit(t, std::move(rec));
      return;
    }
    Fail(t, State::kFailed, Reason::kRetriesExhausted,
         "RestoreObject still failing after " + std::to_string(t.unavailable) +
             " attempts: " + s.message());
    return;
  }
  Fail(t, State::kFailed, s.IsNotFound() ? Reason::kNotFound : Reason::kS3Error, s.ToString());
}

void EngineImpl::HandleHeadError(const std::shared_ptr<Task>& task, Job::Kind retry_as,
                                 const Status& s) {
  Task& t = *task;
  if (s.IsNotFound()) {
    Fail(t, State::kFailed, Reason::kNotFound, s.ToString());
    return;
  }
  bool transient = s.IsUnavailable();
  ++t.unavailable;
  // A tracked restore goes on in S3 whatever our HEADs do: keep checking. A request not yet
  // decided gives up like a send does.
  if (retry_as == Job::Kind::kPrepare &&
      (!transient || t.unavailable >= options_.max_send_attempts)) {
    Fail(t, State::kFailed, transient ? Reason::kRetriesExhausted : Reason::kS3Error,
         "HeadObject: " + s.ToString());
    return;
  }
  Clock::TimePoint at =
      clock_.Now() + std::max<Clock::Duration>(options_.min_poll_interval,
                                               RetryDelay(options_.retry_base_delay, t.unavailable,
                                                          options_.jitter, Uniform()));
  spdlog::warn("restore engine: HEAD {} failed ({}); again at {}", t.rec.object.ToString(),
               s.ToString(), FormatIso8601(at, false));
  Schedule(task, retry_as, at);  // before publishing, as in HandleRestoreError
  if (retry_as == Job::Kind::kCheck && t.rec.state == State::kInProgress) {
    RestoreRecord rec = t.rec;
    rec.next_check_at = at;
    Commit(t, std::move(rec));
  }
}

void EngineImpl::StartTracking(const std::shared_ptr<Task>& task, RestoreRecord rec, bool fresh) {
  Clock::TimePoint now = clock_.Now();
  ExpectedDuration d =
      ExpectedRestoreDuration(KindOf(rec), rec.tier.value_or(s3::RestoreTier::kStandard));
  rec.state = State::kInProgress;
  if (!rec.requested_at) rec.requested_at = now;
  // An endpoint with a faster clock (thaw sim --time-scale) finishes sooner in our time.
  double scale = client_.EndpointTimeScale();
  rec.eta = *rec.requested_at + ScaleToEndpoint(d.latest, scale);
  Clock::Duration delay =
      fresh ? FirstPollDelay(d, options_.min_poll_interval, options_.jitter, Uniform())
            : NextPollDelay(d, std::max(1, task->polls), options_.min_poll_interval,
                            options_.jitter, Uniform());
  delay = ScaleToEndpoint(delay, scale);
  if (options_.max_poll_interval.count() > 0) {
    delay = std::min<Clock::Duration>(delay, options_.max_poll_interval);
  }
  rec.next_check_at = now + delay;
  // before publishing, as in HandleRestoreError
  if (options_.track_in_flight) Schedule(task, Job::Kind::kCheck, now + delay);
  // `requested` is durable: a crash that loses this row makes a restart HEAD the object first.
  CommitAsync(task, std::move(rec));
}

void EngineImpl::Check(const std::shared_ptr<Task>& task) {
  if (!TakeToken(task, head_tokens_, Job::Kind::kCheck)) return;
  Task& t = *task;
  const ObjectRef& o = t.rec.object;
  Result<s3::ObjectInfo> head = SendHead(o);
  if (!head.ok()) {
    HandleHeadError(task, Job::Kind::kCheck, head.status());
    return;
  }
  t.unavailable = 0;
  t.info = *head;
  t.info->bucket = o.bucket;
  t.info->key = o.key;
  RestoreRecord rec = t.rec;
  if (rec.storage_class.empty()) {  // a row written before its HEAD (hand-made or old)
    rec.storage_class = head->storage_class;
    rec.archive_status = head->archive_status;
    rec.size_bytes = head->size;
  }
  HeadVerdict v = InterpretHead(rec.state, *head);
  std::optional<SubmitOptions> joined;
  {
    std::lock_guard<std::mutex> g(mu_);
    t.awaiting_check = false;
    joined.swap(t.joined);
    t.ending_expired = v.kind == HeadVerdict::Kind::kExpired && !joined;
  }
  if (v.kind == HeadVerdict::Kind::kExpired && joined) {
    // An earlier run's restore whose copy is gone, asked for again by this run: a new request.
    RequestAgain(task, std::move(rec), *joined);
  } else {
    ApplyVerdict(task, v, std::move(rec));
  }
  // After the outcome is published (a new request publishes `pending` before anything is
  // sent), so that a joiner never counts the earlier run's state as S3's answer.
  t.handle->SetRechecking(false);
}

void EngineImpl::RequestAgain(const std::shared_ptr<Task>& task, RestoreRecord rec,
                              const SubmitOptions& options) {
  Task& t = *task;
  rec.state = State::kPending;
  rec.source = options.source;
  rec.submitted_at = clock_.Now();
  rec.requested_at.reset();
  rec.eta.reset();
  rec.restore_expiry.reset();
  rec.next_check_at.reset();
  rec.budget_day.clear();  // the earlier request's charge was for the earlier copy
  rec.attempts = 0;
  rec.error.clear();
  rec.wait_for_budget = options.wait_for_budget;
  t.rec = rec;
  t.options.tier = options.tier;
  t.options.days = options.days;
  t.options.wait_for_budget = options.wait_for_budget;
  t.unconfirmed_send = false;
  Decision d =
      policy_->Decide(*t.info, {options.tier, options.days}, clock_.Now(), options_.renew_margin);
  ApplyDecision(task, d);
}

void EngineImpl::ApplyVerdict(const std::shared_ptr<Task>& task, const HeadVerdict& v,
                              RestoreRecord rec) {
  Task& t = *task;
  switch (v.kind) {
    case HeadVerdict::Kind::kRestored:
      rec.state = State::kRestored;
      rec.restore_expiry = v.expiry;
      rec.next_check_at.reset();
      Commit(t, std::move(rec));
      return;
    case HeadVerdict::Kind::kOngoing:
      ++t.polls;
      StartTracking(task, std::move(rec), /*fresh=*/false);
      return;
    case HeadVerdict::Kind::kExpired:
      rec.state = State::kExpired;
      rec.next_check_at.reset();
      Commit(t, std::move(rec));
      return;
    case HeadVerdict::Kind::kResend: {
      if (t.unconfirmed_send) {
        // The dead process may have sent it just before it died: let that request arrive
        // and show in a HEAD before asking a second time.
        t.unconfirmed_send = false;
        rec.next_check_at = clock_.Now() + options_.resend_grace;
        rec.note = "sent before a restart, not visible yet: checking again before resending";
        Schedule(task, Job::Kind::kCheck, *rec.next_check_at);  // before publishing
        Commit(t, std::move(rec));
        return;
      }
      // S3 never saw it (or forgot): send again with what was decided and charged before.
      Decision d =
          policy_->Decide(*t.info, {rec.tier, rec.days}, clock_.Now(), options_.renew_margin);
      t.expedited_fallback = d.expedited_fallback;
      if (!rec.tier) rec.tier = d.tier;
      if (!rec.days) rec.days = d.days;
      t.rec = rec;
      Schedule(task, Job::Kind::kSend, clock_.Now());
      return;
    }
  }
}

}  // namespace thaw::restore::internal
