// `thaw status [s3://BUCKET[/PREFIX]] [--refresh] [--watch [SECONDS]] [--json]`: what the
// restore journal knows, read through an observer engine (no resume, no requests sent; safe
// next to a running `thaw restore` or mount). --refresh HEADs the requests still in flight and
// updates their rows; --watch redraws until Ctrl-C.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <thread>

#include "cli/batch_restore.h"
#include "cli/commands.h"
#include "cli/context.h"
#include "cli/engine_setup.h"
#include "cli/output.h"
#include "cli/restore_report.h"
#include "common/s3_uri.h"
#include "common/terminal_escape.h"

namespace thaw::cli {
namespace {

struct StatusFlags {
  std::string uri;
  bool json = false;
  bool refresh = false;
  bool in_flight = false;
  std::optional<int> watch_s;
  int concurrency = 8;
  bool jobs = false;  // only the S3 Batch Operations jobs
};

std::atomic<bool> g_interrupted{false};
extern "C" void OnInterrupt(int) {
  g_interrupted = true;
}

// HEADs every non-terminal row in parallel (a handful of threads: this is a read path).
void RefreshInFlight(restore::Engine& engine, const std::vector<restore::RestoreRecord>& rows,
                     int threads) {
  std::vector<restore::ObjectRef> todo;
  for (const auto& r : rows) {
    if (!restore::IsTerminal(r.state)) todo.push_back(r.object);
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (int i = 0; i < std::max(1, threads); ++i) {
    pool.emplace_back([&] {
      for (size_t k; (k = next++) < todo.size();) {
        auto r = engine.Refresh(todo[k]);
        if (!r.ok()) {
          // One write per line: threads share stderr.
          std::cerr << "thaw: refresh " + EscapeForTerminal(todo[k].ToString()) + ": " +
                           EscapeForTerminal(r.status().message()) + "\n";
        }
      }
    });
  }
  for (auto& t : pool) t.join();
}

// The jobs table (newest first), at most `limit` rows.
Result<std::vector<restore::BatchJobRecord>> BatchJobs(const std::string& state_dir, size_t limit) {
  THAW_ASSIGN_OR_RETURN(auto store, restore::BatchJobStore::Open(state_dir));
  THAW_ASSIGN_OR_RETURN(auto jobs, store->List());
  if (jobs.size() > limit) jobs.resize(limit);
  return jobs;
}

int ShowJobs(const std::string& state_dir, const StatusFlags& f, bool clear) {
  auto jobs = BatchJobs(state_dir, 1000);
  if (!jobs.ok()) return ReportError(jobs.status());
  if (clear) std::cout << "\033[H\033[2J";
  if (f.json) {
    for (const auto& j : *jobs) std::cout << JsonText(BatchJobJson(j)) << "\n";
  } else {
    std::cout << BatchJobsTable(*jobs);
  }
  std::cout.flush();
  return kExitOk;
}

int ShowOnce(restore::Engine& engine, const std::string& state_dir, const S3Uri& uri,
             const StatusFlags& f, bool clear) {
  if (f.jobs) return ShowJobs(state_dir, f, clear);
  auto rows = engine.List(uri.bucket, uri.key);
  if (!rows.ok()) return ReportError(rows.status());
  if (f.refresh) {
    RefreshInFlight(engine, *rows, f.concurrency);
    rows = engine.List(uri.bucket, uri.key);
    if (!rows.ok()) return ReportError(rows.status());
  }
  if (f.in_flight) {
    std::erase_if(*rows, [](const restore::RestoreRecord& r) { return IsTerminal(r.state); });
  }
  if (clear) std::cout << "\033[H\033[2J";  // home and clear: a redraw, like watch(1)
  if (f.json) {
    for (const auto& r : *rows) std::cout << JsonText(RecordJson(r)) << "\n";
  } else {
    std::cout << RecordsTable(*rows);
    // The latest jobs follow the rows (--jobs lists them all, and as JSON).
    if (auto jobs = BatchJobs(state_dir, 10); jobs.ok()) std::cout << BatchJobsTable(*jobs);
  }
  std::cout.flush();
  return kExitOk;
}

int RunStatus(const GlobalFlags& globals, const StatusFlags& f) {
  S3Uri uri;
  if (!f.uri.empty()) {
    auto u = ParseS3Uri(f.uri);
    if (!u.ok()) return ReportError(u.status());
    uri = *u;
  }
  if (f.watch_s && *f.watch_s < 1) {
    return ReportError(Status::InvalidArgument("--watch: the interval must be at least 1 s"));
  }
  auto config = LoadConfig(globals);
  if (!config.ok()) return ReportError(config.status());
  restore::EngineOptions eo;
  eo.mode = restore::EngineOptions::Mode::kObserver;
  if (config->limits_set) eo.limits = config->limits;
  auto setup = OpenEngineFor(globals, *config, eo);
  if (!setup.ok()) return ReportError(setup.status());
  if (!f.watch_s) return ShowOnce(*setup->engine, setup->state_dir, uri, f, false);

  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  bool tty = isatty(STDOUT_FILENO) == 1 && !f.json;
  while (!g_interrupted) {
    int rc = ShowOnce(*setup->engine, setup->state_dir, uri, f, tty);
    if (rc != kExitOk) return rc;
    // Short sleeps so Ctrl-C ends the watch at once.
    for (int i = 0; i < *f.watch_s * 10 && !g_interrupted; ++i) {
      Clock::Real().SleepFor(std::chrono::milliseconds(100));
    }
  }
  return kExitOk;
}

}  // namespace

void RegisterStatus(CLI::App& app, GlobalFlags& globals) {
  auto f = std::make_shared<StatusFlags>();
  CLI::App* cmd =
      app.add_subcommand("status", "show restores the journal knows (state, tier, ETA, expiry)");
  cmd->add_option("uri", f->uri, "s3://BUCKET[/PREFIX] to limit the list");
  cmd->add_flag("--json", f->json, "one JSON object per line");
  cmd->add_flag("--refresh", f->refresh, "HEAD the restores still in flight and update them");
  cmd->add_flag("--in-flight", f->in_flight, "only requests not yet finished");
  cmd->add_flag("--jobs", f->jobs,
                "only the S3 Batch Operations jobs (restore --via batch-operations)");
  cmd->add_option("--watch", f->watch_s, "redraw every SECONDS until Ctrl-C")
      ->expected(0, 1)
      ->default_str("5");
  cmd->add_option("--concurrency", f->concurrency, "HEADs in parallel for --refresh")
      ->capture_default_str();
  cmd->final_callback([&globals, f] { throw CLI::RuntimeError(RunStatus(globals, *f)); });
}

}  // namespace thaw::cli
