// RestoreProgress (see progress.h): per tracked object, the last state seen and whether this
// run sent a request; counters move when an object is first classified and when its current
// state changes.
#include "restore/progress.h"

namespace thaw::restore {
namespace {

bool ArchivedRecord(const RestoreRecord& r) {
  if (r.reason == Reason::kNotArchived) return false;
  return s3::IsArchived(r.storage_class, r.archive_status);
}

}  // namespace

void RestoreProgress::Scanned(int64_t n) {
  std::lock_guard<std::mutex> g(mu_);
  counts_.scanned += n;
}

void RestoreProgress::NotArchived() {
  std::lock_guard<std::mutex> g(mu_);
  ++counts_.skipped;
  ++counts_.skipped_by_reason[std::string(ReasonName(Reason::kNotArchived))];
}

void RestoreProgress::Track(const ObjectRef& object) {
  std::lock_guard<std::mutex> g(mu_);
  if (tracked_.emplace(object, Tracked{}).second) ++counts_.pending;
}

bool RestoreProgress::SettledLocked(State s) const {
  if (wait_) return IsTerminal(s);
  return s != State::kPending && s != State::kRequested;
}

void RestoreProgress::LeaveStateLocked(State s) {
  if (s == State::kInProgress) --counts_.in_progress;
  if (s == State::kRestored) --counts_.restored;
}

void RestoreProgress::EnterStateLocked(State s, const RestoreRecord& r) {
  switch (s) {
    case State::kInProgress:
      ++counts_.in_progress;
      if (r.eta && (!counts_.latest_eta || *r.eta > *counts_.latest_eta))
        counts_.latest_eta = r.eta;
      break;
    case State::kRestored:
      ++counts_.restored;
      break;
    case State::kExpired:
      ++counts_.expired;
      break;
    case State::kFailed:
      if (counts_.first_error.empty()) counts_.first_error = r.object.ToString() + ": " + r.error;
      break;
    default:
      break;
  }
}

void RestoreProgress::ClassifyLocked(Tracked& t, const RestoreRecord& r) {
  t.classified = true;
  --counts_.pending;
  if (ArchivedRecord(r)) {
    ++counts_.archived;
    counts_.archived_bytes += r.size_bytes;
  }
  switch (r.state) {
    case State::kSkipped:
      ++counts_.skipped;
      ++counts_.skipped_by_reason[std::string(ReasonName(r.reason))];
      return;
    case State::kFailed:
      ++counts_.failed;
      return;
    case State::kRestored:
    case State::kInProgress:
    case State::kExpired:
      if (t.sent) {
        ++counts_.requested;
        counts_.requested_bytes += r.size_bytes;
        counts_.estimated_cost_usd += r.estimated_cost_usd;
      } else if (r.state == State::kRestored) {
        ++counts_.already_restored;
      } else if (r.state == State::kInProgress) {
        ++counts_.already_in_progress;
      }
      return;
    default:
      return;
  }
}

void RestoreProgress::Observe(const RestoreRecord& r) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = tracked_.find(r.object);
  if (it == tracked_.end()) return;
  Tracked& t = it->second;
  // Before this run's Submit returns, `expired` is an earlier run's restore whose copy is gone,
  // ending as the Submit starts a new request (Engine::Submit): not this run's outcome.
  if (r.state == State::kExpired && !t.submitted) return;
  if (r.state == State::kRequested) t.sent = true;
  if (r.state == t.state) return;
  bool first_stop = r.state != State::kPending && r.state != State::kRequested;
  // Once S3 has it, a request never goes back to pending/requested: such a record is a stale
  // snapshot read before a newer on_change was counted.
  if (t.classified && !first_stop) return;
  if (!t.classified && first_stop) ClassifyLocked(t, r);
  if (t.classified) {
    LeaveStateLocked(t.state);
    EnterStateLocked(r.state, r);
  }
  t.state = r.state;
  if (t.classified && SettledLocked(r.state)) {
    // Settled objects are not followed further (one still running keeps counting as in
    // progress): memory stays bounded by the submission window.
    tracked_.erase(it);
    cv_.notify_all();
  }
}

void RestoreProgress::Submitted(const ObjectRef& object,
                                const std::optional<RestoreRecord>& snapshot) {
  {
    std::lock_guard<std::mutex> g(mu_);
    auto it = tracked_.find(object);
    if (it == tracked_.end()) return;  // settled already
    it->second.submitted = true;
  }
  if (snapshot) Observe(*snapshot);
}

void RestoreProgress::Failed(const ObjectRef& object, const Status& status) {
  std::lock_guard<std::mutex> g(mu_);
  auto it = tracked_.find(object);
  if (it != tracked_.end()) {
    if (!it->second.classified) --counts_.pending;
    tracked_.erase(it);
    cv_.notify_all();
  }
  ++counts_.failed;
  if (counts_.first_error.empty())
    counts_.first_error = object.ToString() + ": " + status.message();
}

void RestoreProgress::Planned(const Decision& d) {
  std::lock_guard<std::mutex> g(mu_);
  if (d.kind && d.reason_code != ReasonName(Reason::kNotArchived)) {
    ++counts_.archived;
    counts_.archived_bytes += d.size_bytes;
  }
  switch (d.action) {
    case Decision::Action::kRestore:
      ++counts_.requested;
      counts_.requested_bytes += d.size_bytes;
      counts_.estimated_cost_usd += d.cost.restore_usd();
      if (d.kind && d.tier) dry_run_.Add(*d.kind, *d.tier, d.size_bytes, d.days);
      break;
    case Decision::Action::kAlreadyRestored:
      ++counts_.already_restored;
      break;
    case Decision::Action::kInProgress:
      ++counts_.already_in_progress;
      break;
    case Decision::Action::kSkip:
      ++counts_.skipped;
      ++counts_.skipped_by_reason[d.reason_code.empty() ? "denied" : d.reason_code];
      break;
  }
}

CostSummary RestoreProgress::DryRunSummary() const {
  std::lock_guard<std::mutex> g(mu_);
  return dry_run_;
}

ProgressCounts RestoreProgress::Counts() const {
  std::lock_guard<std::mutex> g(mu_);
  return counts_;
}

int64_t RestoreProgress::Unsettled() const {
  std::lock_guard<std::mutex> g(mu_);
  return static_cast<int64_t>(tracked_.size());
}

bool RestoreProgress::WaitUnsettledAtMost(int64_t n, Clock& clock, Clock::TimePoint deadline) {
  std::unique_lock<std::mutex> l(mu_);
  return clock.WaitUntil(l, cv_, deadline,
                         [&] { return static_cast<int64_t>(tracked_.size()) <= n; });
}

}  // namespace thaw::restore
