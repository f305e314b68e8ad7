// BatchRestore (see batch.h): selection into per-job local manifests, then per job upload,
// CreateJob, budget charge, DescribeJob until it ends, and the completion report into the
// journal.
#include "restore/batch.h"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <unordered_map>

#include "common/csv.h"
#include "common/random_id.h"
#include "common/strings.h"
#include "restore/cost.h"
#include "s3/error.h"

namespace thaw::restore {
namespace {

bool AllDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// One task's line of a completion report.
struct TaskOutcome {
  bool succeeded = false;
  int http = 0;
  std::string code;
  std::string message;
};

std::string ObjectKey(const std::string& bucket, const std::string& key) {
  return bucket + '\n' + key;
}

// The local manifest's columns: bucket, URL-encoded key (these two are what S3 gets), then
// size, storage class, archive status and the estimated cost, for the journal rows later.
struct PlanLine {
  std::string bucket, key;
  uint64_t size = 0;
  std::string storage_class, archive_status;
  double cost_usd = 0;
};

std::optional<PlanLine> ParsePlanLine(const std::vector<std::string>& f) {
  if (f.size() < 6) return std::nullopt;
  auto key = UriDecode(f[1]);
  auto size = ParseUint64(f[2]);
  if (!key || !size) return std::nullopt;
  PlanLine p{f[0], *key, *size, f[3], f[4], std::strtod(f[5].c_str(), nullptr)};
  return p;
}

}  // namespace

BatchRestore::BatchRestore(Engine& planner, Journal& journal, BatchJobStore& jobs, s3::S3Client& s3,
                           s3::S3ControlClient& control, Clock& clock, std::string state_dir,
                           BatchRequest request)
    : planner_(planner),
      journal_(journal),
      jobs_(jobs),
      s3_(s3),
      control_(control),
      clock_(clock),
      state_dir_(std::move(state_dir)),
      request_(std::move(request)),
      run_id_(RandomHex(20)) {}

BatchRestore::~BatchRestore() = default;

Result<int> BatchRestore::Resumable() {
  THAW_ASSIGN_OR_RETURN(auto left, jobs_.Unfinished(request_.selection));
  return static_cast<int>(left.size());
}

void BatchRestore::Add(const ObjectRef& object, std::optional<s3::ObjectInfo> known) {
  SubmitOptions options = request_.submit;
  options.known_info = std::move(known);
  Result<Decision> d = planner_.Plan(object, options);
  if (!d.ok()) {
    ++counts_.plan_failed;
    return;
  }
  switch (d->action) {
    case Decision::Action::kRestore:
      break;
    case Decision::Action::kAlreadyRestored:
      ++counts_.skipped["already_restored"];
      return;
    case Decision::Action::kInProgress:
      ++counts_.skipped["in_progress"];
      return;
    case Decision::Action::kSkip:
      ++counts_.skipped[d->reason_code.empty() ? "skipped" : d->reason_code];
      return;
  }
  if (!object.version_id.empty()) {
    ++counts_.skipped["version_id"];  // the manifest holds current versions only
    return;
  }
  // Batch Operations restores with BULK or STANDARD only; Expedited becomes STANDARD.
  std::string tier = d->tier == s3::RestoreTier::kBulk ? "BULK" : "STANDARD";
  bool intelligent = d->kind && IsIntelligentTiering(*d->kind);
  std::optional<int> days = intelligent ? std::nullopt : d->days;
  // The budget: the day's use when selection began plus everything selected since.
  double cost = d->cost.restore_usd() + kBatchOperationsPerMillionObjectsUsd / 1e6;
  if (!budget_used_) {
    auto used = journal_.BudgetUsed(UtcDay(clock_.Now()));
    budget_used_ = used.ok() ? *used : BudgetUse{};
  }
  const Limits& lim = request_.limits;
  if ((lim.daily_byte_budget > 0 &&
       budget_used_->bytes + counts_.bytes + d->size_bytes > lim.daily_byte_budget) ||
      (lim.daily_cost_budget_usd > 0 &&
       budget_used_->cost_usd + counts_.cost_usd + cost + kBatchOperationsPerJobUsd >
           lim.daily_cost_budget_usd)) {
    ++counts_.skipped["over_budget"];
    return;
  }
  std::string group_key = tier + "/" + (days ? std::to_string(*days) : "-");
  auto [it, fresh] = groups_.try_emplace(group_key);
  Group& g = it->second;
  if (fresh) {
    BatchJobRecord& r = g.record;
    r.token = "thaw-" + run_id_ + "-" + std::to_string(groups_.size());
    r.selection = request_.selection;
    r.account_id = request_.account_id;
    r.role_arn = request_.role_arn;
    r.tier = tier;
    r.days = days;
    r.report_bucket = request_.report_bucket.empty() ? object.bucket : request_.report_bucket;
    r.report_prefix = request_.report_bucket.empty() ? "thaw-batch" : request_.report_prefix;
    while (!r.report_prefix.empty() && r.report_prefix.back() == '/') r.report_prefix.pop_back();
    r.manifest_bucket = r.report_bucket;
    r.manifest_key =
        (r.report_prefix.empty() ? "" : r.report_prefix + "/") + "manifests/" + r.token + ".csv";
    std::filesystem::create_directories(state_dir_ + "/batch");
    r.local_manifest = state_dir_ + "/batch/" + r.token + ".csv";
    r.created_at = clock_.Now();
    g.out = std::make_unique<std::ofstream>(r.local_manifest, std::ios::binary | std::ios::trunc);
  }
  // Keys are URL-encoded (S3BatchOperations_CSV_20180820), slashes kept.
  std::string storage_class = "GLACIER", archive_status;
  if (d->kind == ArchiveKind::kDeepArchive) storage_class = "DEEP_ARCHIVE";
  if (intelligent) {
    storage_class = std::string(s3::kIntelligentTiering);
    archive_status = d->kind == ArchiveKind::kIntelligentArchive
                         ? std::string(s3::kArchiveAccess)
                         : std::string(s3::kDeepArchiveAccess);
  }
  *g.out << object.bucket << ',' << UriEncode(object.key, true) << ',' << d->size_bytes << ','
         << storage_class << ',' << archive_status << ',' << cost << '\n';
  g.record.objects++;
  g.record.bytes += d->size_bytes;
  g.record.cost_usd += cost;
  ++counts_.selected;
  counts_.bytes += d->size_bytes;
  counts_.cost_usd += cost;
}

Status BatchRestore::Save(BatchJobRecord& r) {
  r.updated_at = clock_.Now();
  return jobs_.Put(r);
}

Status BatchRestore::Run(const std::function<void(const BatchProgress&)>& on_progress) {
  // New groups become jobs (step kPrepared) once their manifests are on disk.
  for (auto& [key, g] : groups_) {
    g.out->flush();
    if (!*g.out) return Status::Unavailable("cannot write " + g.record.local_manifest);
    g.out.reset();
    g.record.cost_usd += kBatchOperationsPerJobUsd;
    counts_.cost_usd += kBatchOperationsPerJobUsd;
    THAW_RETURN_IF_ERROR(Save(g.record));
  }
  std::set<std::string> fresh;
  for (const auto& [key, g] : groups_) fresh.insert(g.record.token);
  groups_.clear();
  THAW_ASSIGN_OR_RETURN(auto jobs, jobs_.Unfinished(request_.selection));
  for (BatchJobRecord& r : jobs) {
    if (!fresh.count(r.token)) {  // resumed from an earlier run: count its objects too
      counts_.selected += r.objects;
      counts_.bytes += r.bytes;
      counts_.cost_usd += r.cost_usd;
    }
    if (!request_.role_arn.empty()) r.role_arn = request_.role_arn;  // a rerun may fix it
    if (!request_.account_id.empty() && r.step < BatchStep::kCreated) {
      r.account_id = request_.account_id;
    }
    ++counts_.jobs;
    if (r.step == BatchStep::kPrepared) THAW_RETURN_IF_ERROR(Upload(r));
    if (r.step == BatchStep::kUploaded) THAW_RETURN_IF_ERROR(Create(r));
    counts_.job_ids.push_back(r.job_id);
    THAW_RETURN_IF_ERROR(Follow(r, on_progress));
  }
  return Status::Ok();
}

Status BatchRestore::Upload(BatchJobRecord& r) {
  // What S3 gets: the first two columns of the local manifest.
  std::ifstream in(r.local_manifest, std::ios::binary);
  if (!in) return Status::NotFound("batch manifest " + r.local_manifest + " is missing");
  CsvReader csv(in, r.local_manifest);
  std::vector<std::string> fields;
  std::string body;
  while (true) {
    THAW_ASSIGN_OR_RETURN(bool more, csv.Next(&fields));
    if (!more) break;
    auto p = ParsePlanLine(fields);
    if (!p) return csv.Error("not a line of thaw's batch manifest");
    body += p->bucket + "," + UriEncode(p->key, true) + "\n";
  }
  s3::PutObjectRequest put;
  put.bucket = r.manifest_bucket;
  put.key = r.manifest_key;
  put.content_type = "text/csv";
  put.body = s3::HttpBody::FromString(std::move(body));
  THAW_ASSIGN_OR_RETURN(s3::PutObjectResult res, s3_.PutObject(put));
  r.manifest_etag = res.etag;
  r.step = BatchStep::kUploaded;
  return Save(r);
}

Status BatchRestore::Create(BatchJobRecord& r) {
  s3::CreateRestoreJobRequest req;
  req.account_id = r.account_id;
  req.client_request_token = r.token;
  req.role_arn = r.role_arn;
  req.manifest_arn = "arn:aws:s3:::" + r.manifest_bucket + "/" + r.manifest_key;
  req.manifest_etag = r.manifest_etag;
  req.expiration_days = r.days;
  req.glacier_job_tier = r.tier;
  req.description = "thaw restore " + r.selection;
  if (req.description.size() > 256) req.description = req.description.substr(0, 253) + "...";
  req.report_bucket_arn = "arn:aws:s3:::" + r.report_bucket;
  req.report_prefix = r.report_prefix;
  // Every task's outcome: the journal gets a row per object, not only for the failed ones.
  req.report_scope = "AllTasks";
  Result<std::string> id = control_.CreateRestoreJob(req);
  if (!id.ok()) {
    // No job, no charge, no restore rows: a rerun starts here again.
    r.error = id.status().message();
    (void)Save(r);
    return id.status();
  }
  r.job_id = *id;
  r.error.clear();
  r.budget_day = UtcDay(clock_.Now());
  const Limits& lim = request_.limits;
  THAW_ASSIGN_OR_RETURN(bool charged,
                        journal_.Charge(r.budget_day, r.bytes, r.cost_usd, lim.daily_byte_budget,
                                        lim.daily_cost_budget_usd, nullptr));
  if (!charged) {
    // Another process spent the budget since selection: the job must not run.
    (void)control_.UpdateJobStatus(r.account_id, r.job_id, "Cancelled",
                                   "thaw: the daily budget was spent meanwhile");
    r.error = "the daily budget was spent by another process meanwhile; job cancelled";
  }
  r.step = BatchStep::kCreated;
  return Save(r);
}

Status BatchRestore::Follow(BatchJobRecord& r,
                            const std::function<void(const BatchProgress&)>& on_progress) {
  for (;;) {
    THAW_ASSIGN_OR_RETURN(s3::JobDescription job, control_.DescribeJob(r.account_id, r.job_id));
    bool changed = job.status != r.aws_status || job.succeeded_tasks != r.succeeded ||
                   job.failed_tasks != r.failed;
    r.aws_status = job.status;
    r.succeeded = job.succeeded_tasks;
    r.failed = job.failed_tasks;
    if (on_progress) {
      on_progress({r.job_id, job.status, job.total_tasks, job.succeeded_tasks, job.failed_tasks});
    }
    if (job.terminal()) {
      counts_.succeeded += job.succeeded_tasks;
      counts_.failed += job.failed_tasks;
      for (const auto& f : job.failure_reasons) {
        if (!r.error.empty()) r.error += "; ";
        r.error += f.code + ": " + f.reason;
      }
      THAW_RETURN_IF_ERROR(Ingest(r, job));
      r.step = BatchStep::kFinished;
      return Save(r);
    }
    if (changed) THAW_RETURN_IF_ERROR(Save(r));
    clock_.SleepFor(std::chrono::duration_cast<Clock::Duration>(request_.poll_interval));
  }
}

Status BatchRestore::Ingest(BatchJobRecord& r, const s3::JobDescription& job) {
  // The report: PREFIX/job-ID/manifest.json names the results files.
  std::unordered_map<std::string, TaskOutcome> outcomes;
  std::string base = (r.report_prefix.empty() ? "" : r.report_prefix + "/") + "job-" + r.job_id;
  s3::GetObjectRequest get;
  get.bucket = r.report_bucket;
  get.key = base + "/manifest.json";
  Result<s3::GetObjectResult> manifest = s3_.GetObject(get);
  if (!manifest.ok() && !manifest.status().IsNotFound()) return manifest.status();
  if (manifest.ok()) {
    auto j = nlohmann::json::parse(manifest->body, nullptr, false);
    if (!j.is_object() || !j["Results"].is_array()) {
      return Status::Internal("Batch Operations report s3://" + r.report_bucket + "/" + get.key +
                              " is not a report manifest");
    }
    for (const auto& res : j["Results"]) {
      s3::GetObjectRequest part;
      part.bucket = res.value("Bucket", r.report_bucket);
      part.key = res.value("Key", "");
      THAW_ASSIGN_OR_RETURN(s3::GetObjectResult csv, s3_.GetObject(part));
      std::istringstream body(csv.body);
      CsvReader report(body, "s3://" + part.bucket + "/" + part.key);
      std::vector<std::string> f;
      while (true) {
        THAW_ASSIGN_OR_RETURN(bool more, report.Next(&f));
        if (!more) break;
        if (f.size() < 7) continue;
        auto key = UriDecode(f[1]);
        if (!key) continue;
        TaskOutcome o;
        o.succeeded = f[3] == "succeeded";
        // AWS's schema names ErrorCode before HTTPStatusCode, its rows put the number first:
        // whichever column is numeric is the HTTP status.
        bool fourth_numeric = AllDigits(f[4]);
        o.http = std::atoi((fourth_numeric ? f[4] : f[5]).c_str());
        o.code = fourth_numeric ? f[5] : f[4];
        o.message = f[6];
        outcomes[ObjectKey(f[0], *key)] = std::move(o);
      }
    }
  }
  // One row per object of the job whose outcome is known.
  std::ifstream in(r.local_manifest, std::ios::binary);
  if (!in) return Status::NotFound("batch manifest " + r.local_manifest + " is missing");
  Clock::TimePoint now = clock_.Now();
  std::optional<s3::RestoreTier> tier =
      r.tier == "BULK" ? s3::RestoreTier::kBulk : s3::RestoreTier::kStandard;
  std::vector<RestoreRecord> rows;
  CsvReader plan(in, r.local_manifest);
  std::vector<std::string> fields;
  while (true) {
    THAW_ASSIGN_OR_RETURN(bool more, plan.Next(&fields));
    if (!more) break;
    auto p = ParsePlanLine(fields);
    if (!p) continue;
    auto it = outcomes.find(ObjectKey(p->bucket, p->key));
    if (it == outcomes.end()) continue;  // the job ended before this task ran
    const TaskOutcome& o = it->second;
    RestoreRecord rec;
    rec.object = {p->bucket, p->key, ""};
    rec.source = Source::kCli;
    rec.tier = tier;
    rec.days = r.days;
    rec.storage_class = p->storage_class;
    rec.size_bytes = p->size;
    rec.estimated_cost_usd = p->cost_usd;
    rec.submitted_at = r.created_at;
    rec.attempts = 1;
    rec.budget_day = r.budget_day;
    rec.updated_at = now;
    rec.note = "S3 Batch Operations job " + r.job_id;
    if (o.succeeded || o.code == "RestoreAlreadyInProgress") {
      rec.state = State::kInProgress;
      rec.requested_at = now;
      auto kind = ArchiveKindOf(p->storage_class, p->archive_status);
      ExpectedDuration d = ExpectedRestoreDuration(kind.value_or(ArchiveKind::kGlacier), *tier);
      rec.eta = now + d.latest;
      rec.next_check_at = now + d.earliest;
      ++counts_.rows_in_progress;
    } else {
      rec.state = State::kFailed;
      rec.reason = o.code == "NoSuchKey" || o.http == 404 ? Reason::kNotFound : Reason::kS3Error;
      rec.error = "Batch Operations task failed: " + o.code + " (HTTP " + std::to_string(o.http) +
                  "): " + o.message;
      ++counts_.rows_failed;
    }
    rows.push_back(std::move(rec));
    if (rows.size() >= 5000) {
      THAW_RETURN_IF_ERROR(journal_.PutResults(rows));
      rows.clear();
    }
  }
  if (!rows.empty()) THAW_RETURN_IF_ERROR(journal_.PutResults(rows));
  (void)job;
  return Status::Ok();
}

}  // namespace thaw::restore
