// BulkRestore: restores many objects (a listed prefix, a manifest) through the engine with a
// bounded number in flight, counting everything in a RestoreProgress. The CLI feeds it objects
// as it streams them; nothing here holds the whole list.
//
// Per object: what a listing already says (known_info) saves a HEAD; a listing entry of a
// readable class is counted as skipped without a request or a journal row (a prefix of a
// million STANDARD objects costs no journal writes). Everything else goes to Engine::Submit
// (journaled before anything is sent), or, for a dry run, to Engine::Plan (HEADs only; nothing
// journaled or sent) on a few threads. Submit is called on the caller's thread: it does not wait
// for the pending row's commit (a rerun after a crash lists again), so a pool in front of the
// engine's own would only add a thread hand-off per object.
//
// Submission window: at most `window` objects are submitted and unsettled at once (see
// progress.h for "settled"); Add blocks while the window is full, which keeps the engine's
// in-flight table (and this process's memory) bounded and lets the engine's concurrency cap
// and token buckets pace S3.
//
// Thread safety: Add and Finish are called from one thread; the progress may be read from any.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "restore/engine.h"
#include "restore/progress.h"

namespace thaw::restore {

struct BulkOptions {
  SubmitOptions submit;  // tier/days overrides, source, wait_for_budget
  bool dry_run = false;
  // Objects submitted and not yet settled at once. A few per engine worker keeps them all busy;
  // more only queues up HEADs ahead of sends (the engine runs jobs in arrival order), so that
  // nothing is requested for a long while and a crash finds everything still pending.
  int window = 128;
  int plan_threads = 8;  // dry run: HEADs in parallel
};

class BulkRestore {
 public:
  // `progress` must have been created with the same wait mode the caller uses in Finish, and
  // be wired to the engine's on_change (EngineOptions::on_change -> progress.Observe).
  BulkRestore(Engine& engine, RestoreProgress& progress, Clock& clock, BulkOptions options);
  ~BulkRestore();
  BulkRestore(const BulkRestore&) = delete;
  BulkRestore& operator=(const BulkRestore&) = delete;

  // One object. `known`: what a listing said, when it says enough (s3::ObjectLister::Complete);
  // nullopt makes the engine HEAD it. Blocks while the window is full. Errors are counted as
  // failed objects, not returned: one bad key does not stop a bulk restore.
  void Add(const ObjectRef& object, std::optional<s3::ObjectInfo> known);

  // Waits until everything added has settled, or `deadline` (nullopt: no limit) passes:
  // kDeadlineExceeded then (requests go on in S3 and resume at the next start).
  Status Finish(std::optional<Clock::TimePoint> deadline);

 private:
  struct Item {
    ObjectRef object;
    std::optional<s3::ObjectInfo> known;
  };
  void WorkLoop();
  void Plan(const Item& item);
  void Submit(const Item& item);

  Engine& engine_;
  RestoreProgress& progress_;
  Clock& clock_;
  const BulkOptions options_;

  // Dry-run planner pool.
  std::mutex mu_;
  // Two conditions, so that a queued object wakes one idle planner, not all of them.
  std::condition_variable item_cv_;  // workers: an item was queued, or stopping
  std::condition_variable room_cv_;  // Add and Finish: an item was taken or finished
  std::deque<Item> queue_;
  int busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace thaw::restore
