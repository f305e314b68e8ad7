// The log scanner behind `thaw scan`: reads CloudTrail log files or S3 server access logs from a
// local directory or an S3 prefix, and dispatches what they say (dispatch.h), to catch the
// failed reads that no EventBridge rule saw (the rule was not deployed yet, events were lost).
//
// Files: every regular file under the directory (recursively) or every object under the
// prefix, oldest first; CloudTrail digest files (".../CloudTrail-Digest/...") are skipped. A
// file last modified before `since` is skipped. Format: kCloudTrail reads {"Records":[...]}
// files, kAccessLog access log lines, kAuto lets ParseMessage decide per file; gzip is inflated
// in every case.
//
// Checkpoint: a file whose events were dispatched (journaled) is appended to the checkpoint
// file (one line: name, size, and the ETag or mtime; flushed and fsynced per file), and a rerun
// skips every file listed there. A file that could not be read is reported and not
// checkpointed, so the next run tries it again; one with malformed records (a relevant record
// thaw could not read) is dispatched for its good records, reported, and checkpointed.
//
// Thread safety: one scan at a time per checkpoint file.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "events/dispatch.h"
#include "restore/engine.h"
#include "s3/client.h"

namespace thaw::events {

enum class LogFormat { kAuto, kCloudTrail, kAccessLog };
Result<LogFormat> ParseLogFormat(std::string_view name);  // "auto", "cloudtrail", "access-log"

struct ScanOptions {
  std::string source;  // s3://BUCKET/PREFIX or a local directory (or a single file)
  std::optional<Clock::TimePoint> since;
  LogFormat format = LogFormat::kAuto;
  std::string checkpoint_path;  // empty: no checkpoint
  DispatchOptions dispatch;
  // Called after each file's events were dispatched (hooks subscribe to its handles).
  std::function<void(const DispatchOutcome&)> on_dispatched;
};

struct ScanSummary {
  uint64_t files_seen = 0;
  uint64_t files_read = 0;
  uint64_t files_already_done = 0;  // in the checkpoint
  uint64_t files_too_old = 0;       // before --since
  uint64_t files_failed = 0;        // unreadable (not checkpointed); see failures
  uint64_t files_malformed = 0;     // read, but with malformed records; see failures
  uint64_t records = 0;
  uint64_t restores_submitted = 0;
  uint64_t completions = 0;
  uint64_t ignored = 0;
  std::vector<std::string> failures;  // "name: reason", at most 100
  // Handles of the restores submitted (for waiting until they are sent).
  std::vector<std::shared_ptr<restore::RestoreHandle>> handles;
};

// `client` is needed for s3:// sources only. Returns an error when the source cannot be listed
// or the engine refuses work (the checkpoint then holds what was finished).
Result<ScanSummary> ScanLogs(const ScanOptions& options, s3::S3Client* client,
                             restore::Engine& engine);

}  // namespace thaw::events
