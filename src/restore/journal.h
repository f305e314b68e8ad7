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
// Group commit: writes (Put, ChargeAndPut, RefundAndPut) from many threads share one
// transaction and so one fsync. A writer queues its write; if no transaction is being written it
// leads one with everything queued so far, otherwise it waits for the current leader's commit
// and then leads (or joins) the next. Each write still returns only once it is durable, and each
// runs in its own SAVEPOINT, so one that fails is rolled back alone. With synchronous=FULL a
// commit costs one disk flush (~6 ms on a VM disk); without grouping, the engine's 3-4 commits
// per object capped bulk restores near 40-90 objects per second however fast S3 answered.
//
// Thread safety: all methods may be called from any thread; mu_ serialises use of the
// connection (SQLite transactions span several statements). Lock order: group_mu_ is never held
// while mu_ is taken (the leader releases it first); mu_ is a leaf.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "restore/record.h"

struct sqlite3;

namespace thaw::restore {

struct BudgetUse {
  uint64_t bytes = 0;
  double cost_usd = 0;
};

class Journal {
 public:
  // Creates state_dir (and parents) and the database if missing.
  static Result<std::unique_ptr<Journal>> Open(const std::string& state_dir);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::string& path() const { return path_; }

  // Inserts or replaces the row of record.object.
  Status Put(const RestoreRecord& record);
  // nullopt when the journal never saw the object.
  Result<std::optional<RestoreRecord>> Get(const ObjectRef& object);
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

  // Writes every record in one group commit (Batch Operations results: thousands of rows).
  Status PutMany(const std::vector<RestoreRecord>& records);
  // Atomically adds (bytes, cost) to `day`'s use when it stays within the limits (0:
  // unlimited) and returns true; otherwise changes nothing and returns false. For charges
  // without a row of their own (a Batch Operations job's objects).
  Result<bool> Charge(const std::string& day, uint64_t bytes, double cost_usd, uint64_t byte_limit,
                      double cost_limit_usd, BudgetUse* used);

  // PRAGMA journal_mode ("wal").
  Result<std::string> JournalMode();

 private:
  Journal(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  struct Write {
    std::function<Status()> apply;  // runs with mu_ held inside the group's transaction
    Status status;
    bool done = false;  // guarded by group_mu_
  };
  // Queues `apply` for the next group commit and returns its status once durable.
  Status Commit(std::function<Status()> apply);
  void RunGroup(const std::vector<Write*>& batch);
  Status Exec(const char* sql);
  Status PutLocked(const RestoreRecord& record);
  Result<BudgetUse> BudgetUsedLocked(const std::string& day);
  Status AddBudgetLocked(const std::string& day, int64_t bytes, int64_t micros);
  Result<std::vector<RestoreRecord>> Select(const std::string& where,
                                            const std::vector<std::string>& args);

  std::mutex group_mu_;  // guards queue_, leading_ and Write::done; never held with mu_ taken
  std::condition_variable group_cv_;
  std::vector<Write*> queue_;
  bool leading_ = false;
  std::mutex mu_;  // guards db_ use; leaf lock
  sqlite3* db_;
  std::string path_;
};

// The UTC day of `t` as "YYYY-MM-DD": the budget period.
std::string UtcDay(Clock::TimePoint t);
// The next 00:00 UTC after `t`: when a new day's budget starts.
Clock::TimePoint NextUtcMidnight(Clock::TimePoint t);

}  // namespace thaw::restore
