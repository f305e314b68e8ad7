// `thaw restore ... --via batch-operations`: the flags that reach restore::BatchRestore, the
// S3 Control client and account id it needs, progress lines and the summary.
#pragma once

#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/context.h"
#include "restore/batch_journal.h"
#include "restore/policy.h"
#include "restore/record.h"
#include "s3/client.h"
#include "s3/types.h"

namespace thaw::cli {

// Hands every selected object (with what a listing or report already says of it) to `add`.
using AddObject = std::function<void(const restore::ObjectRef&, std::optional<s3::ObjectInfo>)>;
using SelectionFeed = std::function<Status(s3::S3Client& client, const AddObject& add)>;

struct BatchRestoreArgs {
  SelectionFeed feed;  // the selection, shared with the direct path
  std::string uri;     // s3://BUCKET/KEY or s3://BUCKET/PREFIX with recursive
  bool recursive = false;
  std::string manifest;  // local CSV of bucket,key instead of uri
  std::optional<s3::RestoreTier> tier;
  std::optional<int> days;
  std::string role_arn;
  std::string report;  // s3://BUCKET/PREFIX, "" for the default
  std::string account_id;
  std::optional<std::chrono::seconds> poll_interval;
  bool json = false;
  bool quiet = false;
};

// Runs the batch restore; returns the exit code (errors already reported).
int RunBatchRestore(const GlobalFlags& globals, const restore::PolicyConfig& config,
                    const restore::Limits& limits, const BatchRestoreArgs& args);

// Batch Operations' fees for `objects` objects in one job, for --dry-run's proposal.
std::string BatchProposalText(uint64_t objects, uint64_t threshold, bool above);

// `thaw status`: the jobs table, newest first (batch_status.cc).
std::string BatchJobsTable(const std::vector<restore::BatchJobRecord>& jobs);
nlohmann::json BatchJobJson(const restore::BatchJobRecord& job);

}  // namespace thaw::cli
