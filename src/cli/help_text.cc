// The long description of each command: shown at the end of `thaw COMMAND --help` (CLI11
// footer), as the DESCRIPTION of its man page and at the top of docs/reference/thaw-COMMAND.md.
// The options themselves are described where they are defined (src/cli/*_command.cc). Format:
// doc_text.h (paragraphs, "- " items, examples indented by four spaces, `code`). The user guide in
// docs/ goes further; these texts say what a command does, its main rules and an example.
#include <map>

#include "cli/doc_gen.h"

namespace thaw::cli {
namespace {

const std::map<std::string, const char*>& Texts() {
  static const auto* texts = new std::map<std::string, const char*>{
      {"", R"(thaw makes data archived in S3 Glacier usable again: a FUSE mount that restores
archived files when they are opened, a restore engine (policy, de-duplication, a crash-safe
journal, daily budgets, cost estimates), event-driven restores from CloudTrail, EventBridge and
S3 notifications, and `thaw sim`, a local S3 endpoint with archive tiers. Every command works
against AWS, thaw sim, moto or MinIO (`--endpoint-url`).

Credentials come from the environment, the profile (`--profile`, assumed roles, web identity,
`credential_process`), container credentials or EC2 instance metadata, in that order. The
restore policy is a TOML file (`--config`); the journal lives in `--state-dir` and is shared by
every thaw process using it.

Exit status:

- 0 success; for `thaw restore`: every object was restored, accepted by S3, or skipped as
  readable or denied
- 1 the operation failed (S3 error, network error, a listing that broke off)
- 2 bad usage or bad input (bad URI or flag, malformed manifest or config)
- 3 not found (`thaw stat` of a missing key, a missing bucket)
- 4 partial failure: some objects or files failed
- 5 budget refusal: some objects were refused by the daily byte or cost budget
- 6 `--wait`/`--timeout` ran out before every restore finished (they go on in S3))"},

      {"ls", R"(Lists objects with their storage class and restore state. Without `--recursive`
it shows one level (sub-prefixes as `PRE dir/`). The restore state comes from the listing's
`RestoreStatus` when the endpoint returns it, else from one HEAD per archived object.

With `--json`, one object per line: `key`, `size`, `storage_class`, `restore` (`none`,
`ongoing`, `restored`, or null for objects readable without a restore) and `restore_expiry`.

    thaw ls s3://lab/runs/2023 --recursive)"},

      {"stat", R"(Shows one object's HeadObject answer: size, storage class, restore state and
expiry, ETag, and its user metadata (including FSx for Lustre's POSIX keys). `--json` prints
the `ls` fields plus `bucket`, `etag`, `last_modified`, `archive_status`, `version_id` and
`metadata`. A missing key exits with 3.)"},

      {"sim", R"(An S3-compatible HTTP server on local disk whose archived objects behave as on
AWS: GLACIER, DEEP_ARCHIVE and Intelligent-Tiering archive-tier objects answer GET with 403
`InvalidObjectState` until restored; RestoreObject answers 202, then 409 while the restore runs,
then 200; restores take the times AWS publishes divided by `--time-scale`, and restored copies
expire after Days. Requests are SigV4-verified (default keys `thawsim` / `thawsimsecret`) unless
`--anonymous`. It can inject faults, refuse Expedited restores, apply lifecycle transitions, and
write what AWS would emit (CloudTrail logs, EventBridge events, S3 notifications, access logs)
to `--events-dir` or an SQS queue.

The first line printed is the address, credentials and region. `--listen 127.0.0.1:0` picks a
free port; a host left out means 127.0.0.1.

    thaw sim --listen 127.0.0.1:9000 --time-scale 3600 --data-dir /var/tmp/sim)"},

      {"restore", R"(Restores archived objects (GLACIER, DEEP_ARCHIVE, Intelligent-Tiering
archive tiers) through the restore engine: the policy (`--config`) decides tier and Days, each
request is written to the journal before it is sent, S3's 409 (already running) counts as
success, and objects that are readable, already restored or being restored get no request.
DEEP_ARCHIVE never gets Expedited; Intelligent-Tiering requests carry no Days.

Running it again is cheap and safe: what the journal left unfinished resumes and nothing S3
accepted is sent again. `--dry-run` prints counts, bytes and the estimated cost per class and
tier and sends nothing. Progress goes to stderr, the summary to stdout (`--json`: one object).

    thaw restore s3://lab/runs/2023 --recursive --tier Bulk --days 3 --dry-run
    thaw restore --manifest objects.csv --wait --timeout 12h)"},

      {"status", R"(Shows what the journal knows about restores, from any thaw process (`source`:
`cli`, `mount`, `event`): state, tier, days, when requested, ETA or expiry. It reads the journal
without resuming or sending anything, so it is safe next to a running `thaw restore`.
`--refresh` HEADs the requests still in flight and updates them; `--watch` redraws until
Ctrl-C. `--json` prints one object per line.)"},

      {"demo", R"(What `./scripts/demo` runs after building: starts `thaw sim` in a temporary
directory with time running faster, creates a bucket with hot, GLACIER and DEEP_ARCHIVE files,
mounts it read-only with `thaw mount`, and runs `ls`, `cat`, `getfattr`, a non-blocking read
(EAGAIN, the restore starts), a blocking `sha256sum` that waits for the restore, and `thaw
status`, printing each command with its real output. Then it unmounts and cleans up. The exit
code is 0 only if every step behaved as shown. Needs root (or FUSE rights) and /dev/fuse.)"},

      {"lambda", R"(The AWS Lambda custom runtime (`provided.al2023`) that the function zip's
`bootstrap` runs: it implements the Runtime API loop (`AWS_LAMBDA_RUNTIME_API`) and hands each
event to the restore engine. An SQS batch is answered with `batchItemFailures` naming the
messages to redeliver; a direct EventBridge event or S3/SNS notification with a count, or an
invocation error. A message counts as done only once S3 has answered its RestoreObject.

Configuration comes from the environment: `THAW_CONFIG_TOML` or `THAW_CONFIG` (the policy),
`THAW_STATE_DIR` (default /tmp/thaw), `THAW_LOG_LEVEL`, `THAW_LOG_FORMAT` (`text` or `json`),
`THAW_ON_RESTORED_EXEC`, `THAW_ON_RESTORED`, `THAW_MAP`, and Lambda's own `AWS_REGION` and
credentials. Outside Lambda it exits with 2.)"},

      {"serve", R"(The event consumer: long-polls an SQS queue and restores what its messages ask
for, through the same engine as `thaw restore` (policy, budgets, de-duplication, journal). A
message may be an EventBridge "AWS API Call via CloudTrail" event (a GetObject or HeadObject
that failed with `InvalidObjectState` becomes a restore), an S3 restore notification or its
EventBridge form ("Object Restore Completed" completes tracking), either inside an SNS
envelope, or a CloudTrail log file. Duplicates and replays are harmless.

A message is deleted only after every restore it asked for is in the journal; a message that
cannot be read goes to `--dead-letter-url` with the reason. SIGTERM or SIGINT finish the batch
in hand and exit 0. `--metrics-listen` serves Prometheus metrics on /metrics and a health check
on /healthz.

    thaw serve --queue-url https://sqs.eu-west-1.amazonaws.com/111122223333/thaw-events \
        --metrics-listen 127.0.0.1:9464 --log-format json)"},

      {"scan", R"(Reads CloudTrail log files (gzip or plain), S3 server access logs and JSON lines
of events from an S3 prefix or a local directory, and restores the archived objects whose reads
failed with `InvalidObjectState`: the failures no EventBridge rule saw. Files are read oldest
first; a checkpoint in the state dir lists the files done, so a rerun reads only new ones (run
it from cron). A file that cannot be read is reported and read again next time; either that or
malformed records make the exit code 4.

    thaw scan s3://trail-logs/AWSLogs/111122223333/CloudTrail/ --since 7d)"},

      {"mount", R"(Every object under the prefix becomes a file, including those lifecycle rules
sent to Glacier: `stat` and `ls -l` never restore; `open()` of an archived file submits a
restore to the engine (the policy picks tier and days; one RestoreObject however many processes
open it; journaled, so `thaw status` shows it) and then:

- a blocking open waits, without holding a FUSE thread, and succeeds once the restore completes
- an `O_NONBLOCK` open, or any open with `--archived fail`, fails with EAGAIN at once
- past `--restore-timeout` the open fails with ETIMEDOUT, a signal gives EINTR; the restore goes
  on either way
- a policy `deny` gives EACCES, a refused budget EAGAIN, a failed restore EIO

Extended attributes show the state: `user.thaw.storage_class`, `user.thaw.restore` (`none`,
`ongoing`, `restored until DATE`), `user.thaw.etag`; setting `user.thaw.restore` to `request`
starts a restore without opening the file. Reads use a prefetch window of parallel ranged GETs;
writes are buffered and uploaded on close (multipart from 64 MiB).

By default the command daemonizes and returns once the mount is live, printing `mounted ...`;
what would stop the mount is reported before it returns (missing bucket 3, no access 1, missing
mount point 2). `--metrics-listen` serves Prometheus metrics on /metrics.

    thaw mount s3://lab/runs /mnt/runs --cache-dir /var/cache/thaw --metrics-listen :9465)"},

      {"unmount", R"(Unmounts a thaw mount (`umount2` as root, `fusermount3 -u` otherwise). Opens
still waiting for a restore fail with EIO; the journal keeps their restores. `umount` and
`fusermount3 -u` work too.)"},

      {"completion", R"(Prints a completion script for bash or zsh to stdout. The package installs
the bash one; to load it by hand:

    source <(thaw completion bash)
    thaw completion zsh > "${fpath[1]}/_thaw")"},
  };
  return *texts;
}

}  // namespace

const char* LongHelp(const std::string& command) {
  auto it = Texts().find(command);
  return it == Texts().end() ? "" : it->second;
}

void ApplyHelpText(CLI::App& root) {
  if (root.get_footer().empty()) root.footer(LongHelp(""));
  for (CLI::App* sub : root.get_subcommands([](CLI::App*) { return true; })) {
    if (sub->get_footer().empty()) sub->footer(LongHelp(sub->get_name()));
  }
}

}  // namespace thaw::cli
