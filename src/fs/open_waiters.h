// OpenWaiters: blocking opens of archived files that wait for their restore without holding a
// FUSE worker thread. The open callback registers a waiter and returns; the waiter's `finish`
// runs later, exactly once, on this object's own thread, with one of:
//   the restore's terminal record      (the engine's RestoreHandle::Subscribe fired),
//   kDeadlineExceeded                  (--restore-timeout passed),
//   kCancelled                         (Interrupt: the kernel sent FUSE_INTERRUPT),
//   kAborted                           (Shutdown: the mount is going away).
// The restore itself goes on in every case: the engine and its journal own it.
//
// A deadline is fixed, or derived from the restore's record (`--restore-timeout auto`: the
// engine chooses the tier after the open registers, and may change it, e.g. Expedited falling
// back to Standard); a derived one is re-evaluated at least every kRecheckInterval.
//
// Ids are reserved first (Reserve) so that an interrupt arriving before Wait registers the
// waiter is not lost.
//
// Thread safety: every method may be called from any thread. `finish` must not call back into
// this object.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "common/clock.h"
#include "restore/engine.h"

namespace thaw::fs {

class OpenWaiters {
 public:
  using Finish = std::function<void(const Result<restore::RestoreRecord>&)>;
  // The deadline for a record's current state. Called from this object's thread, never under
  // its lock.
  using DeadlineFn = std::function<Clock::TimePoint(const restore::RestoreRecord&)>;
  static constexpr std::chrono::seconds kRecheckInterval{30};

  explicit OpenWaiters(Clock& clock);
  ~OpenWaiters();  // Shutdown()

  uint64_t Reserve();
  void Wait(uint64_t id, std::shared_ptr<restore::RestoreHandle> handle, Clock::TimePoint deadline,
            Finish finish);
  // As above with a deadline derived from handle->Snapshot().
  void Wait(uint64_t id, std::shared_ptr<restore::RestoreHandle> handle, DeadlineFn deadline,
            Finish finish);
  void Interrupt(uint64_t id);
  // Finishes every waiter with kAborted and stops the thread. Later Waits finish at once.
  void Shutdown();
  size_t waiting() const;

 private:
  struct Waiter {
    std::shared_ptr<restore::RestoreHandle> handle;
    int subscription = -1;
    Clock::TimePoint deadline;
    Finish finish;
    DeadlineFn deadline_fn;  // null: `deadline` is fixed
  };
  struct Done {
    Waiter waiter;
    Result<restore::RestoreRecord> result;
    bool unsubscribe;
  };
  void Register(uint64_t id, std::shared_ptr<restore::RestoreHandle> handle, Waiter waiter);
  // Re-evaluates derived deadlines (takes and releases mu_ around the snapshots).
  void RecheckDeadlines(std::unique_lock<std::mutex>& lock);
  void Run();
  void Complete(std::deque<Done>& done);

  Clock& clock_;
  mutable std::mutex mu_;  // guards everything below; never held while calling out
  std::condition_variable cv_;
  std::map<uint64_t, Waiter> waiters_;
  std::set<uint64_t> reserved_;     // reserved, Wait not called yet
  std::set<uint64_t> interrupted_;  // interrupted before Wait
  std::deque<std::pair<uint64_t, Result<restore::RestoreRecord>>> fired_;  // from the engine
  uint64_t next_id_ = 1;
  bool changed_ = false;  // a waiter was added: deadlines to recompute
  Clock::TimePoint next_recheck_{};
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace thaw::fs
