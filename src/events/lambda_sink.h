// The EventSink `thaw lambda` uses: events go to the restore engine, and each is acknowledged
// only once its effect no longer depends on this execution environment. Lambda freezes the
// process as soon as the invocation is answered and may discard it (and /tmp with the journal)
// at any time, so "journaled" is not enough here: a restore-wanted event is done when S3 has
// answered its RestoreObject (or the engine decided no request is needed). `thaw serve`, a
// long-lived process, acknowledges at "journaled" instead (design.md).
//
// What each event means for the engine is the dispatcher's business (dispatch.h, shared with
// `thaw serve`); this sink adds the stronger acknowledgement and tries alternate keys itself:
//   kRestoreWanted     Submit (source event); wait until the request leaves pending/requested.
//                      in_progress, restored, expired, skipped (not archived, denied, over
//                      budget): OK. failed not-found: the alternate reading of the key is tried
//                      (cloudtrail.h); an object that is gone is OK (nothing to restore).
//                      Other failures, and a request still unsent at the deadline: an error,
//                      so the event comes back (SQS redelivery, Lambda retry).
//   kRestoreCompleted  Engine::NotifyCompleted (wakes waiters, harmless for unknown objects).
//   kRestoreInitiated, kRestoreExpired: nothing to do.
//
// The sink learns state changes through the engine's on_change observer: wire
// EngineOptions::on_change to OnChange before opening the engine, then call set_engine.
//
// Thread safety: OnChange may be called from any engine thread; Apply from one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "events/dispatch.h"
#include "events/lambda_handler.h"
#include "restore/engine.h"

namespace thaw::events {

class EngineSink : public EventSink {
 public:
  // `margin`: answer this long before the invocation deadline (posting the answer and
  // Lambda's own bookkeeping need a moment).
  explicit EngineSink(Clock& clock, std::chrono::milliseconds margin = std::chrono::seconds(2));

  void set_engine(restore::Engine* engine) { engine_ = engine; }
  // Called with every dispatch outcome (completion hooks); before Apply, from Apply's thread.
  void set_on_dispatched(std::function<void(const DispatchOutcome&)> f) {
    on_dispatched_ = std::move(f);
  }
  // EngineOptions::on_change.
  void OnChange(const restore::RestoreRecord& record);

  std::vector<Status> Apply(std::span<const Event* const> events,
                            Clock::TimePoint deadline) override;

 private:
  struct Watch {
    int count = 0;
    std::optional<restore::RestoreRecord> latest;
  };
  struct Pending {
    size_t index;  // into the events being applied
    restore::ObjectRef object;
    bool tried_alternate = false;
  };

  // Hands `event` (naming `object`: its key or its alternate reading) to the dispatcher;
  // with `watch`, registers the object first and records the submitted request's state.
  Status Dispatch(const Event& event, const restore::ObjectRef& object, bool watch);
  // Waits (until `until`) for every watched object in `pending` to be sent; returns their
  // records (nullopt where still unsent).
  std::vector<std::optional<restore::RestoreRecord>> WaitSent(const std::vector<Pending>& pending,
                                                              Clock::TimePoint until);
  void Unwatch(const restore::ObjectRef& object);

  Clock& clock_;
  std::chrono::milliseconds margin_;
  restore::Engine* engine_ = nullptr;
  std::function<void(const DispatchOutcome&)> on_dispatched_;

  std::mutex mu_;  // guards watches_; never held while calling into the engine
  std::condition_variable cv_;
  std::map<restore::ObjectRef, Watch> watches_;
};

// True when a request in this state no longer needs this process (S3 has answered).
bool IsSent(restore::State state);

}  // namespace thaw::events
