// The batch_jobs table (see batch_journal.h): a row per job, its fields as one JSON document so
// that adding a field needs no schema change.
#include "restore/batch_journal.h"

#include <sqlite3.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace thaw::restore {
namespace {

using nlohmann::json;

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS batch_jobs (token TEXT PRIMARY KEY, selection TEXT NOT NULL, "
    "step TEXT NOT NULL, created_at_ms INTEGER NOT NULL, data TEXT NOT NULL)";

int64_t Ms(Clock::TimePoint t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
Clock::TimePoint FromMs(int64_t ms) {
  return Clock::TimePoint(
      std::chrono::duration_cast<Clock::Duration>(std::chrono::milliseconds(ms)));
}

Status SqlError(sqlite3* db, const std::string& what) {
  std::string msg = "journal: batch jobs: " + what + ": " + sqlite3_errmsg(db);
  return sqlite3_errcode(db) == SQLITE_BUSY ? Status::Unavailable(msg) : Status::Internal(msg);
}

json ToJson(const BatchJobRecord& r) {
  json j = {{"token", r.token},
            {"selection", r.selection},
            {"step", BatchStepName(r.step)},
            {"job_id", r.job_id},
            {"account_id", r.account_id},
            {"role_arn", r.role_arn},
            {"local_manifest", r.local_manifest},
            {"manifest_bucket", r.manifest_bucket},
            {"manifest_key", r.manifest_key},
            {"manifest_etag", r.manifest_etag},
            {"report_bucket", r.report_bucket},
            {"report_prefix", r.report_prefix},
            {"tier", r.tier},
            {"objects", r.objects},
            {"bytes", r.bytes},
            {"cost_usd", r.cost_usd},
            {"budget_day", r.budget_day},
            {"aws_status", r.aws_status},
            {"succeeded", r.succeeded},
            {"failed", r.failed},
            {"error", r.error},
            {"created_at_ms", Ms(r.created_at)},
            {"updated_at_ms", Ms(r.updated_at)}};
  if (r.days) j["days"] = *r.days;
  return j;
}

BatchJobRecord FromJson(const json& j) {
  auto str = [&](const char* k) { return j.value(k, std::string()); };
  BatchJobRecord r;
  r.token = str("token");
  r.selection = str("selection");
  r.step = ParseBatchStep(str("step")).value_or(BatchStep::kPrepared);
  r.job_id = str("job_id");
  r.account_id = str("account_id");
  r.role_arn = str("role_arn");
  r.local_manifest = str("local_manifest");
  r.manifest_bucket = str("manifest_bucket");
  r.manifest_key = str("manifest_key");
  r.manifest_etag = str("manifest_etag");
  r.report_bucket = str("report_bucket");
  r.report_prefix = str("report_prefix");
  r.tier = str("tier");
  if (j.contains("days") && j["days"].is_number_integer()) r.days = j["days"].get<int>();
  r.objects = j.value("objects", uint64_t{0});
  r.bytes = j.value("bytes", uint64_t{0});
  r.cost_usd = j.value("cost_usd", 0.0);
  r.budget_day = str("budget_day");
  r.aws_status = str("aws_status");
  r.succeeded = j.value("succeeded", uint64_t{0});
  r.failed = j.value("failed", uint64_t{0});
  r.error = str("error");
  r.created_at = FromMs(j.value("created_at_ms", int64_t{0}));
  r.updated_at = FromMs(j.value("updated_at_ms", int64_t{0}));
  return r;
}

}  // namespace

std::string_view BatchStepName(BatchStep s) {
  switch (s) {
    case BatchStep::kPrepared:
      return "prepared";
    case BatchStep::kUploaded:
      return "uploaded";
    case BatchStep::kCreated:
      return "created";
    case BatchStep::kFinished:
      return "finished";
  }
  return "prepared";
}

std::optional<BatchStep> ParseBatchStep(std::string_view s) {
  for (BatchStep b :
       {BatchStep::kPrepared, BatchStep::kUploaded, BatchStep::kCreated, BatchStep::kFinished}) {
    if (BatchStepName(b) == s) return b;
  }
  return std::nullopt;
}

Result<std::unique_ptr<BatchJobStore>> BatchJobStore::Open(const std::string& state_dir) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) return Status::Unavailable("journal: cannot create " + state_dir + ": " + ec.message());
  std::string path = (std::filesystem::path(state_dir) / "journal.db").string();
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status s = Status::Unavailable("journal: cannot open " + path);
    sqlite3_close(db);
    return s;
  }
  std::unique_ptr<BatchJobStore> store(new BatchJobStore(db));
  sqlite3_busy_timeout(db, 10000);
  if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqlError(db, "open " + path);
  }
  return store;
}

BatchJobStore::~BatchJobStore() {
  sqlite3_close(db_);
}

Status BatchJobStore::Put(const BatchJobRecord& r) {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_stmt* st = nullptr;
  const char* sql =
      "INSERT OR REPLACE INTO batch_jobs (token, selection, step, created_at_ms, data) "
      "VALUES (?1, ?2, ?3, ?4, ?5)";
  if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) {
    return SqlError(db_, "prepare");
  }
  std::string step(BatchStepName(r.step));
  std::string data = ToJson(r).dump(-1, ' ', false, json::error_handler_t::replace);
  sqlite3_bind_text(st, 1, r.token.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, r.selection.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, step.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 4, Ms(r.created_at));
  sqlite3_bind_text(st, 5, data.c_str(), -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return SqlError(db_, "write job " + r.token);
  return Status::Ok();
}

Result<std::vector<BatchJobRecord>> BatchJobStore::Select(const std::string& where,
                                                          const std::string& arg) {
  std::lock_guard<std::mutex> lock(mu_);
  sqlite3_stmt* st = nullptr;
  std::string sql = "SELECT data FROM batch_jobs " + where;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    return SqlError(db_, "prepare");
  }
  if (!arg.empty() || where.find("?1") != std::string::npos) {
    sqlite3_bind_text(st, 1, arg.c_str(), -1, SQLITE_TRANSIENT);
  }
  std::vector<BatchJobRecord> out;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(st, 0);
    json j = json::parse(text ? reinterpret_cast<const char*>(text) : "", nullptr, false);
    if (j.is_object()) out.push_back(FromJson(j));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return SqlError(db_, "read jobs");
  return out;
}

Result<std::optional<BatchJobRecord>> BatchJobStore::Get(const std::string& token) {
  THAW_ASSIGN_OR_RETURN(auto rows, Select("WHERE token = ?1", token));
  if (rows.empty()) return std::optional<BatchJobRecord>();
  return std::optional<BatchJobRecord>(std::move(rows.front()));
}

Result<std::vector<BatchJobRecord>> BatchJobStore::List() {
  return Select("ORDER BY created_at_ms DESC, token", "");
}

Result<std::vector<BatchJobRecord>> BatchJobStore::Unfinished(const std::string& selection) {
  return Select("WHERE selection = ?1 AND step != 'finished' ORDER BY created_at_ms, token",
                selection);
}

}  // namespace thaw::restore
