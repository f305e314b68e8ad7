// Events to the restore engine for `thaw lambda`, acknowledged once S3 answered (lambda_sink.h).
#include "events/lambda_sink.h"

#include <spdlog/spdlog.h>

#include "events/dispatch.h"

namespace thaw::events {

using restore::ObjectRef;
using restore::RestoreRecord;
using restore::State;

bool IsSent(State state) {
  return state != State::kPending && state != State::kRequested;
}

EngineSink::EngineSink(Clock& clock, std::chrono::milliseconds margin)
    : clock_(clock), margin_(margin) {}

void EngineSink::OnChange(const RestoreRecord& record) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = watches_.find(record.object);
    if (it == watches_.end()) return;
    it->second.latest = record;
  }
  cv_.notify_all();
}

void EngineSink::Unwatch(const ObjectRef& object) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = watches_.find(object);
  if (it != watches_.end() && --it->second.count <= 0) watches_.erase(it);
}

Status EngineSink::Dispatch(const Event& event, const ObjectRef& object, bool watch) {
  if (watch) {
    std::lock_guard<std::mutex> lock(mu_);
    ++watches_[object].count;  // before Submit: its first state changes must not be missed
  }
  // The dispatcher decides what an event means for the engine (dispatch.h), as for `thaw
  // serve`; alternate keys are tried here, synchronously, so that the answer covers them.
  Parsed one;
  one.format = event.format;
  one.events.push_back(event);
  one.events.back().key = object.key;
  one.events.back().alternate_key.reset();
  DispatchOptions options;
  options.try_alternate_keys = false;
  auto outcome = DispatchParsed(one, *engine_, options);
  if (outcome.ok() && on_dispatched_) on_dispatched_(*outcome);
  if (!outcome.ok() || !watch) {
    if (watch) Unwatch(object);
    return outcome.ok() ? Status::Ok() : outcome.status();
  }
  if (outcome->handles.empty()) {
    Unwatch(object);
    return Status::Internal("dispatcher submitted nothing for " + object.ToString());
  }
  // A submit that joined a request already in flight causes no state change: start from the
  // handle's view unless the observer already reported something (which is then newer).
  RestoreRecord snapshot = outcome->handles.front()->Snapshot();
  std::lock_guard<std::mutex> lock(mu_);
  Watch& w = watches_[object];
  if (!w.latest) w.latest = std::move(snapshot);
  return Status::Ok();
}

std::vector<std::optional<RestoreRecord>> EngineSink::WaitSent(const std::vector<Pending>& pending,
                                                               Clock::TimePoint until) {
  std::unique_lock<std::mutex> lock(mu_);
  auto sent = [&](const ObjectRef& o) {
    auto it = watches_.find(o);
    return it != watches_.end() && it->second.latest && IsSent(it->second.latest->state);
  };
  clock_.WaitUntil(lock, cv_, until, [&] {
    for (const Pending& p : pending) {
      if (!sent(p.object)) return false;
    }
    return true;
  });
  std::vector<std::optional<RestoreRecord>> out;
  for (const Pending& p : pending) {
    if (sent(p.object)) {
      out.push_back(watches_[p.object].latest);
    } else {
      out.push_back(std::nullopt);
    }
  }
  return out;
}

std::vector<Status> EngineSink::Apply(std::span<const Event* const> events,
                                      Clock::TimePoint deadline) {
  std::vector<Status> results(events.size());
  if (engine_ == nullptr) {
    for (Status& s : results) s = Status::FailedPrecondition("no restore engine");
    return results;
  }
  std::vector<Pending> pending;
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = *events[i];
    ObjectRef object{e.bucket, e.key, e.version_id};
    bool wanted = e.kind == EventKind::kRestoreWanted;
    results[i] = Dispatch(e, object, wanted);
    if (wanted && results[i].ok()) pending.push_back(Pending{i, object});
  }

  Clock::TimePoint until =
      deadline == Clock::TimePoint{} ? clock_.Now() + std::chrono::minutes(5) : deadline - margin_;
  // At most two rounds: the key as written, then its alternate reading (cloudtrail.h).
  while (!pending.empty()) {
    auto records = WaitSent(pending, until);
    std::vector<Pending> next;
    for (size_t j = 0; j < pending.size(); ++j) {
      const Pending& p = pending[j];
      const Event& e = *events[p.index];
      Unwatch(p.object);
      const auto& rec = records[j];
      if (!rec) {
        results[p.index] = Status::DeadlineExceeded("restore of " + p.object.ToString() +
                                                    " not sent before the invocation deadline");
        continue;
      }
      if (rec->state != State::kFailed) {
        spdlog::info("lambda: {}: {}{}{}", p.object.ToString(), restore::StateName(rec->state),
                     rec->error.empty() ? "" : ": ", rec->error);
        continue;
      }
      if (rec->reason == restore::Reason::kNotFound) {
        if (e.alternate_key && !p.tried_alternate) {
          Pending alt{p.index, ObjectRef{e.bucket, *e.alternate_key, e.version_id}, true};
          results[p.index] = Dispatch(e, alt.object, true);
          if (results[p.index].ok()) next.push_back(std::move(alt));
          continue;
        }
        // Deleted since the failed read: nothing left to restore, and no retry will change it.
        spdlog::info("lambda: {}: no such object; nothing to restore", p.object.ToString());
        continue;
      }
      results[p.index] =
          Status::Unavailable("restore of " + p.object.ToString() + " failed: " + rec->error);
    }
    pending = std::move(next);
  }
  return results;
}

}  // namespace thaw::events
