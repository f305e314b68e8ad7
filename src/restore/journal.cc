// The SQLite journal (see journal.h): schema, pragmas, and row <-> RestoreRecord mapping.
//
// Durability: WAL with synchronous=FULL. With NORMAL, a commit survives a process crash (kill
// -9: the WAL is in the OS page cache) but not a power loss or kernel crash, which may roll
// back the last commits. The journal's promise is "a request S3 accepted is never lost and
// never sent twice": the `requested` row is committed before RestoreObject goes out, and if an
// OS crash could undo that commit after S3 accepted the request, a restart would not know
// about it. FULL fsyncs the WAL at every commit, which costs one disk flush per group commit
// (journal.h): concurrent state changes share it.
//
// What may be written asynchronously (PutAsync) without weakening "nothing accepted is sent
// again, nothing is lost": a row whose state only records what S3 already knows, so that a
// restart that finds the previous durable row instead recovers by asking S3. The engine uses it
// for `in_progress` after an accepted request (the durable `requested` row makes a restart HEAD
// the object before any resend), for `restored`/`expired` found by the tracker (a restart
// HEADs the still open row again) and for the decided-but-not-sent `pending` row (the durable
// `pending` row from Submit is decided again). The `pending` row of Submit and the `requested`
// row written before RestoreObject goes out are always synchronous.
#include "restore/journal.h"

#include <sqlite3.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string_view>

namespace thaw::restore {
namespace {

using std::chrono::milliseconds;

constexpr int kBusyTimeoutMs = 10000;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS requests (
  bucket TEXT NOT NULL,
  key TEXT NOT NULL,
  version_id TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  tier TEXT,
  days INTEGER,
  source TEXT NOT NULL,
  storage_class TEXT NOT NULL DEFAULT '',
  archive_status TEXT NOT NULL DEFAULT '',
  size_bytes INTEGER NOT NULL DEFAULT 0,
  estimated_cost_usd REAL NOT NULL DEFAULT 0,
  submitted_at_ms INTEGER,
  requested_at_ms INTEGER,
  eta_ms INTEGER,
  restore_expiry_ms INTEGER,
  next_check_at_ms INTEGER,
  reason TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  wait_for_budget INTEGER NOT NULL DEFAULT 0,
  budget_day TEXT NOT NULL DEFAULT '',
  updated_at_ms INTEGER NOT NULL,
  PRIMARY KEY (bucket, key, version_id)
);
CREATE INDEX IF NOT EXISTS requests_by_state ON requests (state);
CREATE TABLE IF NOT EXISTS budget (
  day TEXT PRIMARY KEY,
  bytes INTEGER NOT NULL,
  cost_micro_usd INTEGER NOT NULL
);
)sql";

constexpr const char* kColumns =
    "bucket, key, version_id, state, tier, days, source, storage_class, archive_status, "
    "size_bytes, estimated_cost_usd, submitted_at_ms, requested_at_ms, eta_ms, "
    "restore_expiry_ms, next_check_at_ms, reason, error, note, attempts, wait_for_budget, "
    "budget_day, updated_at_ms";

// "state = excluded.state, ..." for every column but the key's three.
std::string UpsertAssignments() {
  std::string out;
  std::string_view cols = kColumns;
  int index = 0;
  while (!cols.empty()) {
    size_t comma = cols.find(',');
    std::string_view col = cols.substr(0, comma);
    while (!col.empty() && col.front() == ' ') col.remove_prefix(1);
    if (index++ >= 3) {
      if (!out.empty()) out += ", ";
      out += std::string(col) + " = excluded." + std::string(col);
    }
    cols = comma == std::string_view::npos ? std::string_view() : cols.substr(comma + 1);
  }
  return out;
}

// Dollars are summed as integer micro-dollars so that many small charges do not drift.
int64_t ToMicros(double usd) {
  return static_cast<int64_t>(std::llround(usd * 1e6));
}

int64_t ToMs(Clock::TimePoint t) {
  return std::chrono::duration_cast<milliseconds>(t.time_since_epoch()).count();
}
Clock::TimePoint FromMs(int64_t ms) {
  return Clock::TimePoint(milliseconds(ms));
}

Status SqlError(sqlite3* db, std::string_view what) {
  int code = sqlite3_errcode(db);
  std::string msg = "journal: " + std::string(what) + ": " + sqlite3_errmsg(db);
  // A database locked beyond busy_timeout may work later; anything else will not by itself.
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) return Status::Unavailable(msg);
  return Status::Internal(msg);
}

// A prepared statement finalised on scope exit.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db), owned_(true) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  // Borrows a cached statement: reset and unbound on scope exit instead of finalised.
  Stmt(sqlite3* db, sqlite3_stmt* cached) : db_(db), stmt_(cached), owned_(false), rc_(SQLITE_OK) {}
  ~Stmt() {
    if (owned_) {
      sqlite3_finalize(stmt_);
    } else {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Status status() const { return rc_ == SQLITE_OK ? Status::Ok() : SqlError(db_, "prepare"); }
  void Text(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
  }
  void Int(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Real(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  void Null(int i) { sqlite3_bind_null(stmt_, i); }
  void OptTime(int i, const std::optional<Clock::TimePoint>& t) { t ? Int(i, ToMs(*t)) : Null(i); }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return sqlite3_step(stmt_); }

  std::string ColText(int i) const {
    const unsigned char* p = sqlite3_column_text(stmt_, i);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  int64_t ColInt(int i) const { return sqlite3_column_int64(stmt_, i); }
  double ColReal(int i) const { return sqlite3_column_double(stmt_, i); }
  bool IsNull(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }
  std::optional<Clock::TimePoint> ColTime(int i) const {
    if (IsNull(i)) return std::nullopt;
    return FromMs(ColInt(i));
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  bool owned_;
  int rc_;
};

RestoreRecord ReadRow(const Stmt& s) {
  RestoreRecord r;
  r.object = {s.ColText(0), s.ColText(1), s.ColText(2)};
  r.state = ParseState(s.ColText(3)).value_or(State::kFailed);
  if (!s.IsNull(4)) r.tier = s3::ParseRestoreTier(s.ColText(4));
  if (!s.IsNull(5)) r.days = static_cast<int>(s.ColInt(5));
  r.source = ParseSource(s.ColText(6)).value_or(Source::kCli);
  r.storage_class = s.ColText(7);
  r.archive_status = s.ColText(8);
  r.size_bytes = static_cast<uint64_t>(s.ColInt(9));
  r.estimated_cost_usd = s.ColReal(10);
  r.submitted_at = s.ColTime(11);
  r.requested_at = s.ColTime(12);
  r.eta = s.ColTime(13);
  r.restore_expiry = s.ColTime(14);
  r.next_check_at = s.ColTime(15);
  r.reason = ParseReason(s.ColText(16)).value_or(Reason::kNone);
  r.error = s.ColText(17);
  r.note = s.ColText(18);
  r.attempts = static_cast<int>(s.ColInt(19));
  r.wait_for_budget = s.ColInt(20) != 0;
  r.budget_day = s.ColText(21);
  r.updated_at = FromMs(s.ColInt(22));
  return r;
}

}  // namespace

std::string UtcDay(Clock::TimePoint t) {
  std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

Clock::TimePoint NextUtcMidnight(Clock::TimePoint t) {
  return std::chrono::floor<std::chrono::days>(t) + std::chrono::days(1);
}

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& state_dir,
                                               JournalOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return Status::Unavailable("journal: cannot create " + state_dir + ": " + ec.message());
  std::string path = (std::filesystem::path(state_dir) / "journal.db").string();
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = Status::Unavailable("journal: cannot open " + path + ": " +
                                   (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<Journal> j(new Journal(db, path, options));
  // busy_timeout first: switching to WAL and creating the schema take locks another process
  // (opening the same state dir at the same moment) may hold.
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  {
    Stmt s(db, "PRAGMA journal_mode=WAL");
    THAW_RETURN_IF_ERROR(s.status());
    if (s.Step() != SQLITE_ROW || s.ColText(0) != "wal") {
      return SqlError(db, "cannot switch " + path + " to WAL mode");
    }
  }
  THAW_RETURN_IF_ERROR(j->Exec("PRAGMA synchronous=FULL"));
  THAW_RETURN_IF_ERROR(j->Exec("BEGIN IMMEDIATE"));
  Status s = j->Exec(kSchema);
  if (!s.ok()) {
    (void)j->Exec("ROLLBACK");
    return s;
  }
  THAW_RETURN_IF_ERROR(j->Exec("COMMIT"));
  return j;
}

Journal::Journal(sqlite3* db, std::string path, JournalOptions options)
    : options_(options), db_(db), path_(std::move(path)) {
  committer_ = std::thread([this] { CommitLoop(); });
}

Journal::~Journal() {
  {
    std::lock_guard<std::mutex> g(queue_mu_);
    stopping_ = true;
    queue_cv_.notify_all();
  }
  committer_.join();  // drains the queue first: async writes are not dropped at a clean exit
  sqlite3_finalize(peek_stmt_);
  sqlite3_close(peek_db_);
  sqlite3_finalize(put_stmt_);
  sqlite3_close(db_);
}

Status Journal::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) == SQLITE_OK) return Status::Ok();
  std::string msg = err ? err : "?";
  sqlite3_free(err);
  int code = sqlite3_errcode(db_);
  std::string what = "journal: " + std::string(sql).substr(0, 40) + ": " + msg;
  return code == SQLITE_BUSY ? Status::Unavailable(what) : Status::Internal(what);
}

void Journal::Enqueue(Write* w) {
  std::lock_guard<std::mutex> g(queue_mu_);
  queue_.push_back(w);
  ++queued_total_;
  bool sync = !w->done;
  if (sync) ++queued_sync_;
  // The commit thread needs waking when it idles (the queue was empty) or holds back a group of
  // async writes that this write ends; otherwise it sees this one when it next looks.
  if (sync || queue_.size() == 1 || queue_.size() >= kMaxGroupRows) queue_cv_.notify_one();
}

Status Journal::CommitSync(std::function<Status()> apply, bool single_statement) {
  Write w;
  w.apply = std::move(apply);
  w.single_statement = single_statement;
  Enqueue(&w);
  std::unique_lock<std::mutex> l(queue_mu_);
  w.finished_cv.wait(l, [&] { return w.finished; });
  return w.status;
}

void Journal::Flush() {
  std::unique_lock<std::mutex> l(queue_mu_);
  uint64_t target = queued_total_;
  ++flush_waiters_;
  queue_cv_.notify_one();  // a held-back group of async writes commits now
  done_cv_.wait(l, [&] { return finished_total_ >= target; });
  --flush_waiters_;
}

void Journal::CommitLoop() {
  std::unique_lock<std::mutex> l(queue_mu_);
  while (true) {
    queue_cv_.wait(l, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    if (queued_sync_ == 0) {
      auto hold_until = std::chrono::steady_clock::now() + options_.async_hold;
      queue_cv_.wait_until(l, hold_until, [&] {
        return stopping_ || queued_sync_ > 0 || flush_waiters_ > 0 ||
               queue_.size() >= kMaxGroupRows;
      });
    }
    // Everything queued while the previous group was being written goes into this one.
    std::vector<Write*> batch;
    if (queue_.size() <= kMaxGroupRows) {
      batch.swap(queue_);
    } else {
      auto cut = queue_.begin() + static_cast<std::ptrdiff_t>(kMaxGroupRows);
      batch.assign(queue_.begin(), cut);
      queue_.erase(queue_.begin(), cut);
    }
    for (Write* w : batch) {
      if (!w->done) --queued_sync_;
    }
    l.unlock();
    RunGroup(batch);
    // Async callbacks first, in queue order, then the sync writers: whoever saw a later write
    // return can rely on every earlier callback having run.
    for (Write*& w : batch) {
      if (w->done) {
        w->done(w->status);
        delete w;  // async writes belong to the queue
        w = nullptr;
      }
    }
    l.lock();
    for (Write* w : batch) {
      if (!w) continue;
      w->finished = true;  // a sync caller's; not touched after we release queue_mu_
      w->finished_cv.notify_one();
    }
    finished_total_ += batch.size();
    ++commits_;
    if (flush_waiters_ > 0) done_cv_.notify_all();
  }
}

void Journal::RunGroup(const std::vector<Write*>& batch) {
  std::lock_guard<std::mutex> g(mu_);
  Status begin = Exec("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    for (Write* w : batch) w->status = begin;
    return;
  }
  for (Write* w : batch) {
    if (w->single_statement) {
      // One statement is atomic by itself: a failure leaves nothing behind.
      w->status = w->apply();
      continue;
    }
    Status s = Exec("SAVEPOINT w");
    if (s.ok()) s = w->apply();
    if (s.ok()) {
      s = Exec("RELEASE w");
    } else {
      (void)Exec("ROLLBACK TO w");
      (void)Exec("RELEASE w");
    }
    w->status = s;
  }
  Status commit = Exec("COMMIT");
  if (!commit.ok()) {
    (void)Exec("ROLLBACK");
    for (Write* w : batch) {
      if (w->status.ok()) w->status = commit;
    }
  }
}

Status Journal::Put(const RestoreRecord& record) {
  return CommitSync([&] { return PutLocked(record); }, /*single_statement=*/true);
}

void Journal::PutAsync(const RestoreRecord& record, std::function<void(const Status&)> done) {
  auto* w = new Write;  // freed by the commit thread after `done`
  w->apply = [this, record] { return PutLocked(record); };
  w->single_statement = true;
  w->done = done ? std::move(done) : [](const Status&) {};
  Enqueue(w);
}

Status Journal::PutLocked(const RestoreRecord& r) {
  if (!put_stmt_) {
    // Prepared once: parsing the statement cost more CPU than running it.
    // An upsert, not INSERT OR REPLACE: REPLACE deletes the row and inserts it under a new
    // rowid, rewriting the primary-key index and the table's last page as well as the row's
    // own: about twice the pages (and WAL bytes) per state change.
    std::string sql = std::string("INSERT INTO requests (") + kColumns +
                      ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
                      "ON CONFLICT (bucket, key, version_id) DO UPDATE SET " +
                      UpsertAssignments();
    if (sqlite3_prepare_v3(db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &put_stmt_, nullptr) !=
        SQLITE_OK) {
      return SqlError(db_, "prepare");
    }
  }
  Stmt s(db_, put_stmt_);
  s.Text(1, r.object.bucket);
  s.Text(2, r.object.key);
  s.Text(3, r.object.version_id);
  s.Text(4, std::string(StateName(r.state)));
  r.tier ? s.Text(5, std::string(s3::RestoreTierName(*r.tier))) : s.Null(5);
  r.days ? s.Int(6, *r.days) : s.Null(6);
  s.Text(7, std::string(SourceName(r.source)));
  s.Text(8, r.storage_class);
  s.Text(9, r.archive_status);
  s.Int(10, static_cast<int64_t>(r.size_bytes));
  s.Real(11, r.estimated_cost_usd);
  s.OptTime(12, r.submitted_at);
  s.OptTime(13, r.requested_at);
  s.OptTime(14, r.eta);
  s.OptTime(15, r.restore_expiry);
  s.OptTime(16, r.next_check_at);
  s.Text(17, std::string(ReasonName(r.reason)));
  s.Text(18, r.error);
  s.Text(19, r.note);
  s.Int(20, r.attempts);
  s.Int(21, r.wait_for_budget ? 1 : 0);
  s.Text(22, r.budget_day);
  s.Int(23, ToMs(r.updated_at));
  if (s.Step() != SQLITE_DONE) return SqlError(db_, "write " + r.object.ToString());
  return Status::Ok();
}

Result<std::vector<RestoreRecord>> Journal::Select(const std::string& where,
                                                   const std::vector<std::string>& args) {
  Flush();  // read our own writes, async ones included
  std::lock_guard<std::mutex> g(mu_);
  std::string sql = std::string("SELECT ") + kColumns + " FROM requests " + where +
                    " ORDER BY bucket, key, version_id";
  Stmt s(db_, sql.c_str());
  THAW_RETURN_IF_ERROR(s.status());
  for (size_t i = 0; i < args.size(); ++i) s.Text(static_cast<int>(i + 1), args[i]);
  std::vector<RestoreRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadRow(s));
  if (rc != SQLITE_DONE) return SqlError(db_, "read");
  return out;
}

Result<std::optional<RestoreRecord>> Journal::Get(const ObjectRef& o) {
  THAW_ASSIGN_OR_RETURN(auto rows, Select("WHERE bucket = ?1 AND key = ?2 AND version_id = ?3",
                                          {o.bucket, o.key, o.version_id}));
  if (rows.empty()) return std::optional<RestoreRecord>();
  return std::optional<RestoreRecord>(std::move(rows.front()));
}

Result<std::optional<RestoreRecord>> Journal::Peek(const ObjectRef& o) {
  std::lock_guard<std::mutex> g(peek_mu_);
  if (!peek_stmt_) {
    if (!peek_db_ &&
        sqlite3_open_v2(path_.c_str(), &peek_db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
      Status s = SqlError(peek_db_, "open for reading");
      sqlite3_close(peek_db_);
      peek_db_ = nullptr;
      return s;
    }
    sqlite3_busy_timeout(peek_db_, kBusyTimeoutMs);
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM requests WHERE bucket = ?1 AND key = ?2 AND version_id = ?3";
    if (sqlite3_prepare_v3(peek_db_, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &peek_stmt_,
                           nullptr) != SQLITE_OK) {
      return SqlError(peek_db_, "prepare");
    }
  }
  Stmt s(peek_db_, peek_stmt_);
  s.Text(1, o.bucket);
  s.Text(2, o.key);
  s.Text(3, o.version_id);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<RestoreRecord>();
  if (rc != SQLITE_ROW) return SqlError(peek_db_, "read");
  return std::optional<RestoreRecord>(ReadRow(s));
}

Result<std::vector<RestoreRecord>> Journal::NonTerminal() {
  return Select("WHERE state IN ('pending', 'requested', 'in_progress')", {});
}

Result<std::vector<RestoreRecord>> Journal::List(const std::string& bucket,
                                                 const std::string& prefix) {
  // substr instead of LIKE: keys may contain % and _.
  if (bucket.empty()) return Select("WHERE substr(key, 1, length(?1)) = ?1", {prefix});
  return Select("WHERE bucket = ?1 AND substr(key, 1, length(?2)) = ?2", {bucket, prefix});
}

Result<BudgetUse> Journal::BudgetUsed(const std::string& day) {
  Flush();
  std::lock_guard<std::mutex> g(mu_);
  return BudgetUsedLocked(day);
}

Result<BudgetUse> Journal::BudgetUsedLocked(const std::string& day) {
  Stmt s(db_, "SELECT bytes, cost_micro_usd FROM budget WHERE day = ?1");
  THAW_RETURN_IF_ERROR(s.status());
  s.Text(1, day);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return BudgetUse{};
  if (rc != SQLITE_ROW) return SqlError(db_, "read budget");
  return BudgetUse{static_cast<uint64_t>(s.ColInt(0)), static_cast<double>(s.ColInt(1)) / 1e6};
}

Status Journal::AddBudgetLocked(const std::string& day, int64_t bytes, int64_t micros) {
  Stmt s(db_,
         "INSERT INTO budget (day, bytes, cost_micro_usd) VALUES (?1, MAX(?2, 0), MAX(?3, 0)) "
         "ON CONFLICT(day) DO UPDATE SET bytes = MAX(bytes + ?2, 0), "
         "cost_micro_usd = MAX(cost_micro_usd + ?3, 0)");
  THAW_RETURN_IF_ERROR(s.status());
  s.Text(1, day);
  s.Int(2, bytes);
  s.Int(3, micros);
  if (s.Step() != SQLITE_DONE) return SqlError(db_, "write budget");
  return Status::Ok();
}

Result<bool> Journal::ChargeLocked(const std::string& day, uint64_t bytes, double cost_usd,
                                   uint64_t byte_limit, double cost_limit_usd, BudgetUse* used) {
  THAW_ASSIGN_OR_RETURN(BudgetUse u, BudgetUsedLocked(day));
  if (used) *used = u;
  bool over_bytes = byte_limit > 0 && u.bytes + bytes > byte_limit;
  bool over_cost =
      cost_limit_usd > 0 && ToMicros(u.cost_usd) + ToMicros(cost_usd) > ToMicros(cost_limit_usd);
  if (over_bytes || over_cost) return false;
  THAW_RETURN_IF_ERROR(AddBudgetLocked(day, static_cast<int64_t>(bytes), ToMicros(cost_usd)));
  return true;
}

Result<bool> Journal::ChargeAndPut(const std::string& day, uint64_t bytes, double cost_usd,
                                   uint64_t byte_limit, double cost_limit_usd,
                                   const RestoreRecord& record, BudgetUse* used) {
  // The group's transaction is IMMEDIATE: it holds the write lock from before the read, so
  // another process cannot charge between our check and our add.
  bool charged = false;
  Status s = CommitSync(
      [&]() -> Status {
        THAW_ASSIGN_OR_RETURN(charged,
                              ChargeLocked(day, bytes, cost_usd, byte_limit, cost_limit_usd, used));
        return charged ? PutLocked(record) : Status::Ok();
      },
      /*single_statement=*/false);
  if (!s.ok()) return s;
  return charged;
}

Status Journal::RefundAndPut(const std::string& day, uint64_t bytes, double cost_usd,
                             const RestoreRecord& record) {
  return CommitSync(
      [&]() -> Status {
        THAW_RETURN_IF_ERROR(
            AddBudgetLocked(day, -static_cast<int64_t>(bytes), -ToMicros(cost_usd)));
        return PutLocked(record);
      },
      /*single_statement=*/false);
}

Status Journal::PutResults(const std::vector<RestoreRecord>& records) {
  return CommitSync(
      [&]() -> Status {
        for (const RestoreRecord& r : records) {
          if (r.state == State::kFailed && !r.budget_day.empty()) {
            THAW_ASSIGN_OR_RETURN(std::optional<State> before, StateLocked(r.object));
            if (before != State::kFailed) {
              THAW_RETURN_IF_ERROR(AddBudgetLocked(r.budget_day,
                                                   -static_cast<int64_t>(r.size_bytes),
                                                   -ToMicros(r.estimated_cost_usd)));
            }
          }
          THAW_RETURN_IF_ERROR(PutLocked(r));
        }
        return Status::Ok();
      },
      /*single_statement=*/false);
}

Result<std::optional<State>> Journal::StateLocked(const ObjectRef& object) {
  Stmt s(db_, "SELECT state FROM requests WHERE bucket = ?1 AND key = ?2 AND version_id = ?3");
  THAW_RETURN_IF_ERROR(s.status());
  s.Text(1, object.bucket);
  s.Text(2, object.key);
  s.Text(3, object.version_id);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return std::optional<State>();
  if (rc != SQLITE_ROW) return SqlError(db_, "select state");
  return std::optional<State>(ParseState(s.ColText(0)).value_or(State::kFailed));
}

Result<bool> Journal::Charge(const std::string& day, uint64_t bytes, double cost_usd,
                             uint64_t byte_limit, double cost_limit_usd, BudgetUse* used) {
  bool charged = false;
  Status s = CommitSync(
      [&]() -> Status {
        THAW_ASSIGN_OR_RETURN(charged,
                              ChargeLocked(day, bytes, cost_usd, byte_limit, cost_limit_usd, used));
        return Status::Ok();
      },
      /*single_statement=*/false);
  if (!s.ok()) return s;
  return charged;
}

uint64_t Journal::commits() {
  std::lock_guard<std::mutex> g(queue_mu_);
  return commits_;
}

Result<std::string> Journal::JournalMode() {
  std::lock_guard<std::mutex> g(mu_);
  Stmt s(db_, "PRAGMA journal_mode");
  THAW_RETURN_IF_ERROR(s.status());
  if (s.Step() != SQLITE_ROW) return SqlError(db_, "journal_mode");
  return s.ColText(0);
}

}  // namespace thaw::restore
