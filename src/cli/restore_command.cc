// `thaw restore s3://BUCKET/KEY | s3://BUCKET/PREFIX --recursive | --manifest FILE`: restores
// archived objects through the restore engine (policy, journal, budgets) with BulkRestore,
// shows progress on stderr and ends with a summary (one JSON object with --json). The listing
// streams page by page and feeds what it knows to the engine, so a prefix costs one HEAD only
// for objects whose listing entry says too little (see s3/list.h).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/batch_restore.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/engine_setup.h"
#include "cli/output.h"
#include "cli/restore_report.h"
#include "common/s3_uri.h"
#include "common/strings.h"
#include "restore/bulk.h"
#include "restore/inventory.h"
#include "restore/manifest.h"
#include "s3/list.h"

namespace thaw::cli {
namespace {

constexpr int kBulkConcurrency = 64;

struct RestoreFlags {
  std::string uri;
  std::string version_id;
  bool recursive = false;
  std::string manifest;
  std::string inventory;
  bool raw_keys = false;
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  std::vector<std::string> storage_classes;
  std::string min_size;
  std::string older_than;
  std::string tier;
  std::optional<int> days;
  bool dry_run = false;
  bool wait = false;
  std::string timeout;
  std::string poll_interval;
  std::optional<int> concurrency;
  std::optional<double> max_rate;
  std::string daily_budget_usd;
  std::string daily_budget_bytes;
  bool wait_for_budget = false;
  bool check_restored = false;
  bool assume_not_restored = false;  // the old default's opt-out, now the default: accepted
  bool json = false;
  bool quiet = false;
  int progress_interval_s = 10;
  // S3 Batch Operations (batch_restore.h).
  std::string via = "auto";
  std::string role_arn;
  std::string report;
  std::string account_id;
  uint64_t batch_threshold = 100000;
};

// "90", "90s", "15m", "2h", "1d" -> seconds.
std::optional<std::chrono::seconds> ParseDuration(const std::string& s) {
  if (s.empty()) return std::nullopt;
  std::string digits = s;
  int64_t unit = 1;
  switch (s.back()) {
    case 's':
      unit = 1;
      digits.pop_back();
      break;
    case 'm':
      unit = 60;
      digits.pop_back();
      break;
    case 'h':
      unit = 3600;
      digits.pop_back();
      break;
    case 'd':
      unit = 86400;
      digits.pop_back();
      break;
    default:
      break;
  }
  auto n = ParseInt64(digits);
  if (!n || *n < 0) return std::nullopt;
  return std::chrono::seconds(*n * unit);
}

// Checks the flags before anything touches S3 or the journal.
Status Validate(const RestoreFlags& f, std::optional<s3::RestoreTier>* tier) {
  if (!f.inventory.empty()) {
    if (!f.manifest.empty()) {
      return Status::InvalidArgument("give --inventory or --manifest, not both");
    }
  } else if (f.uri.empty() == f.manifest.empty()) {
    return Status::InvalidArgument(
        "give either s3://BUCKET/KEY (or a prefix with --recursive), --manifest FILE or "
        "--inventory MANIFEST.JSON");
  }
  if (!f.min_size.empty() && !restore::ParseSize(f.min_size)) {
    return Status::InvalidArgument("--min-size '" + f.min_size + "': expected e.g. 1MiB");
  }
  if (!f.older_than.empty() && !ParseDuration(f.older_than)) {
    return Status::InvalidArgument("--older-than '" + f.older_than + "': expected e.g. 30d");
  }
  bool selectors = !f.include.empty() || !f.exclude.empty() || !f.storage_classes.empty() ||
                   !f.min_size.empty() || !f.older_than.empty();
  if (selectors && f.inventory.empty() && !f.recursive) {
    return Status::InvalidArgument(
        "--include, --exclude, --storage-class, --min-size and --older-than select among many "
        "objects: use them with --recursive or --inventory");
  }
  if (f.check_restored && f.assume_not_restored) {
    return Status::InvalidArgument("--check-restored and --assume-not-restored contradict");
  }
  if (!f.manifest.empty() && f.recursive) {
    return Status::InvalidArgument("--recursive does not apply to --manifest");
  }
  if (!f.tier.empty()) {
    *tier = s3::ParseRestoreTier(f.tier);
    if (!*tier) {
      return Status::InvalidArgument("--tier '" + f.tier +
                                     "': expected Expedited, Standard or Bulk");
    }
  }
  if (f.days && (*f.days < 1 || *f.days > 36500)) {
    return Status::InvalidArgument("--days " + std::to_string(*f.days) +
                                   ": must be between 1 and 36500");
  }
  if (f.concurrency && *f.concurrency < 1) {
    return Status::InvalidArgument("--concurrency must be at least 1");
  }
  if (f.max_rate && *f.max_rate < 0) return Status::InvalidArgument("--max-rate must be >= 0");
  if (!f.timeout.empty() && !ParseDuration(f.timeout)) {
    return Status::InvalidArgument("--timeout '" + f.timeout + "': expected e.g. 90s, 15m, 2h");
  }
  if (!f.poll_interval.empty()) {
    auto p = ParseDuration(f.poll_interval);
    if (!p || p->count() < 1) {
      return Status::InvalidArgument("--poll-interval '" + f.poll_interval +
                                     "': expected e.g. 30s, 5m (at least 1s)");
    }
  }
  if (!f.version_id.empty() && (f.recursive || !f.manifest.empty())) {
    return Status::InvalidArgument("--version-id applies to a single object only");
  }
  if (f.via != "auto" && f.via != "direct" && f.via != "batch-operations") {
    return Status::InvalidArgument("--via '" + f.via +
                                   "': expected auto, direct or batch-operations");
  }
  if (f.via == "batch-operations" && !f.dry_run) {
    if (f.wait) {
      return Status::InvalidArgument(
          "--wait does not apply to --via batch-operations: thaw follows the job until it ends; "
          "then `thaw restore --wait` on the same objects follows the restores");
    }
    if (!f.version_id.empty()) {
      return Status::InvalidArgument("--via batch-operations restores current versions only");
    }
  }
  return Status::Ok();
}

Status ApplyLimitFlags(const RestoreFlags& f, restore::Limits* lim) {
  if (f.concurrency) lim->max_concurrency = *f.concurrency;
  if (f.max_rate) lim->restore_requests_per_second = *f.max_rate;
  if (!f.daily_budget_usd.empty()) {
    char* end = nullptr;
    double v = std::strtod(f.daily_budget_usd.c_str(), &end);
    if (end == f.daily_budget_usd.c_str() || *end != '\0' || v < 0) {
      return Status::InvalidArgument("--daily-budget-usd '" + f.daily_budget_usd +
                                     "': expected a number of dollars");
    }
    lim->daily_cost_budget_usd = v;
  }
  if (!f.daily_budget_bytes.empty()) {
    auto b = restore::ParseSize(f.daily_budget_bytes);
    if (!b) {
      return Status::InvalidArgument("--daily-budget-bytes '" + f.daily_budget_bytes +
                                     "': expected a size such as 500GiB");
    }
    lim->daily_byte_budget = *b;
  }
  return Status::Ok();
}

// Reads the whole manifest once to reject a bad line before anything is submitted.
Status CheckManifest(const std::string& path, restore::ManifestOptions mo) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("--manifest " + path + ": cannot open");
  restore::ManifestReader reader(in, path, mo);
  while (true) {
    THAW_ASSIGN_OR_RETURN(std::optional<restore::ManifestEntry> e, reader.Next());
    if (!e) return Status::Ok();
  }
}

restore::InventorySelector MakeSelector(const RestoreFlags& f, const std::string& prefix) {
  restore::InventorySelector sel;
  sel.prefix = prefix;
  sel.include = f.include;
  sel.exclude = f.exclude;
  for (const std::string& c : f.storage_classes) {
    for (const std::string& one : Split(c, ',')) {
      if (!one.empty()) sel.storage_classes.push_back(one);
    }
  }
  if (auto n = restore::ParseSize(f.min_size)) sel.min_size = *n;
  if (auto d = ParseDuration(f.older_than)) sel.modified_before = Clock::Real().Now() - *d;
  return sel;
}

Status FeedManifest(const std::string& path, restore::ManifestOptions mo, const AddObject& add) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::InvalidArgument("--manifest " + path + ": cannot open");
  restore::ManifestReader reader(in, path, mo);
  while (true) {
    THAW_ASSIGN_OR_RETURN(std::optional<restore::ManifestEntry> e, reader.Next());
    if (!e) return Status::Ok();
    add(e->object, std::nullopt);
  }
}

// Archived entries without RestoreStatus are taken as not restored unless the endpoint may have
// left it out (list.h asks once whether it sends RestoreStatus) and the user asked for a HEAD
// first (`check_restored`). Intelligent-Tiering entries are always HEADed for their tier.
Status FeedPrefix(s3::S3Client& client, const S3Uri& uri, bool check_restored,
                  const restore::InventorySelector& selector, const AddObject& add) {
  s3::ListObjectsRequest req;
  req.bucket = uri.bucket;
  req.prefix = uri.key;
  s3::ObjectLister lister(client, req, /*probe=*/check_restored);
  s3::ListObjectsPage page;
  while (true) {
    THAW_ASSIGN_OR_RETURN(bool more, lister.Next(&page));
    if (!more) return Status::Ok();
    for (const s3::ObjectSummary& o : page.objects) {
      if (!selector.Matches(restore::RowFromListing(uri.bucket, o))) continue;
      std::optional<s3::ObjectInfo> known;
      if (lister.Complete(o) || (!check_restored && o.storage_class != s3::kIntelligentTiering)) {
        known = s3::ObjectInfoFromSummary(uri.bucket, o);
      }
      add({uri.bucket, o.key, ""}, std::move(known));
    }
  }
}

int ExitCode(const restore::ProgressCounts& c, bool timed_out) {
  if (c.failed > 0) return kExitPartial;
  auto over = c.skipped_by_reason.find(std::string(ReasonName(restore::Reason::kOverBudget)));
  if (over != c.skipped_by_reason.end() && over->second > 0) return kExitBudget;
  if (timed_out) return kExitTimeout;
  return kExitOk;
}

int RunRestore(const GlobalFlags& globals, const RestoreFlags& f) {
  std::optional<s3::RestoreTier> tier;
  if (Status s = Validate(f, &tier); !s.ok()) return ReportError(s);
  S3Uri uri;
  if (!f.uri.empty()) {
    auto u = ParseS3Uri(f.uri);
    if (!u.ok()) return ReportError(u.status());
    uri = *u;
    if (!f.recursive && f.inventory.empty() && (uri.key.empty() || EndsWith(uri.key, "/"))) {
      return ReportError(Status::InvalidArgument(
          "'" + f.uri + "' names a prefix, not an object; add --recursive to restore under it"));
    }
  }
  restore::ManifestOptions mo{.decode_keys = !f.raw_keys};
  if (!f.manifest.empty()) {
    if (Status s = CheckManifest(f.manifest, mo); !s.ok()) return ReportError(s);
  }
  restore::InventorySelector selector = MakeSelector(f, uri.key);
  std::unique_ptr<restore::InventoryReport> report;
  std::unique_ptr<s3::S3Client> report_client;
  if (!f.inventory.empty()) {
    // The whole report is read once (every MD5, every gzip stream, every row) before anything
    // is journaled: a damaged report changes nothing.
    auto c = MakeClient(globals);
    if (!c.ok()) return ReportError(c.status());
    report_client = std::move(*c);
    auto r = restore::InventoryReport::Open(
        f.inventory, report_client.get(), uri.bucket,
        (std::filesystem::temp_directory_path() / ("thaw-inventory-" + std::to_string(getpid())))
            .string());
    if (!r.ok()) return ReportError(r.status());
    report = std::move(*r);
    Status checked = restore::FeedInventory(
        *report, selector, f.check_restored,
        [](const restore::ObjectRef&, std::optional<s3::ObjectInfo>) {}, nullptr);
    if (!checked.ok()) return ReportError(checked);
  }
  auto config = LoadConfig(globals);
  if (!config.ok()) return ReportError(config.status());

  restore::EngineOptions eo;
  eo.limits = config->limits_set ? config->limits : restore::Limits{};
  // A bulk restore is latency-bound (each request waits for its journal commit and S3's
  // answer): more in flight than a mount needs, unless the config file or a flag says.
  if (!config->limits_set) eo.limits.max_concurrency = kBulkConcurrency;
  if (Status s = ApplyLimitFlags(f, &eo.limits); !s.ok()) return ReportError(s);
  // What to restore, in one place for direct calls and Batch Operations: the report's rows, the
  // manifest's lines, the listing under the prefix (both through the selectors), or one object.
  SelectionFeed feed = [&](s3::S3Client& client, const AddObject& add) -> Status {
    if (report) return restore::FeedInventory(*report, selector, f.check_restored, add, nullptr);
    if (!f.manifest.empty()) return FeedManifest(f.manifest, mo, add);
    if (f.recursive) return FeedPrefix(client, uri, f.check_restored, selector, add);
    add({uri.bucket, uri.key, f.version_id}, std::nullopt);
    return Status::Ok();
  };
  if (f.via == "batch-operations" && !f.dry_run) {
    BatchRestoreArgs a{.feed = feed,
                       .uri = f.uri,
                       .recursive = f.recursive,
                       .manifest = f.manifest,
                       .tier = tier,
                       .days = f.days,
                       .role_arn = f.role_arn,
                       .report = f.report,
                       .account_id = f.account_id,
                       .poll_interval = ParseDuration(f.poll_interval),
                       .json = f.json,
                       .quiet = f.quiet};
    return RunBatchRestore(globals, *config, eo.limits, a);
  }
  if (auto p = ParseDuration(f.poll_interval)) {
    eo.max_poll_interval = *p;
    eo.min_poll_interval = std::min(eo.min_poll_interval, *p);
  }
  // A dry run must send nothing: the observer engine does not resume what an earlier run left.
  eo.mode =
      f.dry_run ? restore::EngineOptions::Mode::kObserver : restore::EngineOptions::Mode::kActive;
  // Without --wait nobody here waits for a restore to finish: polling them would only spend
  // requests while the rest is sent.
  eo.track_in_flight = f.wait;
  eo.adapt_concurrency = true;  // a bulk sender: as many in flight as answer faster
  auto progress = std::make_shared<restore::RestoreProgress>(f.wait);
  eo.on_change = [progress](const restore::RestoreRecord& r) { progress->Observe(r); };
  auto setup = OpenEngineFor(globals, *config, eo);
  if (!setup.ok()) return ReportError(setup.status());

  restore::BulkOptions bo;
  bo.submit.source = restore::Source::kCli;
  bo.submit.tier = tier;
  bo.submit.days = f.days;
  bo.submit.wait_for_budget = f.wait_for_budget;
  bo.dry_run = f.dry_run;
  int workers = eo.limits.max_concurrency > 0 ? eo.limits.max_concurrency : 64;
  bo.plan_threads = std::min(workers, 32);
  bo.window = std::max(64, 4 * workers);

  ProgressDisplay display(*progress, isatty(STDERR_FILENO) == 1,
                          std::chrono::seconds(std::max(1, f.progress_interval_s)));
  if (!f.quiet) display.Start();

  std::optional<Clock::TimePoint> deadline;
  if (auto t = ParseDuration(f.timeout)) deadline = Clock::Real().Now() + *t;
  Status fed;
  Status finished;
  {
    restore::BulkRestore bulk(*setup->engine, *progress, Clock::Real(), bo);
    fed = feed(*setup->client,
               [&bulk](const restore::ObjectRef& o, std::optional<s3::ObjectInfo> known) {
                 bulk.Add(o, std::move(known));
               });
    finished = bulk.Finish(deadline);
  }
  int concurrency = setup->engine->Stats().restore_concurrency;
  setup->engine->Shutdown();
  display.Stop();

  bool timed_out = finished.code() == StatusCode::kDeadlineExceeded;
  restore::ProgressCounts c = progress->Counts();
  RunInfo info{f.dry_run, timed_out, tier, f.days};
  if (!f.dry_run) info.restore_concurrency = concurrency;
  if (f.json) {
    std::cout << JsonText(SummaryJson(c, progress->DryRunSummary(), info)) << "\n";
  } else {
    std::cout << SummaryText(c, progress->DryRunSummary(), info);
    if (f.dry_run && f.via != "direct") {
      // Above the threshold a job costs little next to the restores and spares a day of calls.
      uint64_t objects = static_cast<uint64_t>(std::max<int64_t>(0, c.requested));
      bool above = f.via == "batch-operations" || objects >= f.batch_threshold;
      std::cout << BatchProposalText(objects, f.batch_threshold, above);
    }
  }
  std::cout.flush();
  if (!fed.ok()) return ReportError(fed, uri.bucket.empty() ? "" : uri.ToString());
  return ExitCode(c, timed_out);
}

}  // namespace

void RegisterRestore(CLI::App& app, GlobalFlags& globals) {
  auto f = std::make_shared<RestoreFlags>();
  CLI::App* cmd = app.add_subcommand(
      "restore", "restore archived objects (one key, a prefix with --recursive, or a manifest)");
  cmd->add_option("uri", f->uri, "s3://BUCKET/KEY, or s3://BUCKET/PREFIX with --recursive");
  cmd->add_flag("--recursive,-r", f->recursive, "restore every archived object under the prefix");
  cmd->add_option("--manifest", f->manifest,
                  "CSV of bucket,key[,version_id] (S3 Batch Operations format, keys URL-encoded)");
  cmd->add_flag("--raw-keys", f->raw_keys, "manifest keys are not URL-encoded");
  cmd->add_option("--inventory", f->inventory,
                  "an S3 Inventory report (CSV) as the object list: its manifest.json, local or "
                  "s3://BUCKET/KEY; an s3://BUCKET[/PREFIX] argument must name its source bucket");
  cmd->add_option("--include", f->include,
                  "only keys starting with this prefix or matching this glob (*, **, ?); "
                  "repeatable");
  cmd->add_option("--exclude", f->exclude, "leave out keys with this prefix or glob; repeatable");
  cmd->add_option("--storage-class", f->storage_classes,
                  "only these storage classes (GLACIER, DEEP_ARCHIVE, ...); repeatable or "
                  "comma-separated");
  cmd->add_option("--min-size", f->min_size, "only objects of at least this size (e.g. 1MiB)");
  cmd->add_option("--older-than", f->older_than,
                  "only objects last modified longer ago than this (e.g. 30d, 12h)");
  cmd->add_option("--version-id", f->version_id, "a specific version of a single object");
  cmd->add_option("--tier", f->tier, "Expedited, Standard or Bulk (overrides the policy)");
  cmd->add_option("--days", f->days, "days to keep the restored copy (overrides the policy)");
  cmd->add_flag("--dry-run", f->dry_run,
                "count objects, bytes and estimated cost per class and tier; send nothing");
  cmd->add_flag("--wait", f->wait, "wait until every restore has finished (or --timeout)");
  cmd->add_option("--timeout", f->timeout, "give up waiting after this long (90s, 15m, 2h, 1d)");
  cmd->add_option("--poll-interval", f->poll_interval,
                  "check running restores at least this often (default: by tier, from ~1 min "
                  "for Expedited to hours for Bulk)");
  cmd->add_option("--concurrency", f->concurrency,
                  "S3 calls in flight at once (default 64; [limits] concurrency in the config "
                  "file)");
  cmd->add_option("--max-rate", f->max_rate,
                  "most RestoreObject calls per second (default 3500, S3's capacity per "
                  "prefix; the rate adapts below it, slowing on 503 SlowDown; 0: no ceiling)");
  cmd->add_option("--daily-budget-usd", f->daily_budget_usd,
                  "refuse restores once the day's estimated cost would pass this");
  cmd->add_option("--daily-budget-bytes", f->daily_budget_bytes,
                  "refuse restores once the day's restored bytes would pass this (e.g. 10TiB)");
  cmd->add_flag("--wait-for-budget", f->wait_for_budget,
                "over budget: wait for the next UTC day instead of refusing");
  cmd->add_flag("--check-restored", f->check_restored,
                "HEAD each archived object first where neither the listing nor the inventory "
                "report says whether a restored copy exists (endpoints whose listings lack "
                "RestoreStatus, --inventory): two requests per object, but a copy restored by "
                "someone else keeps its expiry (RestoreObject on it answers 200 and sets the "
                "expiry to now + Days)");
  // The opt-out of the former default (a HEAD first); blind is the default now.
  cmd->add_flag("--assume-not-restored", f->assume_not_restored)->group("");
  cmd->add_option("--via", f->via,
                  "auto (direct calls; --dry-run proposes S3 Batch Operations above "
                  "--batch-threshold), direct, or batch-operations (one S3 Batch Operations job)")
      ->capture_default_str();
  cmd->add_option("--batch-threshold", f->batch_threshold,
                  "objects from which --via auto proposes S3 Batch Operations")
      ->capture_default_str();
  cmd->add_option("--role-arn", f->role_arn,
                  "IAM role S3 Batch Operations assumes (--via batch-operations)");
  cmd->add_option("--report", f->report,
                  "s3://BUCKET/PREFIX for the job's manifest and completion report (default: "
                  "the restored bucket, thaw-batch/)");
  cmd->add_option("--account-id", f->account_id,
                  "AWS account of the job (default: STS GetCallerIdentity)");
  cmd->add_flag("--json", f->json, "print the summary as one JSON object");
  cmd->add_flag("--quiet,-q", f->quiet, "no progress output");
  cmd->add_option("--progress-interval", f->progress_interval_s,
                  "seconds between progress lines when stderr is not a terminal")
      ->capture_default_str();
  cmd->final_callback([&globals, f] { throw CLI::RuntimeError(RunRestore(globals, *f)); });
}

}  // namespace thaw::cli
