// Store: SQLite metadata plus object files (see store.h for the layout and write order).
#include "sim/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/random_id.h"
#include "common/strings.h"

namespace thaw::sim {
namespace fs = std::filesystem;

// Prepared statements are kept for reuse: compiling a HEAD's point query took more of the
// sim's CPU than running it. Idle statements are reset (no open read transaction, so WAL
// checkpoints are not held back) and keyed by their SQL; a statement in use is never handed out
// twice (a second concurrent user of the same SQL gets its own).
class StmtCache {
 public:
  explicit StmtCache(sqlite3* db) : db_(db) {}
  ~StmtCache() {
    for (auto& [sql, st] : idle_) sqlite3_finalize(st);
  }
  sqlite3* db() const { return db_; }
  sqlite3_stmt* Acquire(const char* sql, int* rc) {
    auto it = idle_.find(sql);
    if (it != idle_.end()) {
      sqlite3_stmt* st = it->second;
      idle_.erase(it);
      *rc = SQLITE_OK;
      return st;
    }
    sqlite3_stmt* st = nullptr;
    *rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    return st;
  }
  void Release(const char* sql, sqlite3_stmt* st) {
    if (!st) return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (idle_.count(sql) >= 2) {
      sqlite3_finalize(st);
      return;
    }
    idle_.emplace(sql, st);
  }

 private:
  sqlite3* db_;
  std::unordered_multimap<std::string, sqlite3_stmt*> idle_;
};

namespace {

int64_t ToNanos(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
Clock::TimePoint FromNanos(int64_t n) {
  return Clock::TimePoint(std::chrono::duration_cast<Clock::Duration>(std::chrono::nanoseconds(n)));
}

// A prepared statement of the store's connection, taken from the StmtCache and given back
// (reset) on scope exit.
class Stmt {
 public:
  Stmt(StmtCache& cache, const char* sql) : cache_(cache), sql_(sql) {
    stmt_ = cache_.Acquire(sql, &rc_);
  }
  ~Stmt() { cache_.Release(sql_, stmt_); }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // SQLITE_ROW, SQLITE_DONE or an error code.
  int Step() { return rc_ == SQLITE_OK ? sqlite3_step(stmt_) : rc_; }
  Status Run() {
    int rc = Step();
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? Status::Ok() : Error();
  }
  Status Error() const {
    return Status::Internal(std::string("sqlite: ") + sqlite3_errmsg(cache_.db()));
  }
  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col)) : "";
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }

 private:
  StmtCache& cache_;
  const char* sql_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_;
};

constexpr const char* kSchema = R"sql(
PRAGMA journal_mode=WAL;
PRAGMA synchronous=NORMAL;
CREATE TABLE IF NOT EXISTS buckets(name TEXT PRIMARY KEY, region TEXT, created INTEGER);
CREATE TABLE IF NOT EXISTS objects(
  bucket TEXT NOT NULL, key TEXT NOT NULL, file TEXT, size INTEGER, etag TEXT,
  last_modified INTEGER, content_type TEXT, user_metadata TEXT, headers TEXT,
  storage_class TEXT, archive_status TEXT, restore INTEGER, tier INTEGER, days INTEGER,
  ready_at INTEGER, expiry INTEGER, version_id TEXT NOT NULL DEFAULT '',
  seq INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(bucket, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versions(
  bucket TEXT NOT NULL, key TEXT NOT NULL, file TEXT, size INTEGER, etag TEXT,
  last_modified INTEGER, content_type TEXT, user_metadata TEXT, headers TEXT,
  storage_class TEXT, archive_status TEXT, restore INTEGER, tier INTEGER, days INTEGER,
  ready_at INTEGER, expiry INTEGER, version_id TEXT NOT NULL, seq INTEGER NOT NULL,
  marker INTEGER NOT NULL, noncurrent_since INTEGER,
  PRIMARY KEY(bucket, key, version_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS versioning(bucket TEXT PRIMARY KEY, status TEXT);
CREATE TABLE IF NOT EXISTS uploads(upload_id TEXT PRIMARY KEY, bucket TEXT, key TEXT,
  initiated INTEGER, object TEXT);
CREATE TABLE IF NOT EXISTS parts(upload_id TEXT, number INTEGER, file TEXT, size INTEGER,
  etag TEXT, last_modified INTEGER, PRIMARY KEY(upload_id, number));
CREATE TABLE IF NOT EXISTS state(k TEXT PRIMARY KEY, v INTEGER);
CREATE TABLE IF NOT EXISTS lifecycle(bucket TEXT PRIMARY KEY, xml TEXT);
CREATE TABLE IF NOT EXISTS sts_sessions(access_key TEXT PRIMARY KEY, secret_key TEXT,
  session_token TEXT, expiration INTEGER, role_arn TEXT, role_id TEXT, account_id TEXT);
CREATE INDEX IF NOT EXISTS objects_restoring ON objects(restore) WHERE restore != 0;
)sql";

constexpr const char* kObjectColumns =
    "bucket, key, file, size, etag, last_modified, content_type, user_metadata, headers, "
    "storage_class, archive_status, restore, tier, days, ready_at, expiry, version_id, seq";

// A version id given by a client matches the stored one; "null" names the null version, which
// is stored as "" (put before versioning) or "null" (put while suspended).
constexpr const char* kVersionMatch =
    "(version_id=?3 OR (?3='null' AND version_id IN ('','null')))";

ObjectRecord ReadObject(const Stmt& s) {
  ObjectRecord r;
  r.bucket = s.Text(0);
  r.key = s.Text(1);
  r.file = s.Text(2);
  r.size = static_cast<uint64_t>(s.Int(3));
  r.etag = s.Text(4);
  r.last_modified = FromNanos(s.Int(5));
  r.content_type = s.Text(6);
  // Most objects have neither (stored as "{}"): no JSON parse per listed row for them.
  for (auto [col, map] : {std::pair{7, &r.user_metadata}, std::pair{8, &r.headers}}) {
    std::string text = s.Text(col);
    if (text.empty() || text == "{}") continue;
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_object()) *map = j.get<std::map<std::string, std::string>>();
  }
  r.archive.storage_class = s.Text(9);
  r.archive.archive_status = s.Text(10);
  r.archive.restore = static_cast<ArchiveState::Restore>(s.Int(11));
  r.archive.tier = static_cast<s3::RestoreTier>(s.Int(12));
  r.archive.days = static_cast<int>(s.Int(13));
  r.archive.ready_at = FromNanos(s.Int(14));
  r.archive.expiry = FromNanos(s.Int(15));
  r.version_id = s.Text(16);
  r.seq = s.Int(17);
  return r;
}

// ReadObject plus the delete-marker column that follows the object columns.
ObjectRecord ReadVersion(const Stmt& s) {
  ObjectRecord r = ReadObject(s);
  r.delete_marker = s.Int(18) != 0;
  r.noncurrent = true;
  return r;
}

nlohmann::json ObjectTemplateJson(const ObjectRecord& r) {
  return {{"content_type", r.content_type},
          {"user_metadata", r.user_metadata},
          {"headers", r.headers},
          {"storage_class", r.archive.storage_class},
          {"archive_status", r.archive.archive_status}};
}

Status RenameInto(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::create_directories(fs::path(to).parent_path(), ec);
  fs::rename(from, to, ec);
  if (ec) return Status::Internal("rename " + from + " -> " + to + ": " + ec.message());
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& dir) {
  std::error_code ec;
  for (const char* sub : {"objects", "uploads", "tmp"}) {
    fs::create_directories(fs::path(dir) / sub, ec);
    if (ec) return Status::Internal("create " + dir + "/" + sub + ": " + ec.message());
  }
  // Leftovers of interrupted uploads are garbage.
  for (const auto& entry : fs::directory_iterator(fs::path(dir) / "tmp", ec))
    fs::remove(entry.path(), ec);
  sqlite3* db = nullptr;
  std::string path = dir + "/meta.sqlite";
  if (sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Status::Internal("open " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Store> store(new Store(dir, db));
  THAW_RETURN_IF_ERROR(store->Migrate());
  return store;
}

// Stores of earlier sims lack the version columns of `objects`: added before the schema (whose
// CREATE TABLE IF NOT EXISTS leaves an existing table as it is).
Status Store::Migrate() {
  bool has_objects = false, has_version = false;
  {
    Stmt s(*stmts_, "SELECT name FROM pragma_table_info('objects')");
    while (s.Step() == SQLITE_ROW) {
      has_objects = true;
      if (s.Text(0) == "version_id") has_version = true;
    }
  }
  if (has_objects && !has_version) {
    THAW_RETURN_IF_ERROR(
        Exec("ALTER TABLE objects ADD COLUMN version_id TEXT NOT NULL DEFAULT '';"
             "ALTER TABLE objects ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;"));
  }
  THAW_RETURN_IF_ERROR(Exec(kSchema));
  Stmt s(*stmts_,
         "SELECT max(coalesce((SELECT max(seq) FROM objects), 0), "
         "coalesce((SELECT max(seq) FROM versions), 0))");
  if (s.Step() == SQLITE_ROW) next_seq_ = s.Int(0) + 1;
  return Status::Ok();
}

Store::Store(std::string dir, sqlite3* db)
    : dir_(std::move(dir)), db_(db), stmts_(std::make_unique<StmtCache>(db)) {}
Store::~Store() {
  stmts_.reset();  // statements are finalized before the connection closes
  sqlite3_close(db_);
}

Status Store::Exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown";
    sqlite3_free(err);
    return Status::Internal("sqlite: " + msg);
  }
  return Status::Ok();
}

std::string Store::NewFileId() {
  return RandomHex(32);
}

// The directory of an upload's parts. Upload ids are ours (base64url, multipart_ops.cc) and
// callers pass the id of a stored upload, never the request's text; the check keeps it so
// should a caller ever change: no id that could climb out of uploads/ becomes a path.
Result<std::string> Store::UploadDir(const std::string& upload_id) const {
  bool safe = !upload_id.empty() && upload_id.size() <= 64 &&
              std::all_of(upload_id.begin(), upload_id.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
              });
  if (!safe) return Status::InvalidArgument("not an upload id of this sim: '" + upload_id + "'");
  return dir_ + "/uploads/" + upload_id;
}

std::string Store::NewTempPath() {
  return dir_ + "/tmp/" + NewFileId();
}

std::string Store::ObjectPath(const std::string& file) const {
  return dir_ + "/objects/" + file.substr(0, 2) + "/" + file;
}

Status Store::CreateBucket(const BucketRecord& b) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "INSERT INTO buckets(name, region, created) VALUES(?,?,?)");
  s.Bind(1, b.name).Bind(2, b.region).Bind(3, ToNanos(b.created));
  int rc = s.Step();
  if (rc == SQLITE_CONSTRAINT) return Status::AlreadyExists("bucket " + b.name);
  return rc == SQLITE_DONE ? Status::Ok() : s.Error();
}

Result<BucketRecord> Store::GetBucket(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "SELECT name, region, created FROM buckets WHERE name=?");
  s.Bind(1, name);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return Status::NotFound("bucket " + name);
  if (rc != SQLITE_ROW) return s.Error();
  return BucketRecord{s.Text(0), s.Text(1), FromNanos(s.Int(2))};
}

Result<std::vector<BucketRecord>> Store::ListBuckets() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "SELECT name, region, created FROM buckets ORDER BY name");
  std::vector<BucketRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back({s.Text(0), s.Text(1), FromNanos(s.Int(2))});
  if (rc != SQLITE_DONE) return s.Error();
  return out;
}

Status Store::DeleteBucket(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  {
    Stmt s(*stmts_, "SELECT 1 FROM objects WHERE bucket=? LIMIT 1");
    s.Bind(1, name);
    if (s.Step() == SQLITE_ROW) return Status::FailedPrecondition("bucket not empty");
    // Noncurrent versions and delete markers keep a bucket from being deleted, as in S3.
    Stmt v(*stmts_, "SELECT 1 FROM versions WHERE bucket=? LIMIT 1");
    v.Bind(1, name);
    if (v.Step() == SQLITE_ROW) return Status::FailedPrecondition("bucket not empty");
  }
  Stmt s(*stmts_, "DELETE FROM buckets WHERE name=?");
  s.Bind(1, name);
  THAW_RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(db_) == 0) return Status::NotFound("bucket " + name);
  Stmt l(*stmts_, "DELETE FROM lifecycle WHERE bucket=?");
  l.Bind(1, name);
  THAW_RETURN_IF_ERROR(l.Run());
  Stmt v(*stmts_, "DELETE FROM versioning WHERE bucket=?");
  v.Bind(1, name);
  return v.Run();
}

Result<std::vector<std::pair<std::string, std::string>>> Store::ListRestoring() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "SELECT bucket, key FROM objects WHERE restore != 0");
  std::vector<std::pair<std::string, std::string>> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.emplace_back(s.Text(0), s.Text(1));
  if (rc != SQLITE_DONE) return s.Error();
  return out;
}

Status Store::PutLifecycle(const std::string& bucket, const std::string& xml) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "INSERT OR REPLACE INTO lifecycle(bucket, xml) VALUES(?,?)");
  s.Bind(1, bucket).Bind(2, xml);
  return s.Run();
}

Result<std::string> Store::GetLifecycle(const std::string& bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "SELECT xml FROM lifecycle WHERE bucket=?");
  s.Bind(1, bucket);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return Status::NotFound("lifecycle of " + bucket);
  if (rc != SQLITE_ROW) return s.Error();
  return s.Text(0);
}

Status Store::DeleteLifecycle(const std::string& bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "DELETE FROM lifecycle WHERE bucket=?");
  s.Bind(1, bucket);
  return s.Run();
}

Result<std::map<std::string, std::string>> Store::ListLifecycles() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "SELECT bucket, xml FROM lifecycle");
  std::map<std::string, std::string> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out[s.Text(0)] = s.Text(1);
  if (rc != SQLITE_DONE) return s.Error();
  return out;
}

Result<ObjectRecord> Store::GetObject(const std::string& bucket, const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql =
      std::string("SELECT ") + kObjectColumns + " FROM objects WHERE bucket=? AND key=?";
  Stmt s(*stmts_, sql.c_str());
  s.Bind(1, bucket).Bind(2, key);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return Status::NotFound("key " + key);
  if (rc != SQLITE_ROW) return s.Error();
  return ReadObject(s);
}

// Caller holds mu_. Returns the file of the row it replaced in *old_file.
Status Store::WriteObjectRow(const ObjectRecord& r) {
  std::string sql = std::string("INSERT OR REPLACE INTO objects(") + kObjectColumns +
                    ") VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  Stmt s(*stmts_, sql.c_str());
  s.Bind(1, r.bucket).Bind(2, r.key).Bind(3, r.file).Bind(4, static_cast<int64_t>(r.size));
  s.Bind(5, r.etag).Bind(6, ToNanos(r.last_modified)).Bind(7, r.content_type);
  // Metadata and headers are the client's bytes; a non-UTF-8 one must not make dump() throw.
  s.Bind(8, nlohmann::json(r.user_metadata)
                .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace))
      .Bind(9, nlohmann::json(r.headers).dump(-1, ' ', false,
                                              nlohmann::json::error_handler_t::replace));
  s.Bind(10, r.archive.storage_class).Bind(11, r.archive.archive_status);
  s.Bind(12, static_cast<int64_t>(r.archive.restore))
      .Bind(13, static_cast<int64_t>(r.archive.tier));
  s.Bind(14, static_cast<int64_t>(r.archive.days)).Bind(15, ToNanos(r.archive.ready_at));
  s.Bind(16, ToNanos(r.archive.expiry)).Bind(17, r.version_id).Bind(18, r.seq);
  return s.Run();
}

// Caller holds mu_. A delete marker (no file) as a noncurrent-or-latest version row.
Status Store::WriteVersionRow(const ObjectRecord& r) {
  std::string sql = std::string("INSERT OR REPLACE INTO versions(") + kObjectColumns +
                    ", marker, noncurrent_since) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  Stmt s(*stmts_, sql.c_str());
  s.Bind(1, r.bucket).Bind(2, r.key).Bind(3, r.file).Bind(4, static_cast<int64_t>(r.size));
  s.Bind(5, r.etag).Bind(6, ToNanos(r.last_modified)).Bind(7, r.content_type);
  s.Bind(8, std::string("{}")).Bind(9, std::string("{}"));
  s.Bind(10, r.archive.storage_class).Bind(11, r.archive.archive_status);
  s.Bind(12, int64_t{0}).Bind(13, int64_t{0}).Bind(14, int64_t{0}).Bind(15, int64_t{0});
  s.Bind(16, int64_t{0}).Bind(17, r.version_id).Bind(18, r.seq);
  s.Bind(19, int64_t{r.delete_marker ? 1 : 0}).Bind(20, ToNanos(r.last_modified));
  return s.Run();
}

std::string Store::VersioningLocked(const std::string& bucket) {
  Stmt s(*stmts_, "SELECT status FROM versioning WHERE bucket=?");
  s.Bind(1, bucket);
  return s.Step() == SQLITE_ROW ? s.Text(0) : "";
}

// Caller holds mu_. The current version (if any) becomes noncurrent, its file kept.
Status Store::ArchiveCurrentLocked(const std::string& bucket, const std::string& key,
                                   Clock::TimePoint now) {
  std::string sql = std::string("INSERT OR REPLACE INTO versions(") + kObjectColumns +
                    ", marker, noncurrent_since) SELECT " + kObjectColumns +
                    ", 0, ?3 FROM objects WHERE bucket=?1 AND key=?2";
  Stmt a(*stmts_, sql.c_str());
  a.Bind(1, bucket).Bind(2, key).Bind(3, ToNanos(now));
  THAW_RETURN_IF_ERROR(a.Run());
  Stmt d(*stmts_, "DELETE FROM objects WHERE bucket=? AND key=?");
  d.Bind(1, bucket).Bind(2, key);
  return d.Run();
}

// Caller holds mu_. Removes the noncurrent "null" version (versioning suspended: a new null
// version replaces it); its file goes to *garbage.
Status Store::DropNullVersionLocked(const std::string& bucket, const std::string& key,
                                    std::vector<std::string>* garbage) {
  {
    Stmt s(*stmts_,
           "SELECT file FROM versions WHERE bucket=? AND key=? AND version_id IN ('','null')");
    s.Bind(1, bucket).Bind(2, key);
    while (s.Step() == SQLITE_ROW) {
      if (!s.Text(0).empty()) garbage->push_back(s.Text(0));
    }
  }
  Stmt d(*stmts_, "DELETE FROM versions WHERE bucket=? AND key=? AND version_id IN ('','null')");
  d.Bind(1, bucket).Bind(2, key);
  return d.Run();
}

Status Store::PutObject(ObjectRecord& rec, const std::string& temp_path) {
  rec.file = NewFileId();
  THAW_RETURN_IF_ERROR(RenameInto(temp_path, ObjectPath(rec.file)));
  std::vector<std::string> garbage;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Status st = Exec("BEGIN IMMEDIATE");
    std::string versioning = st.ok() ? VersioningLocked(rec.bucket) : "";
    std::string old_file, old_version;
    if (st.ok()) {
      Stmt s(*stmts_, "SELECT file, version_id FROM objects WHERE bucket=? AND key=?");
      s.Bind(1, rec.bucket).Bind(2, rec.key);
      if (s.Step() == SQLITE_ROW) {
        old_file = s.Text(0);
        old_version = s.Text(1);
      }
    }
    bool old_is_null = old_version.empty() || old_version == "null";
    if (st.ok() && versioning == "Enabled") {
      rec.version_id = NewFileId();
      if (!old_file.empty()) st = ArchiveCurrentLocked(rec.bucket, rec.key, rec.last_modified);
    } else if (st.ok() && versioning == "Suspended") {
      rec.version_id = "null";
      if (!old_file.empty() && !old_is_null) {
        st = ArchiveCurrentLocked(rec.bucket, rec.key, rec.last_modified);
      }
      if (!old_file.empty() && old_is_null) garbage.push_back(old_file);
      if (st.ok()) st = DropNullVersionLocked(rec.bucket, rec.key, &garbage);
    } else if (st.ok()) {
      rec.version_id.clear();
      if (!old_file.empty()) garbage.push_back(old_file);
    }
    rec.seq = next_seq_++;
    if (st.ok()) st = WriteObjectRow(rec);
    if (st.ok()) st = Exec("COMMIT");
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      std::error_code ec;
      fs::remove(ObjectPath(rec.file), ec);
      return st;
    }
  }
  // A GET that opened the old file keeps reading it: unlink only removes the name.
  for (const std::string& file : garbage) {
    std::error_code ec;
    fs::remove(ObjectPath(file), ec);
  }
  return Status::Ok();
}

Status Store::UpdateObject(const ObjectRecord& r) {
  // Only the row of the same data file: an object replaced or deleted since `r` was read
  // (a concurrent PUT, the sweep racing a request) is left alone.
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_,
         "UPDATE objects SET storage_class=?, archive_status=?, restore=?, tier=?, days=?, "
         "ready_at=?, expiry=? WHERE bucket=? AND key=? AND file=?");
  s.Bind(1, r.archive.storage_class).Bind(2, r.archive.archive_status);
  s.Bind(3, static_cast<int64_t>(r.archive.restore)).Bind(4, static_cast<int64_t>(r.archive.tier));
  s.Bind(5, static_cast<int64_t>(r.archive.days)).Bind(6, ToNanos(r.archive.ready_at));
  s.Bind(7, ToNanos(r.archive.expiry)).Bind(8, r.bucket).Bind(9, r.key).Bind(10, r.file);
  THAW_RETURN_IF_ERROR(s.Run());
  // A noncurrent version is restored (and expires) like a current one; data file ids are unique.
  Stmt v(*stmts_,
         "UPDATE versions SET storage_class=?, archive_status=?, restore=?, tier=?, days=?, "
         "ready_at=?, expiry=? WHERE bucket=? AND key=? AND file=? AND marker=0");
  v.Bind(1, r.archive.storage_class).Bind(2, r.archive.archive_status);
  v.Bind(3, static_cast<int64_t>(r.archive.restore)).Bind(4, static_cast<int64_t>(r.archive.tier));
  v.Bind(5, static_cast<int64_t>(r.archive.days)).Bind(6, ToNanos(r.archive.ready_at));
  v.Bind(7, ToNanos(r.archive.expiry)).Bind(8, r.bucket).Bind(9, r.key).Bind(10, r.file);
  return v.Run();
}

Status Store::CopyObject(const ObjectRecord& source, ObjectRecord& rec) {
  std::string temp = NewTempPath();
  std::error_code ec;
  fs::copy_file(ObjectPath(source.file), temp, ec);
  if (ec) return Status::Internal("copy " + source.file + ": " + ec.message());
  return PutObject(rec, temp);
}

Status Store::DeleteObject(const std::string& bucket, const std::string& key,
                           const std::string* version_id, DeleteOutcome* outcome,
                           Clock::TimePoint now) {
  DeleteOutcome done;
  std::vector<std::string> garbage;
  {
    std::lock_guard<std::mutex> lock(mu_);
    THAW_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
    Status st = version_id ? DeleteVersionLocked(bucket, key, *version_id, &done, &garbage)
                           : DeleteCurrentLocked(bucket, key, now, &done, &garbage);
    if (st.ok()) st = Exec("COMMIT");
    if (!st.ok()) {
      (void)Exec("ROLLBACK");
      return st;
    }
  }
  for (const std::string& file : garbage) {
    std::error_code ec;
    fs::remove(ObjectPath(file), ec);
  }
  if (outcome) *outcome = done;
  return Status::Ok();
}

// Caller holds mu_ in a transaction. DELETE without a version id.
Status Store::DeleteCurrentLocked(const std::string& bucket, const std::string& key,
                                  Clock::TimePoint now, DeleteOutcome* done,
                                  std::vector<std::string>* garbage) {
  std::string versioning = VersioningLocked(bucket);
  std::string old_file, old_version;
  {
    Stmt s(*stmts_, "SELECT file, version_id FROM objects WHERE bucket=? AND key=?");
    s.Bind(1, bucket).Bind(2, key);
    if (s.Step() == SQLITE_ROW) {
      old_file = s.Text(0);
      old_version = s.Text(1);
    }
  }
  bool old_is_null = old_version.empty() || old_version == "null";
  if (versioning.empty() || (versioning == "Suspended" && old_is_null && !old_file.empty())) {
    if (!old_file.empty()) {
      garbage->push_back(old_file);
      Stmt d(*stmts_, "DELETE FROM objects WHERE bucket=? AND key=?");
      d.Bind(1, bucket).Bind(2, key);
      THAW_RETURN_IF_ERROR(d.Run());
    }
    if (versioning.empty()) return Status::Ok();
  } else if (!old_file.empty()) {
    THAW_RETURN_IF_ERROR(ArchiveCurrentLocked(bucket, key, now));
  }
  if (versioning == "Suspended") THAW_RETURN_IF_ERROR(DropNullVersionLocked(bucket, key, garbage));
  ObjectRecord marker;
  marker.bucket = bucket;
  marker.key = key;
  marker.last_modified = now;
  marker.delete_marker = true;
  marker.version_id = versioning == "Enabled" ? NewFileId() : "null";
  marker.seq = next_seq_++;
  THAW_RETURN_IF_ERROR(WriteVersionRow(marker));
  *done = {true, marker.version_id};
  return Status::Ok();
}

// Caller holds mu_ in a transaction. DELETE ?versionId=: that version goes for good; when it
// was the newest, the next newer object version becomes current (a delete marker stays a
// marker: the key then reads as deleted).
Status Store::DeleteVersionLocked(const std::string& bucket, const std::string& key,
                                  const std::string& version_id, DeleteOutcome* done,
                                  std::vector<std::string>* garbage) {
  std::string sql = std::string(
                        "SELECT file, version_id, 0 FROM objects WHERE bucket=?1 AND "
                        "key=?2 AND ") +
                    kVersionMatch +
                    " UNION ALL SELECT file, version_id, marker FROM versions WHERE bucket=?1 "
                    "AND key=?2 AND " +
                    kVersionMatch;
  std::string file, stored_id;
  bool found = false, marker = false;
  {
    Stmt s(*stmts_, sql.c_str());
    s.Bind(1, bucket).Bind(2, key).Bind(3, version_id);
    if (s.Step() == SQLITE_ROW) {
      found = true;
      file = s.Text(0);
      stored_id = s.Text(1);
      marker = s.Int(2) != 0;
    }
  }
  *done = {marker, version_id};
  if (!found) return Status::Ok();
  if (!marker && !file.empty()) garbage->push_back(file);
  for (const char* table : {"objects", "versions"}) {
    std::string del =
        std::string("DELETE FROM ") + table + " WHERE bucket=? AND key=? AND version_id=?";
    Stmt d(*stmts_, del.c_str());
    d.Bind(1, bucket).Bind(2, key).Bind(3, stored_id);
    THAW_RETURN_IF_ERROR(d.Run());
  }
  // Without a current version, the newest noncurrent object version (not a marker) is current.
  {
    Stmt c(*stmts_, "SELECT 1 FROM objects WHERE bucket=? AND key=?");
    c.Bind(1, bucket).Bind(2, key);
    if (c.Step() == SQLITE_ROW) return Status::Ok();
  }
  std::string newest;
  {
    Stmt n(*stmts_,
           "SELECT version_id, marker FROM versions WHERE bucket=? AND key=? ORDER BY seq DESC "
           "LIMIT 1");
    n.Bind(1, bucket).Bind(2, key);
    if (n.Step() != SQLITE_ROW || n.Int(1) != 0) return Status::Ok();
    newest = n.Text(0);
  }
  std::string promote = std::string("INSERT INTO objects(") + kObjectColumns + ") SELECT " +
                        kObjectColumns +
                        " FROM versions WHERE bucket=?1 AND key=?2 AND version_id=?3";
  Stmt p(*stmts_, promote.c_str());
  p.Bind(1, bucket).Bind(2, key).Bind(3, newest);
  THAW_RETURN_IF_ERROR(p.Run());
  Stmt d(*stmts_, "DELETE FROM versions WHERE bucket=? AND key=? AND version_id=?");
  d.Bind(1, bucket).Bind(2, key).Bind(3, newest);
  return d.Run();
}

Result<ObjectRecord> Store::GetObjectVersion(const std::string& bucket, const std::string& key,
                                             const std::string& version_id) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kObjectColumns +
                    ", 0, 1 FROM objects WHERE bucket=?1 AND key=?2 AND " + kVersionMatch +
                    " UNION ALL SELECT " + kObjectColumns +
                    ", marker, 0 FROM versions WHERE bucket=?1 AND key=?2 AND " + kVersionMatch;
  Stmt s(*stmts_, sql.c_str());
  s.Bind(1, bucket).Bind(2, key).Bind(3, version_id);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return Status::NotFound("version " + version_id + " of " + key);
  if (rc != SQLITE_ROW) return s.Error();
  ObjectRecord r = ReadVersion(s);
  r.noncurrent = s.Int(19) == 0;
  return r;
}

Result<ObjectRecord> Store::GetLatestDeleteMarker(const std::string& bucket,
                                                  const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kObjectColumns +
                    ", marker FROM versions WHERE bucket=?1 AND key=?2 AND NOT EXISTS (SELECT 1 "
                    "FROM objects o WHERE o.bucket=?1 AND o.key=?2) ORDER BY seq DESC LIMIT 1";
  Stmt s(*stmts_, sql.c_str());
  s.Bind(1, bucket).Bind(2, key);
  int rc = s.Step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return s.Error();
  if (rc == SQLITE_DONE || s.Int(18) == 0) return Status::NotFound("no delete marker");
  return ReadVersion(s);
}

Result<std::vector<ObjectRecord>> Store::ListVersions(const std::string& bucket,
                                                      const std::string& prefix,
                                                      const std::string& key_marker,
                                                      const std::string& version_marker,
                                                      int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  // Resume inside key_marker's versions only after version_marker (newest first).
  int64_t below = std::numeric_limits<int64_t>::min();
  if (!key_marker.empty() && !version_marker.empty()) {
    std::string sql =
        std::string("SELECT seq FROM objects WHERE bucket=?1 AND key=?2 AND ") + kVersionMatch +
        " UNION ALL SELECT seq FROM versions WHERE bucket=?1 AND key=?2 AND " + kVersionMatch;
    Stmt s(*stmts_, sql.c_str());
    s.Bind(1, bucket).Bind(2, key_marker).Bind(3, version_marker);
    if (s.Step() == SQLITE_ROW) below = s.Int(0);
  }
  std::string sql =
      std::string("SELECT * FROM (SELECT ") + kObjectColumns +
      ", 0 AS marker, 1 AS latest FROM objects WHERE bucket=?1 UNION ALL SELECT " + kObjectColumns +
      ", marker, (NOT EXISTS (SELECT 1 FROM objects o WHERE o.bucket=v.bucket AND o.key=v.key) "
      "AND seq=(SELECT max(w.seq) FROM versions w WHERE w.bucket=v.bucket AND w.key=v.key)) "
      "FROM versions v WHERE bucket=?1) WHERE key>=?2 AND key<?3 AND (key>?4 OR (key=?4 AND "
      "seq<?5)) ORDER BY key, seq DESC LIMIT ?6";
  Stmt s(*stmts_, sql.c_str());
  s.Bind(1, bucket).Bind(2, prefix).Bind(3, prefix + "\xff\xff\xff\xff").Bind(4, key_marker);
  s.Bind(5, below).Bind(6, static_cast<int64_t>(limit));
  std::vector<ObjectRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back(ReadVersion(s));
    out.back().latest = s.Int(19) != 0;
    out.back().noncurrent = !out.back().latest;
  }
  if (rc != SQLITE_DONE) return s.Error();
  return out;
}

Result<std::vector<ObjectRecord>> Store::ListNoncurrentVersions(const std::string& bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kObjectColumns +
                    ", marker, noncurrent_since FROM versions WHERE bucket=? AND marker=0";
  Stmt s(*stmts_, sql.c_str());
  s.Bind(1, bucket);
  std::vector<ObjectRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back(ReadVersion(s));
    // Versions archived by older sims have no date: their own write is the earliest bound.
    int64_t since = s.Int(19);
    out.back().noncurrent_since = since ? FromNanos(since) : out.back().last_modified;
  }
  if (rc != SQLITE_DONE) return s.Error();
  return out;
}

Result<std::vector<ObjectRecord>> Store::ListRestoringVersions() {
  std::lock_guard<std::mutex> lock(mu_);
  std::string sql = std::string("SELECT ") + kObjectColumns +
                    ", marker FROM versions WHERE restore != 0 AND marker=0";
  Stmt s(*stmts_, sql.c_str());
  std::vector<ObjectRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadVersion(s));
  if (rc != SQLITE_DONE) return s.Error();
  return out;
}

Status Store::SetVersioning(const std::string& bucket, const std::string& status) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "INSERT OR REPLACE INTO versioning(bucket, status) VALUES(?,?)");
  s.Bind(1, bucket).Bind(2, status);
  return s.Run();
}

Result<std::string> Store::GetVersioning(const std::string& bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  return VersioningLocked(bucket);
}

Result<std::vector<ObjectRecord>> Store::ListObjects(const std::string& bucket,
                                                     const std::string& prefix,
                                                     const std::string& after, int limit) {
  std::lock_guard<std::mutex> lock(mu_);
  // Keys are UTF-8, which never contains 0xFF: prefix + "\xff" bounds every key with the prefix.
  // One lower bound, the tighter of the two: SQLite seeks the primary key with only one of
  // `key>?` and `key>=?` and filters with the other, so a listing of tree/ with no cursor read
  // every key before it (100,000 of flat/ made each page 20 ms slower).
  bool from_prefix = after < prefix;
  std::string sql = std::string("SELECT ") + kObjectColumns + " FROM objects WHERE bucket=? AND " +
                    (from_prefix ? "key>=?" : "key>?") + " AND key<? ORDER BY key LIMIT ?";
  Stmt s(*stmts_, sql.c_str());
  s.Bind(1, bucket).Bind(2, from_prefix ? prefix : after).Bind(3, prefix + "\xff\xff\xff\xff");
  s.Bind(4, static_cast<int64_t>(limit));
  std::vector<ObjectRecord> out;
  out.reserve(static_cast<size_t>(std::clamp(limit, 0, 1000)));
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadObject(s));
  if (rc != SQLITE_DONE) return s.Error();
  return out;
}

Status Store::CreateUpload(const UploadRecord& u) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_,
         "INSERT INTO uploads(upload_id, bucket, key, initiated, object) VALUES(?,?,?,?,?)");
  s.Bind(1, u.upload_id).Bind(2, u.bucket).Bind(3, u.key).Bind(4, ToNanos(u.initiated));
  s.Bind(5, ObjectTemplateJson(u.object).dump(-1, ' ', false,
                                              nlohmann::json::error_handler_t::replace));
  return s.Run();
}

namespace {
UploadRecord ReadUpload(const Stmt& s) {
  UploadRecord u;
  u.upload_id = s.Text(0);
  u.bucket = s.Text(1);
  u.key = s.Text(2);
  u.initiated = FromNanos(s.Int(3));
  auto j = nlohmann::json::parse(s.Text(4), nullptr, false);
  u.object.bucket = u.bucket;
  u.object.key = u.key;
  if (j.is_object()) {
    u.object.content_type = j.value("content_type", "");
    u.object.user_metadata = j.value("user_metadata", std::map<std::string, std::string>{});
    u.object.headers = j.value("headers", std::map<std::string, std::string>{});
    u.object.archive.storage_class = j.value("storage_class", "STANDARD");
    u.object.archive.archive_status = j.value("archive_status", "");
  }
  return u;
}
}  // namespace

Result<UploadRecord> Store::GetUpload(const std::string& upload_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_,
         "SELECT upload_id, bucket, key, initiated, object FROM uploads WHERE upload_id=?");
  s.Bind(1, upload_id);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return Status::NotFound("upload " + upload_id);
  if (rc != SQLITE_ROW) return s.Error();
  return ReadUpload(s);
}

Result<std::vector<UploadRecord>> Store::ListUploads(const std::string& bucket) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_,
         "SELECT upload_id, bucket, key, initiated, object FROM uploads WHERE bucket=? "
         "ORDER BY key, initiated");
  s.Bind(1, bucket);
  std::vector<UploadRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(ReadUpload(s));
  if (rc != SQLITE_DONE) return s.Error();
  return out;
}

Status Store::PutPart(const std::string& upload_id, PartRecord& part,
                      const std::string& temp_path) {
  THAW_ASSIGN_OR_RETURN(std::string upload_dir, UploadDir(upload_id));
  part.file = upload_dir + "/" + std::to_string(part.number) + "-" + NewFileId();
  THAW_RETURN_IF_ERROR(RenameInto(temp_path, part.file));
  std::string old_file;
  {
    std::lock_guard<std::mutex> lock(mu_);
    {
      Stmt s(*stmts_, "SELECT file FROM parts WHERE upload_id=? AND number=?");
      s.Bind(1, upload_id).Bind(2, part.number);
      if (s.Step() == SQLITE_ROW) old_file = s.Text(0);
    }
    Stmt s(*stmts_,
           "INSERT OR REPLACE INTO parts(upload_id, number, file, size, etag, last_modified) "
           "VALUES(?,?,?,?,?,?)");
    s.Bind(1, upload_id).Bind(2, part.number).Bind(3, part.file);
    s.Bind(4, static_cast<int64_t>(part.size))
        .Bind(5, part.etag)
        .Bind(6, ToNanos(part.last_modified));
    THAW_RETURN_IF_ERROR(s.Run());
  }
  std::error_code ec;
  if (!old_file.empty()) fs::remove(old_file, ec);
  return Status::Ok();
}

Result<std::vector<PartRecord>> Store::ListParts(const std::string& upload_id) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_,
         "SELECT number, file, size, etag, last_modified FROM parts WHERE upload_id=? ORDER BY "
         "number");
  s.Bind(1, upload_id);
  std::vector<PartRecord> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    out.push_back({static_cast<int>(s.Int(0)), s.Text(1), static_cast<uint64_t>(s.Int(2)),
                   s.Text(3), FromNanos(s.Int(4))});
  }
  if (rc != SQLITE_DONE) return s.Error();
  return out;
}

Status Store::DeleteUpload(const std::string& upload_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt a(*stmts_, "DELETE FROM parts WHERE upload_id=?");
    a.Bind(1, upload_id);
    THAW_RETURN_IF_ERROR(a.Run());
    Stmt b(*stmts_, "DELETE FROM uploads WHERE upload_id=?");
    b.Bind(1, upload_id);
    THAW_RETURN_IF_ERROR(b.Run());
  }
  std::error_code ec;
  auto upload_dir = UploadDir(upload_id);
  if (upload_dir.ok()) fs::remove_all(*upload_dir, ec);
  return Status::Ok();
}

std::optional<Clock::TimePoint> Store::LoadSimTime() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "SELECT v FROM state WHERE k='sim_time'");
  if (s.Step() != SQLITE_ROW) return std::nullopt;
  return FromNanos(s.Int(0));
}

Status Store::SaveSimTime(Clock::TimePoint t) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "INSERT OR REPLACE INTO state(k, v) VALUES('sim_time', ?)");
  s.Bind(1, ToNanos(t));
  return s.Run();
}

Status Store::PutStsSession(const StsSession& session) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_,
         "INSERT OR REPLACE INTO sts_sessions(access_key, secret_key, session_token, expiration, "
         "role_arn, role_id, account_id) VALUES(?, ?, ?, ?, ?, ?, ?)");
  s.Bind(1, session.access_key)
      .Bind(2, session.secret_key)
      .Bind(3, session.session_token)
      .Bind(4, ToNanos(session.expiration))
      .Bind(5, session.assumed_role_arn)
      .Bind(6, session.assumed_role_id)
      .Bind(7, session.account_id);
  return s.Run();
}

Result<std::vector<StsSession>> Store::ListStsSessions() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_,
         "SELECT access_key, secret_key, session_token, expiration, role_arn, role_id, account_id "
         "FROM sts_sessions");
  std::vector<StsSession> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    StsSession x;
    x.access_key = s.Text(0);
    x.secret_key = s.Text(1);
    x.session_token = s.Text(2);
    x.expiration = FromNanos(s.Int(3));
    x.assumed_role_arn = s.Text(4);
    x.assumed_role_id = s.Text(5);
    x.account_id = s.Text(6);
    out.push_back(std::move(x));
  }
  if (rc != SQLITE_DONE) return s.Error();
  return out;
}

Status Store::DeleteStsSessionsExpiredBefore(Clock::TimePoint t) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(*stmts_, "DELETE FROM sts_sessions WHERE expiration < ?");
  s.Bind(1, ToNanos(t));
  return s.Run();
}

}  // namespace thaw::sim
