// Journal: the engine's memory across crashes, a SQLite database in WAL mode at
// state_dir/journal.db. One row per object (its latest request) plus the byte and dollar
// budget used per UTC day. The engine writes a request here before it sends it and after every
// state change, so a restart (even after kill -9) knows what was pending, what S3 may have
// seen and what it accepted.
//
// Several processes may open the same journal (the mount, `thaw restore`, `thaw status`):
// SQLite's file locks serialise writers, busy_timeout makes a writer wait for another instead
// of failing, and WAL lets readers proceed while one writes. Budget charges run in one
// IMMEDIATE transaction (check and add), so two processes cannot both spend the last dollar.
//
// Group commit: every write (Put, PutAsync, ChargeAndPut, RefundAndPut) goes to one queue that a
// commit thread drains: everything queued while the previous commit was flushing (up to
// kMaxGroupRows rows) shares one transaction and one fsync, so a commit happens every few
// milliseconds (the disk's flush time) or every kMaxGroupRows rows, whichever comes first. The
// queue is FIFO and one thread applies it, so writes reach the database in the order they were
// queued. A group of asynchronous writes alone waits up to async_hold for a synchronous one (or
// for a full group, or a Flush) before it commits: nobody waits for them, and at a low write rate
// (a few hundred objects a second, as against moto) they would otherwise commit one by one,
// at a disk flush and ~20 KiB of WAL each. A synchronous write returns only once it is durable;
// each multi-statement write runs
// in its own SAVEPOINT, so one that fails is rolled back alone. With synchronous=FULL a commit
// costs one disk flush (~6 ms on a VM disk, 10-20 ms on a loaded one).
//
// PutAsync is for state changes whose loss in a crash is harmless because the row already
// durable says enough to recover (journal.cc lists them): the caller goes on at once and its
// callback runs on the commit thread once the row is durable (or failed to be). Reads in this
// process (Get, List, NonTerminal) first wait for queued writes, so they see every write made
// before them; other processes see a write once its callback has run.
//
// Thread safety: all methods may be called from any thread; mu_ serialises use of the
// connection (SQLite transactions span several statements). Lock order: queue_mu_ is never held
// while mu_ is taken; mu_ is a leaf.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"
#include "restore/record.h"

struct sqlite3;
struct sqlite3_stmt;

namespace thaw::restore {

struct BudgetUse {
  uint64_t bytes = 0;
  double cost_usd = 0;
};

struct JournalOptions {
  // How long a group of async writes alone waits for a sync write to share its commit.
  std::chrono::milliseconds async_hold{10};
};

class Journal {
 public:
  // Creates state_dir (and parents) and the database if missing.
  static Result<std::unique_ptr<Journal>> Open(const std::string& state_dir,
                                               JournalOptions options = {});
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::string& path() const { return path_; }

  // Inserts or replaces the row of record.object; returns once durable.
  Status Put(const RestoreRecord& record);
  // Queues the same write and returns at once; `done` (may be empty) runs on the commit thread
  // once the group holding it committed (or failed). `done` must not call into the journal.
  void PutAsync(const RestoreRecord& record, std::function<void(const Status&)> done);
  // Waits until every write queued before this call is durable (or failed).
  void Flush();
  // nullopt when the journal never saw the object.
  Result<std::optional<RestoreRecord>> Get(const ObjectRef& object);
  // The object's row as last committed, read on a connection of its own: unlike Get, it waits
  // neither for queued writes nor for a commit in progress (a WAL reader never does), so a bulk
  // restore can ask for every object. Writes still queued are not seen.
  Result<std::optional<RestoreRecord>> Peek(const ObjectRef& object);
  // Rows in a non-terminal state (pending, requested, in_progress).
  Result<std::vector<RestoreRecord>> NonTerminal();
  // Rows of `bucket` (empty: every bucket) whose key starts with `prefix`, ordered by object.
  Result<std::vector<RestoreRecord>> List(const std::string& bucket, const std::string& prefix);

  // Budget used on `day` ("YYYY-MM-DD", UTC).
  Result<BudgetUse> BudgetUsed(const std::string& day);
  // Atomically: when `day`'s use plus (bytes, cost) stays within the limits (0: unlimited),
  // adds it and writes `record` and returns true; otherwise writes nothing and returns false.
  // `used` receives the day's use before this charge either way.
  Result<bool> ChargeAndPut(const std::string& day, uint64_t bytes, double cost_usd,
                            uint64_t byte_limit, double cost_limit_usd, const RestoreRecord& record,
                            BudgetUse* used);
  // Gives back a charge (a request S3 refused) and writes `record`, atomically.
  Status RefundAndPut(const std::string& day, uint64_t bytes, double cost_usd,
                      const RestoreRecord& record);

  // Writes every record in one group commit (Batch Operations results: thousands of rows). A
  // record that becomes failed here for the first time gives its charge back (size_bytes and
  // estimated_cost_usd on its budget_day): S3 restores nothing for a failed task. Writing the
  // same results again (a rerun after a crash) refunds nothing twice.
  Status PutResults(const std::vector<RestoreRecord>& records);
  // Atomically adds (bytes, cost) to `day`'s use when it stays within the limits (0:
  // unlimited) and returns true; otherwise changes nothing and returns false. For charges
  // without a row of their own (a Batch Operations job's objects).
  Result<bool> Charge(const std::string& day, uint64_t bytes, double cost_usd, uint64_t byte_limit,
                      double cost_limit_usd, BudgetUse* used);

  // PRAGMA journal_mode ("wal").
  Result<std::string> JournalMode();
  // Group commits made so far (transactions, each with its disk flush).
  uint64_t commits();

 private:
  Journal(sqlite3* db, std::string path, JournalOptions options);
  struct Write {
    std::function<Status()> apply;  // runs with mu_ held inside the group's transaction
    bool single_statement = false;  // atomic by itself: no SAVEPOINT needed
    // Async writes: called on the commit thread after the commit; the Write is then freed.
    // Sync writes (done empty) live on the caller's stack until `finished`.
    std::function<void(const Status&)> done;
    Status status;
    bool finished = false;  // guarded by queue_mu_ (sync writes only)
    // The sync writer waits here, so a group commit wakes exactly the writers it finished (one
    // shared condition variable woke every waiting writer at every commit: a context switch
    // each, the main CPU cost of a bulk restore on a VM).
    std::condition_variable finished_cv;
  };
  static constexpr size_t kMaxGroupRows = 2000;
  // Queues `w` for the next group commit.
  void Enqueue(Write* w);
  Status CommitSync(std::function<Status()> apply, bool single_statement);
  void CommitLoop();
  void RunGroup(const std::vector<Write*>& batch);
  Status Exec(const char* sql);
  Status PutLocked(const RestoreRecord& record);
  // The journaled state of `object`, nullopt when it has no row.
  Result<std::optional<State>> StateLocked(const ObjectRef& object);
  Result<BudgetUse> BudgetUsedLocked(const std::string& day);
  Status AddBudgetLocked(const std::string& day, int64_t bytes, int64_t micros);
  // Adds the charge unless it would pass a limit (0: none); false when it would.
  Result<bool> ChargeLocked(const std::string& day, uint64_t bytes, double cost_usd,
                            uint64_t byte_limit, double cost_limit_usd, BudgetUse* used);
  Result<std::vector<RestoreRecord>> Select(const std::string& where,
                                            const std::vector<std::string>& args);

  std::mutex queue_mu_;  // guards queue_, the totals, stopping_, Write::finished; not with mu_
  std::condition_variable queue_cv_;  // the commit thread waits here for writes
  std::condition_variable done_cv_;   // Flush waits here
  int flush_waiters_ = 0;
  std::vector<Write*> queue_;
  size_t queued_sync_ = 0;       // synchronous writes in queue_
  uint64_t queued_total_ = 0;    // writes ever queued
  uint64_t finished_total_ = 0;  // writes ever finished (FIFO: a prefix of the queued ones)
  uint64_t commits_ = 0;
  const JournalOptions options_;
  bool stopping_ = false;
  std::mutex mu_;  // guards db_ use and the cached statements; leaf lock
  sqlite3* db_;
  std::string path_;
  sqlite3_stmt* put_stmt_ = nullptr;  // cached upsert of a row (guarded by mu_)
  std::mutex peek_mu_;                // guards the read-only connection of Peek; leaf lock
  sqlite3* peek_db_ = nullptr;
  sqlite3_stmt* peek_stmt_ = nullptr;
  std::thread committer_;
};

// The UTC day of `t` as "YYYY-MM-DD": the budget period.
std::string UtcDay(Clock::TimePoint t);
// The next 00:00 UTC after `t`: when a new day's budget starts.
Clock::TimePoint NextUtcMidnight(Clock::TimePoint t);

}  // namespace thaw::restore
