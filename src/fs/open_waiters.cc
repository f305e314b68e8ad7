// Waiting opens of archived files, finished from one thread (see open_waiters.h).
#include "fs/open_waiters.h"

#include <tuple>
#include <vector>

namespace thaw::fs {

OpenWaiters::OpenWaiters(Clock& clock) : clock_(clock) {
  thread_ = std::thread([this] { Run(); });
}

OpenWaiters::~OpenWaiters() {
  Shutdown();
}

uint64_t OpenWaiters::Reserve() {
  std::lock_guard lock(mu_);
  uint64_t id = next_id_++;
  reserved_.insert(id);
  return id;
}

void OpenWaiters::Wait(uint64_t id, std::shared_ptr<restore::RestoreHandle> handle,
                       Clock::TimePoint deadline, Finish finish) {
  Register(id, std::move(handle), Waiter{nullptr, -1, deadline, std::move(finish), nullptr});
}

void OpenWaiters::Wait(uint64_t id, std::shared_ptr<restore::RestoreHandle> handle,
                       DeadlineFn deadline, Finish finish) {
  Clock::TimePoint first = deadline(handle->Snapshot());
  Register(id, std::move(handle),
           Waiter{nullptr, -1, first, std::move(finish), std::move(deadline)});
}

void OpenWaiters::Register(uint64_t id, std::shared_ptr<restore::RestoreHandle> handle,
                           Waiter waiter) {
  waiter.handle = handle;
  {
    std::unique_lock lock(mu_);
    reserved_.erase(id);
    Status early;
    if (stop_) early = Status::Aborted("the mount is shutting down");
    if (interrupted_.erase(id) > 0) early = Status::Cancelled("interrupted");
    if (!early.ok()) {
      lock.unlock();
      waiter.finish(early);
      return;
    }
    waiters_[id] = std::move(waiter);
    changed_ = true;
  }
  // Outside mu_: Subscribe may call back at once, on this thread.
  int sub = handle->Subscribe([this, id](const Result<restore::RestoreRecord>& r) {
    {
      std::lock_guard lock(mu_);
      fired_.emplace_back(id, r);
    }
    cv_.notify_all();
  });
  bool gone = false;
  {
    std::lock_guard lock(mu_);
    auto it = waiters_.find(id);
    if (it != waiters_.end()) {
      it->second.subscription = sub;
    } else {
      gone = true;  // finished (timeout, interrupt, shutdown) before we got here
    }
  }
  if (gone) handle->Unsubscribe(sub);
  cv_.notify_all();
}

void OpenWaiters::Interrupt(uint64_t id) {
  {
    std::lock_guard lock(mu_);
    if (reserved_.count(id) > 0) {
      interrupted_.insert(id);
      return;
    }
    if (waiters_.count(id) == 0) return;
    fired_.emplace_back(id, Status::Cancelled("interrupted"));
  }
  cv_.notify_all();
}

void OpenWaiters::Shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t OpenWaiters::waiting() const {
  std::lock_guard lock(mu_);
  return waiters_.size();
}

void OpenWaiters::Complete(std::deque<Done>& done) {
  for (Done& d : done) {
    if (d.unsubscribe && d.waiter.subscription >= 0) {
      d.waiter.handle->Unsubscribe(d.waiter.subscription);
    }
    d.waiter.finish(d.result);
  }
  done.clear();
}

void OpenWaiters::RecheckDeadlines(std::unique_lock<std::mutex>& lock) {
  Clock::TimePoint now = clock_.Now();
  if (now < next_recheck_) return;
  next_recheck_ = now + kRecheckInterval;
  std::vector<std::tuple<uint64_t, std::shared_ptr<restore::RestoreHandle>, DeadlineFn>> derived;
  for (const auto& [id, w] : waiters_) {
    if (w.deadline_fn) derived.emplace_back(id, w.handle, w.deadline_fn);
  }
  if (derived.empty()) return;
  // Snapshot takes the handle's lock: never under mu_, which the engine's callbacks take.
  lock.unlock();
  std::vector<std::pair<uint64_t, Clock::TimePoint>> deadlines;
  for (auto& [id, handle, fn] : derived) deadlines.emplace_back(id, fn(handle->Snapshot()));
  lock.lock();
  for (const auto& [id, deadline] : deadlines) {
    auto it = waiters_.find(id);
    if (it != waiters_.end()) it->second.deadline = deadline;
  }
}

void OpenWaiters::Run() {
  std::deque<Done> done;
  std::unique_lock lock(mu_);
  while (true) {
    RecheckDeadlines(lock);
    changed_ = false;
    // Whatever the engine or an interrupt reported, then deadlines, then shutdown.
    while (!fired_.empty()) {
      auto [id, result] = std::move(fired_.front());
      fired_.pop_front();
      auto it = waiters_.find(id);
      if (it == waiters_.end()) continue;  // already finished another way
      bool from_engine = result.ok() || result.status().code() != StatusCode::kCancelled;
      done.push_back(Done{std::move(it->second), std::move(result), !from_engine});
      waiters_.erase(it);
    }
    Clock::TimePoint now = clock_.Now();
    Clock::TimePoint next = now + std::chrono::hours(1);  // no unbounded waits
    bool derived = false;
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (stop_ || it->second.deadline <= now) {
        Status s = stop_ ? Status::Aborted("the mount is shutting down")
                         : Status::DeadlineExceeded("restore timeout");
        done.push_back(Done{std::move(it->second), s, true});
        it = waiters_.erase(it);
      } else {
        next = std::min(next, it->second.deadline);
        derived = derived || static_cast<bool>(it->second.deadline_fn);
        ++it;
      }
    }
    if (!done.empty()) {
      lock.unlock();
      Complete(done);
      lock.lock();
      continue;
    }
    if (stop_) return;
    if (derived) next = std::min(next, next_recheck_);
    clock_.WaitUntil(lock, cv_, next, [&] { return stop_ || changed_ || !fired_.empty(); });
  }
}

}  // namespace thaw::fs
