// `thaw restore --via batch-operations` (see batch_restore.h): wires the observer engine (the
// policy's decisions), the journal, the jobs table and the S3 Control client into a
// restore::BatchRestore, feeds it the selected objects, prints progress and the summary.
#include "cli/batch_restore.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "cli/engine_setup.h"
#include "cli/output.h"
#include "common/s3_uri.h"
#include "common/strings.h"
#include "common/terminal_escape.h"
#include "restore/batch.h"
#include "restore/cost.h"
#include "restore/manifest.h"
#include "s3/config.h"
#include "s3/list.h"
#include "s3/s3control_client.h"

namespace thaw::cli {
namespace {

std::string Selection(const BatchRestoreArgs& a) {
  std::string s = a.manifest.empty() ? a.uri : "manifest:" + a.manifest;
  if (a.recursive) s += " --recursive";
  if (a.tier) s += " tier=" + std::string(s3::RestoreTierName(*a.tier));
  if (a.days) s += " days=" + std::to_string(*a.days);
  return s;
}

// STS for GetCallerIdentity: AWS_ENDPOINT_URL_STS, else the S3 endpoint override (thaw sim and
// moto serve STS on the same port), else AWS's regional endpoint.
std::string StsEndpoint(const s3::ClientConfig& config, const s3::EnvLookup& env) {
  if (auto v = env("AWS_ENDPOINT_URL_STS"); v && !v->empty()) return *v;
  if (auto v = env("AWS_ENDPOINT_URL"); v && !v->empty()) return *v;
  return config.endpoint_url;
}

nlohmann::json SummaryJson(const restore::BatchCounts& c) {
  nlohmann::json skipped = nlohmann::json::object();
  for (const auto& [reason, n] : c.skipped) skipped[reason] = n;
  return {{"via", "batch-operations"},
          {"jobs", c.job_ids},
          {"objects", c.selected},
          {"bytes", c.bytes},
          {"estimated_cost_usd", c.cost_usd},
          {"skipped", skipped},
          {"plan_failed", c.plan_failed},
          {"tasks_succeeded", c.succeeded},
          {"tasks_failed", c.failed},
          {"in_progress", c.rows_in_progress},
          {"failed", c.rows_failed}};
}

std::string SummaryText(const restore::BatchCounts& c) {
  std::string out = "S3 Batch Operations: " + std::to_string(c.jobs) + " job(s)";
  for (const std::string& id : c.job_ids) out += " " + id;
  out += "\n  selected     " + std::to_string(c.selected) + " objects, " + std::to_string(c.bytes) +
         " bytes, estimated $" + fmt::format("{:.2f}", c.cost_usd) +
         " (restores and Batch Operations fees)\n";
  for (const auto& [reason, n] : c.skipped) {
    out += "  skipped      " + std::to_string(n) + " (" + reason + ")\n";
  }
  if (c.plan_failed) out += "  undecided    " + std::to_string(c.plan_failed) + " (HEAD failed)\n";
  out += "  tasks        " + std::to_string(c.succeeded) + " succeeded, " +
         std::to_string(c.failed) + " failed\n";
  out += "  journal      " + std::to_string(c.rows_in_progress) + " restores in progress, " +
         std::to_string(c.rows_failed) + " failed\n";
  return out;
}

}  // namespace

std::string BatchProposalText(uint64_t objects, uint64_t threshold, bool above) {
  std::string fees = fmt::format("${:.2f}", restore::BatchOperationsFeeUsd(1, objects));
  if (!above) {
    return "via: direct RestoreObject calls (" + std::to_string(objects) + " objects, below " +
           "--batch-threshold " + std::to_string(threshold) + "; S3 Batch Operations would add " +
           fees + " in fees)\n";
  }
  return "via: proposed S3 Batch Operations (" + std::to_string(objects) +
         " objects, at least --batch-threshold " + std::to_string(threshold) + "): one job, fees " +
         fees + " on top of the restores; run again with --via batch-operations --role-arn ARN\n";
}

int RunBatchRestore(const GlobalFlags& globals, const restore::PolicyConfig& config,
                    const restore::Limits& limits, const BatchRestoreArgs& a) {
  if (a.role_arn.empty()) {
    return ReportError(Status::InvalidArgument(
        "--via batch-operations needs --role-arn ARN: the IAM role S3 Batch Operations assumes "
        "(deploy/batch-operations-role.yaml creates one)"));
  }
  std::string report_bucket, report_prefix;
  if (!a.report.empty()) {
    auto r = ParseS3Uri(a.report);
    if (!r.ok()) return ReportError(r.status(), "--report");
    report_bucket = r->bucket;
    report_prefix = r->key;
  }
  restore::EngineOptions eo;
  eo.limits = limits;
  eo.mode = restore::EngineOptions::Mode::kObserver;  // decides only; jobs do the restoring
  auto setup = OpenEngineFor(globals, config, eo);
  if (!setup.ok()) return ReportError(setup.status());
  auto journal = restore::Journal::Open(setup->state_dir);
  if (!journal.ok()) return ReportError(journal.status());
  auto jobs = restore::BatchJobStore::Open(setup->state_dir);
  if (!jobs.ok()) return ReportError(jobs.status());

  s3::EnvLookup env = s3::ProcessEnv();
  auto client_config = s3::ResolveClientConfig(globals.s3, env);
  if (!client_config.ok()) return ReportError(client_config.status());
  std::shared_ptr<s3::HttpTransport> transport = s3::MakeCurlTransport(client_config->transport);
  auto credentials = MakeCredentials(globals, env);
  std::string account_id = a.account_id;
  if (account_id.empty()) {
    auto id = s3::GetCallerIdentity(*transport, *credentials, client_config->region,
                                    StsEndpoint(*client_config, env), Clock::Real());
    if (!id.ok()) return ReportError(id.status(), "finding the account id (or give --account-id)");
    account_id = id->account;
  }
  s3::S3ControlConfig cc;
  cc.region = client_config->region;
  cc.endpoint_url = s3::ResolveS3ControlEndpoint(client_config->endpoint_url, env);
  cc.retry = client_config->retry;
  auto control = s3::MakeS3ControlClient(cc, credentials, Clock::Real(), transport);

  restore::BatchRequest req;
  req.selection = Selection(a);
  req.account_id = account_id;
  req.role_arn = a.role_arn;
  req.report_bucket = report_bucket;
  req.report_prefix = report_prefix;
  req.submit.tier = a.tier;
  req.submit.days = a.days;
  req.limits = limits;
  if (a.poll_interval) req.poll_interval = *a.poll_interval;
  restore::BatchRestore batch(*setup->engine, **journal, **jobs, *setup->client, *control,
                              Clock::Real(), setup->state_dir, req);
  auto resumable = batch.Resumable();
  if (!resumable.ok()) return ReportError(resumable.status());
  if (*resumable > 0) {
    if (!a.quiet) {
      std::cerr << "thaw: resuming " << *resumable
                << " Batch Operations job(s) of an earlier run\n";
    }
  } else if (Status s =
                 a.feed(*setup->client,
                        [&batch](const restore::ObjectRef& o, std::optional<s3::ObjectInfo> known) {
                          batch.Add(o, std::move(known));
                        });
             !s.ok()) {
    return ReportError(s, a.uri);
  }
  bool tty = isatty(STDERR_FILENO) == 1;
  std::string last;
  Status run = batch.Run([&](const restore::BatchProgress& p) {
    if (a.quiet) return;
    std::string line = fmt::format("job {} {}: {}/{} tasks, {} failed", p.job_id, p.status,
                                   p.succeeded + p.failed, p.total, p.failed);
    if (line == last) return;
    last = line;
    std::cerr << (tty ? "\r\033[K" : "") << EscapeForTerminal(line) << (tty ? "" : "\n");
    std::cerr.flush();
  });
  if (tty && !a.quiet && !last.empty()) std::cerr << "\n";
  setup->engine->Shutdown();
  const restore::BatchCounts& c = batch.counts();
  if (a.json) {
    std::cout << JsonText(SummaryJson(c)) << "\n";
  } else {
    std::cout << SummaryText(c);
  }
  std::cout.flush();
  if (!run.ok()) return ReportError(run, "S3 Batch Operations");
  if (c.rows_failed > 0 || c.plan_failed > 0) return kExitPartial;
  auto over = c.skipped.find("over_budget");
  if (over != c.skipped.end() && over->second > 0) return kExitBudget;
  return kExitOk;
}

}  // namespace thaw::cli
