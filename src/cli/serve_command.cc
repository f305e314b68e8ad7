// `thaw serve`: the long-running event consumer. Wires the SQS client, the restore engine, the
// SqsSource loop (src/events/sqs_source.h), the optional /metrics endpoint and completion hooks
// together, and turns SIGTERM/SIGINT into a graceful stop. The behaviour lives in src/events.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "cli/context.h"
#include "cli/engine_setup.h"
#include "cli/event_setup.h"
#include "common/log.h"
#include "common/metrics_server.h"
#include "common/terminal_escape.h"
#include "events/hooks.h"
#include "events/sqs_source.h"
#include "restore/metrics.h"
#include "s3/metered_client.h"

namespace thaw::cli {
namespace {

struct ServeFlags {
  std::string queue_url;
  std::string dead_letter_url;
  std::string sqs_endpoint_url;
  int max_receives = 5;
  int visibility_timeout = 60;
  int wait_time = 20;
  int batch_size = 10;
  int workers = 4;
  std::string metrics_listen;
  int poll_interval = 0;
  HookFlags hooks;
};

std::string RenderMetrics(const events::SqsSourceCounters& c, const restore::Engine& engine,
                          const restore::RestoreMetrics& restore_metrics,
                          const s3::ClientMetrics& client_metrics,
                          const events::HookRunner* hooks) {
  auto v = [](const std::atomic<uint64_t>& a) {
    return static_cast<double>(a.load(std::memory_order_relaxed));
  };
  std::string out;

  AppendMetric(out, "thaw_serve_receives_total", "counter", "ReceiveMessage calls answered",
               v(c.receives));
  AppendMetric(out, "thaw_serve_messages_received_total", "counter", "SQS messages received",
               v(c.received));
  AppendMetric(out, "thaw_serve_messages_deleted_total", "counter",
               "messages deleted after their events were journaled", v(c.deleted));
  AppendMetric(out, "thaw_serve_messages_failed_total", "counter",
               "dispatch attempts that failed (message kept for redelivery)", v(c.failed));
  AppendMetric(out, "thaw_serve_messages_oversized_total", "counter",
               "messages larger than SQS allows, dead-lettered unparsed", v(c.oversized));
  AppendMetric(out, "thaw_serve_messages_dead_lettered_total", "counter",
               "messages sent to the dead-letter queue (or logged and dropped)",
               v(c.dead_lettered));
  AppendMetric(out, "thaw_serve_restores_submitted_total", "counter",
               "restore requests submitted to the engine", v(c.restores_submitted));
  AppendMetric(out, "thaw_serve_completions_total", "counter",
               "restore-completed notifications applied", v(c.completions));
  AppendMetric(out, "thaw_serve_events_ignored_total", "counter", "records and events not acted on",
               v(c.events_ignored));
  AppendMetric(out, "thaw_serve_visibility_extended_total", "counter",
               "visibility timeouts extended by the heartbeat", v(c.visibility_extended));
  AppendMetric(out, "thaw_serve_receive_errors_total", "counter", "failed ReceiveMessage calls",
               v(c.receive_errors));
  AppendMetric(out, "thaw_serve_delete_errors_total", "counter", "messages whose delete failed",
               v(c.delete_errors));
  AppendMetric(out, "thaw_serve_visibility_errors_total", "counter", "failed visibility changes",
               v(c.visibility_errors));
  AppendMetric(out, "thaw_serve_dead_letter_errors_total", "counter",
               "failed sends to the dead-letter queue", v(c.dead_letter_errors));
  restore_metrics.AppendTo(out, engine.Stats());
  client_metrics.AppendTo(out);
  if (hooks != nullptr) {
    events::HookStats h = hooks->Stats();
    AppendMetric(out, "thaw_hooks_run_total", "counter", "hook commands that succeeded",
                 static_cast<double>(h.succeeded));
    AppendMetric(out, "thaw_hooks_failed_total", "counter",
                 "hook runs that failed (each retry counts)", static_cast<double>(h.failed));
    AppendMetric(out, "thaw_hooks_abandoned_total", "counter", "hooks given up after their retries",
                 static_cast<double>(h.abandoned));
    AppendMetric(out, "thaw_hooks_skipped_total", "counter",
                 "completed objects no --map covers (hooks that use {path})",
                 static_cast<double>(h.skipped));
    AppendMetric(out, "thaw_hooks_unsafe_keys_total", "counter",
                 "completed objects not hooked: key not a plain path below its --map, or a NUL",
                 static_cast<double>(h.unsafe));
  }
  return out;
}

Status CheckFlags(const ServeFlags& f) {
  if (f.queue_url.empty()) return Status::InvalidArgument("--queue-url is required");
  if (f.max_receives < 1) return Status::InvalidArgument("--max-receives must be at least 1");
  if (f.visibility_timeout < 3 || f.visibility_timeout > s3::kSqsMaxVisibilitySeconds) {
    return Status::InvalidArgument("--visibility-timeout must be 3 to 43200 seconds");
  }
  if (f.wait_time < 0 || f.wait_time > s3::kSqsMaxWaitSeconds) {
    return Status::InvalidArgument("--wait-time must be 0 to 20 seconds");
  }
  if (f.batch_size < 1 || f.batch_size > s3::kSqsMaxBatchEntries) {
    return Status::InvalidArgument("--batch-size must be 1 to 10");
  }
  if (f.workers < 1) return Status::InvalidArgument("--workers must be at least 1");
  return Status::Ok();
}

int RunServe(const ServeFlags& f, const GlobalFlags& globals) {
  if (Status s = CheckFlags(f); !s.ok()) return ReportError(s);
  // Every thread started from here on inherits the blocked set, so SIGTERM/SIGINT reach only
  // the sigwait loop below and the stop is orderly.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto hooks = MakeHookRunner(f.hooks);
  if (!hooks.ok()) return ReportError(hooks.status());
  auto sqs = MakeSqsClientFor(globals, f.sqs_endpoint_url, f.queue_url);
  if (!sqs.ok()) return ReportError(sqs.status());
  auto config = LoadConfig(globals);
  if (!config.ok()) return ReportError(config.status());
  restore::EngineOptions eo;
  eo.limits = config->limits_set ? config->limits : restore::Limits{};
  if (f.poll_interval > 0) {
    eo.max_poll_interval = std::chrono::seconds(f.poll_interval);
    eo.min_poll_interval = std::min(eo.min_poll_interval, eo.max_poll_interval);
  }
  // Counted for /metrics; declared before the engine, which reports to them until shut down.
  restore::RestoreMetrics restore_metrics;
  s3::ClientMetrics client_metrics;
  eo.on_change = [&restore_metrics](const restore::RestoreRecord& r) {
    restore_metrics.Observe(r);
  };
  auto setup = OpenEngineFor(globals, *config, eo, &client_metrics);
  if (!setup.ok()) return ReportError(setup.status());
  restore::Engine& engine = *setup->engine;

  events::SqsSourceOptions so;
  so.queue_url = f.queue_url;
  so.dead_letter_url = f.dead_letter_url;
  so.max_messages = f.batch_size;
  so.wait_time_seconds = f.wait_time;
  so.visibility_timeout_seconds = f.visibility_timeout;
  so.max_receives = f.max_receives;
  so.workers = f.workers;
  events::HookRunner* hook_runner = hooks->get();
  if (hook_runner != nullptr) {
    so.on_dispatched = [hook_runner](const events::DispatchOutcome& out) {
      hook_runner->Watch(out);
    };
  }
  events::SqsSource source(**sqs, engine, Clock::Real(), so);

  const auto& counters = source.counters();
  std::unique_ptr<MetricsServer> metrics;
  if (!f.metrics_listen.empty()) {
    int stale_after = std::max(60, 3 * f.wait_time + 30);
    metrics = std::make_unique<MetricsServer>(
        [&] {
          return RenderMetrics(counters, engine, restore_metrics, client_metrics, hook_runner);
        },
        [&, stale_after]() -> std::string {
          if (source.stopping()) return "stopping";
          int64_t last = counters.last_receive_unix.load();
          int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            Clock::Real().Now().time_since_epoch())
                            .count();
          if (last == 0) return "no answer from SQS yet";
          if (now - last > stale_after) {
            return "no answer from SQS for " + std::to_string(now - last) + " s";
          }
          return "";
        });
    if (Status s = metrics->Start(f.metrics_listen); !s.ok()) return ReportError(s);
    std::cout << LogLine("info", "thaw serve metrics on http://" + metrics->host() + ":" +
                                     std::to_string(metrics->port()))
              << std::flush;
  }
  std::cout << LogLine("info", "thaw serve: polling " + EscapeForTerminal(f.queue_url))
            << std::flush;

  std::atomic<bool> done{false};
  std::thread signals([&] {
    timespec tick{0, 200 * 1000 * 1000};
    while (!done.load()) {
      int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT) {
        std::cerr << LogLine("info", "thaw serve: stopping (finishing the messages in hand)")
                  << std::flush;
        source.Stop();
      }
    }
  });
  Status run = source.Run();
  done.store(true);
  signals.join();
  if (metrics) metrics->Stop();
  engine.Shutdown();
  if (hook_runner != nullptr) hook_runner->Shutdown();
  std::cout << LogLine("info", "thaw serve: stopped; received " +
                                   std::to_string(counters.received.load()) + ", deleted " +
                                   std::to_string(counters.deleted.load()) + ", dead-lettered " +
                                   std::to_string(counters.dead_lettered.load()) +
                                   ", restores submitted " +
                                   std::to_string(counters.restores_submitted.load()))
            << std::flush;
  if (!run.ok()) return ReportError(run, f.queue_url);
  return kExitOk;
}

}  // namespace

void RegisterServe(CLI::App& app, GlobalFlags& globals) {
  auto f = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "consume S3/CloudTrail events from an SQS queue and restore what they ask for");
  cmd->add_option("--queue-url", f->queue_url, "the SQS queue to poll")->required();
  cmd->add_option("--dead-letter-url", f->dead_letter_url,
                  "SQS queue for messages that cannot be handled (default: log them and delete "
                  "them)");
  cmd->add_option("--sqs-endpoint-url", f->sqs_endpoint_url,
                  "SQS endpoint (default: AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL, else AWS; "
                  "--endpoint-url is S3's)");
  cmd->add_option("--max-receives", f->max_receives,
                  "deliveries of a failing message before it is dead-lettered (default 5)");
  cmd->add_option("--visibility-timeout", f->visibility_timeout,
                  "seconds a received message stays hidden, 3-43200; renewed while worked on "
                  "(default 60)");
  cmd->add_option("--wait-time", f->wait_time, "long-poll seconds, 0-20 (default 20)");
  cmd->add_option("--batch-size", f->batch_size, "messages per receive, 1-10 (default 10)");
  cmd->add_option("--workers", f->workers, "messages of a batch handled at once (default 4)");
  cmd->add_option("--metrics-listen", f->metrics_listen,
                  "serve /metrics and /healthz on HOST:PORT (e.g. 127.0.0.1:9464; :PORT is "
                  "127.0.0.1; port 0: any free port, printed on the first line)");
  cmd->add_option("--poll-interval", f->poll_interval,
                  "check restores in progress at least every this many seconds");
  AddHookOptions(*cmd, f->hooks);
  cmd->final_callback([&globals, f] { throw CLI::RuntimeError(RunServe(*f, globals)); });
}

}  // namespace thaw::cli
