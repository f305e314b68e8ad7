// How `thaw restore` and `thaw status` show restore progress and results: the live progress
// line (redrawn in place on a terminal, plain periodic lines otherwise), the final summary (a
// few lines for humans, one JSON object with --json), the dry run's table per class and tier,
// and journal records as JSON lines or a table.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "restore/progress.h"
#include "restore/record.h"

namespace thaw::cli {

// Draws RestoreProgress to stderr from its own thread until Stop().
class ProgressDisplay {
 public:
  // `tty`: redraw one line in place every ~200 ms; else print a plain line every
  // `plain_interval`.
  ProgressDisplay(const restore::RestoreProgress& progress, bool tty,
                  std::chrono::milliseconds plain_interval);
  ~ProgressDisplay();
  void Start();
  void Stop();  // idempotent; a terminal line is finished with a newline

 private:
  void Loop();
  std::string Line() const;

  const restore::RestoreProgress& progress_;
  const bool tty_;
  const std::chrono::milliseconds interval_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

struct RunInfo {
  bool dry_run = false;
  bool timed_out = false;
  std::optional<s3::RestoreTier> tier;
  std::optional<int> days;
  // RestoreObject calls the engine allowed in flight at the end (not for a dry run).
  std::optional<int> restore_concurrency;
};

// The summary object (--json): scanned, archived, requested, already_restored, ... (README).
nlohmann::json SummaryJson(const restore::ProgressCounts& c, const restore::CostSummary& dry_run,
                           const RunInfo& info);
// The same for humans (several lines, dry run with a table per class and tier).
std::string SummaryText(const restore::ProgressCounts& c, const restore::CostSummary& dry_run,
                        const RunInfo& info);

// One journal record: bucket, key, version_id, state, tier, days, requested_at, eta,
// restore_expiry, source, error (+ storage_class, size, note, updated_at).
nlohmann::json RecordJson(const restore::RestoreRecord& r);
// A table of records for humans, with a count per state at the end.
std::string RecordsTable(const std::vector<restore::RestoreRecord>& rows);

}  // namespace thaw::cli
