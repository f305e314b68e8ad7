// RestoreHandle implementation: the record of one request as its waiters see it. Waiting goes
// through the engine's Clock so a FakeClock drives deadlines in tests; subscribers are called
// exactly once, without the lock, so a FUSE reply may be sent straight from the callback.
#include "restore/internal/engine_impl.h"

namespace thaw::restore::internal {

Request::Request(Clock& clock, RestoreRecord initial)
    : clock_(clock), object_(initial.object), record_(std::move(initial)) {}

RestoreRecord Request::Snapshot() const {
  std::lock_guard<std::mutex> g(mu_);
  return record_;
}

Result<RestoreRecord> Request::WaitUntil(Clock::TimePoint deadline) {
  std::unique_lock<std::mutex> l(mu_);
  bool done = clock_.WaitUntil(l, cv_, deadline, [&] { return finished_; });
  if (!done) {
    return Status::DeadlineExceeded("restore of " + object_.ToString() + " still " +
                                    std::string(StateName(record_.state)) + " at the deadline");
  }
  if (!abort_status_.ok()) return abort_status_;
  return record_;
}

int Request::Subscribe(RestoreCallback fn) {
  std::unique_lock<std::mutex> l(mu_);
  int id = next_id_++;
  if (!finished_) {
    subscribers_.emplace(id, std::move(fn));
    return id;
  }
  Result<RestoreRecord> result =
      abort_status_.ok() ? Result<RestoreRecord>(record_) : Result<RestoreRecord>(abort_status_);
  l.unlock();
  fn(result);
  return id;
}

void Request::Unsubscribe(int id) {
  std::lock_guard<std::mutex> g(mu_);
  subscribers_.erase(id);
}

void Request::Update(const RestoreRecord& record) {
  std::unique_lock<std::mutex> l(mu_);
  if (finished_) return;
  record_ = record;
  if (IsTerminal(record.state)) Finish(l, record_);
}

void Request::Abort(const Status& status) {
  std::unique_lock<std::mutex> l(mu_);
  if (finished_) return;
  abort_status_ = status;
  if (!journaled_) journaled_ = status;
  Finish(l, status);
}

void Request::Finish(std::unique_lock<std::mutex>& l, const Result<RestoreRecord>& result) {
  finished_ = true;
  std::map<int, RestoreCallback> subscribers;
  subscribers.swap(subscribers_);
  Result<RestoreRecord> copy = result;
  cv_.notify_all();
  l.unlock();
  for (auto& [id, fn] : subscribers) fn(copy);
}

void Request::SetJournaled(const Status& status) {
  std::lock_guard<std::mutex> g(mu_);
  journaled_ = status;
  cv_.notify_all();
}

Status Request::AwaitJournaled() {
  std::unique_lock<std::mutex> l(mu_);
  // Not a timed wait: it ends when the submitter's SQLite write returns.
  cv_.wait(l, [&] { return journaled_.has_value(); });
  return *journaled_;
}

}  // namespace thaw::restore::internal
