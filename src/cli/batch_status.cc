// The jobs section of `thaw status`: one line per S3 Batch Operations job thaw created, with
// AWS's status and task counts as last seen by the `thaw restore` that follows it.
#include <fmt/format.h>

#include "cli/batch_restore.h"
#include "common/terminal_escape.h"
#include "common/time_format.h"

namespace thaw::cli {

std::string BatchJobsTable(const std::vector<restore::BatchJobRecord>& jobs) {
  if (jobs.empty()) return "";
  std::string out = "\nS3 Batch Operations jobs:\n";
  out += fmt::format("{:<38} {:<10} {:<10} {:>10} {:>10} {:>8}  {}\n", "JOB", "STEP", "STATUS",
                     "OBJECTS", "DONE", "FAILED", "SELECTION");
  for (const auto& j : jobs) {
    std::string id = j.job_id.empty() ? "(not created)" : j.job_id;
    out += fmt::format("{:<38} {:<10} {:<10} {:>10} {:>10} {:>8}  {}\n", id,
                       restore::BatchStepName(j.step), j.aws_status.empty() ? "-" : j.aws_status,
                       j.objects, j.succeeded + j.failed, j.failed, EscapeForTerminal(j.selection));
    if (!j.error.empty()) out += "  error: " + EscapeForTerminal(j.error) + "\n";
  }
  return out;
}

nlohmann::json BatchJobJson(const restore::BatchJobRecord& j) {
  nlohmann::json out = {{"job_id", j.job_id},
                        {"token", j.token},
                        {"step", restore::BatchStepName(j.step)},
                        {"status", j.aws_status},
                        {"selection", j.selection},
                        {"objects", j.objects},
                        {"bytes", j.bytes},
                        {"estimated_cost_usd", j.cost_usd},
                        {"tasks_succeeded", j.succeeded},
                        {"tasks_failed", j.failed},
                        {"manifest", "s3://" + j.manifest_bucket + "/" + j.manifest_key},
                        {"report", "s3://" + j.report_bucket + "/" + j.report_prefix},
                        {"created_at", FormatIso8601(j.created_at)},
                        {"updated_at", FormatIso8601(j.updated_at)}};
  if (!j.error.empty()) out["error"] = j.error;
  return out;
}

}  // namespace thaw::cli
