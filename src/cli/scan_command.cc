// `thaw scan`: reads CloudTrail or access log files (local or in S3) once and submits the
// restores they call for; the work is in src/events/log_scan.h. After the scan it waits (up to
// --timeout) until the restores it submitted have been sent, so that a cron job's run really
// asks S3 before it exits.
#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/engine_setup.h"
#include "cli/event_setup.h"
#include "cli/output.h"
#include "common/strings.h"
#include "common/terminal_escape.h"
#include "common/time_format.h"
#include "events/log_scan.h"

namespace thaw::cli {
namespace {

struct ScanFlags {
  std::string source;
  std::string since;
  std::string format = "auto";
  int timeout_seconds = 600;
  bool json = false;
  HookFlags hooks;
};

// "2026-01-31", "2026-01-31T12:00:00Z", or an age: "90m", "24h", "7d".
std::optional<Clock::TimePoint> ParseSince(const std::string& s) {
  if (s.empty()) return std::nullopt;
  if (auto t = ParseAnyTime(s)) return *t;
  if (auto t = ParseIso8601(s + "T00:00:00Z")) return *t;
  int64_t unit = 0;
  switch (s.back()) {
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  auto n = ParseInt64(std::string_view(s).substr(0, s.size() - 1));
  if (!n || *n < 0) return std::nullopt;
  return Clock::Real().Now() - std::chrono::seconds(*n * unit);
}

// A file name for the checkpoint of `source`: its characters made safe, plus a hash so that
// different sources never share one.
std::string CheckpointName(const std::string& source) {
  std::string safe;
  for (char c : source) safe += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  if (safe.size() > 80) safe.resize(80);
  return safe + "-" + std::to_string(std::hash<std::string>{}(source) % 1000000007) + ".done";
}

int RunScan(const ScanFlags& f, const GlobalFlags& globals) {
  auto format = events::ParseLogFormat(f.format);
  if (!format.ok()) return ReportError(format.status());
  std::optional<Clock::TimePoint> since = ParseSince(f.since);
  if (!f.since.empty() && !since) {
    return ReportError(Status::InvalidArgument(
        "--since '" + f.since + "': expected a date (2026-01-31, ISO 8601) or an age (24h, 7d)"));
  }
  auto hooks = MakeHookRunner(f.hooks);
  if (!hooks.ok()) return ReportError(hooks.status());
  auto config = LoadConfig(globals);
  if (!config.ok()) return ReportError(config.status());
  restore::EngineOptions eo;
  eo.limits = config->limits_set ? config->limits : restore::Limits{};
  auto setup = OpenEngineFor(globals, *config, eo);
  if (!setup.ok()) return ReportError(setup.status());

  events::ScanOptions so;
  so.source = f.source;
  so.since = since;
  so.format = *format;
  // The checkpoint belongs with the journal whose contents it vouches for.
  so.checkpoint_path = setup->state_dir + "/scan/" + CheckpointName(f.source);
  events::HookRunner* hook_runner = hooks->get();
  if (hook_runner != nullptr) {
    so.on_dispatched = [hook_runner](const events::DispatchOutcome& o) { hook_runner->Watch(o); };
  }
  auto summary = events::ScanLogs(so, setup->client.get(), *setup->engine);
  if (!summary.ok()) {
    setup->engine->Shutdown();
    return ReportError(summary.status(), f.source);
  }

  // Until S3 has the requests (or the engine decided none is needed).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(f.timeout_seconds);
  int unsent = 0;
  for (;;) {
    unsent = 0;
    for (const auto& h : summary->handles) {
      restore::State s = h->Snapshot().state;
      unsent += s == restore::State::kPending || s == restore::State::kRequested;
    }
    if (unsent == 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  setup->engine->Shutdown();
  if (hook_runner != nullptr) {
    // Hooks of restores that completed during the scan (notifications in the logs) run now.
    hook_runner->WaitIdle(std::chrono::seconds(f.hooks.timeout_seconds) * f.hooks.attempts);
    hook_runner->Shutdown();
  }

  const events::ScanSummary& s = *summary;
  if (f.json) {
    nlohmann::json j = {{"files", s.files_seen},
                        {"files_read", s.files_read},
                        {"files_already_done", s.files_already_done},
                        {"files_too_old", s.files_too_old},
                        {"files_failed", s.files_failed},
                        {"files_malformed", s.files_malformed},
                        {"records", s.records},
                        {"restores_submitted", s.restores_submitted},
                        {"completions", s.completions},
                        {"ignored", s.ignored},
                        {"unsent", unsent},
                        {"failures", s.failures}};
    if (hook_runner != nullptr) {
      events::HookStats h = hook_runner->Stats();
      j["hooks"] = {{"run", h.succeeded},
                    {"failed", h.failed},
                    {"abandoned", h.abandoned},
                    {"skipped", h.skipped},
                    {"unsafe_keys", h.unsafe}};
    }
    std::cout << JsonText(j) << std::endl;
  } else {
    std::cout << "scanned " << s.files_seen << " files (" << s.files_read << " read, "
              << s.files_already_done << " already done, " << s.files_too_old
              << " older than --since, " << s.files_failed << " unreadable): " << s.records
              << " records, " << s.restores_submitted << " restores submitted, " << s.completions
              << " completions, " << s.ignored << " skipped\n";
    // Failures quote file names and parser messages from untrusted logs.
    for (const auto& failure : s.failures) {
      std::cout << "  " << EscapeForTerminal(failure) << "\n";
    }
    if (hook_runner != nullptr) {
      events::HookStats h = hook_runner->Stats();
      std::cout << "hooks: " << h.succeeded << " run, " << h.failed << " failed runs, "
                << h.abandoned << " given up, " << h.skipped << " not covered by --map, "
                << h.unsafe << " keys not mappable safely (not run)\n";
    }
    if (unsent > 0) {
      std::cout << unsent << " restores not yet sent after --timeout; the journal keeps them\n";
    }
    std::cout.flush();
  }
  return s.files_failed + s.files_malformed > 0 ? kExitPartial : kExitOk;
}

}  // namespace

void RegisterScan(CLI::App& app, GlobalFlags& globals) {
  auto f = std::make_shared<ScanFlags>();
  CLI::App* cmd = app.add_subcommand(
      "scan", "read CloudTrail or S3 access log files and restore what failed reads asked for");
  cmd->add_option("source", f->source, "s3://LOGBUCKET/PREFIX or a local directory")->required();
  cmd->add_option("--since", f->since,
                  "only files modified since (2026-01-31, ISO 8601, or an age: 24h, 7d)");
  cmd->add_option("--format", f->format, "cloudtrail, access-log or auto (default: auto)");
  cmd->add_option("--timeout", f->timeout_seconds,
                  "seconds to wait for the submitted restores to be sent (default 600)");
  cmd->add_flag("--json", f->json, "print the summary as one JSON object");
  AddHookOptions(*cmd, f->hooks);
  cmd->final_callback([&globals, f] { throw CLI::RuntimeError(RunScan(*f, globals)); });
}

}  // namespace thaw::cli
