// `thaw sim`: runs the local S3-compatible endpoint with archive tiers (src/sim). Parses the
// options, prints the banner line (tests parse it) and blocks until SIGINT/SIGTERM.
#include <iostream>

#include "cli/commands.h"
#include "cli/context.h"
#include "common/log.h"
#include "sim/sim.h"

namespace thaw::cli {
namespace {

int RunSimCommand(const GlobalFlags& globals, sim::SimOptions options) {
  // The global --region names the region the sim reports and accepts.
  if (!globals.s3.region.empty()) options.region = globals.s3.region;
  if (Status s = SetupLogging(globals.log_level); !s.ok()) return ReportError(s);
  Status s = sim::RunSim(options, [](const std::string& banner) {
    std::cout << banner << std::endl;  // flushed: tests wait for this line
  });
  if (!s.ok()) return ReportError(s, "sim");
  return kExitOk;
}

}  // namespace

void RegisterSim(CLI::App& app, GlobalFlags& globals) {
  auto options = std::make_shared<sim::SimOptions>();
  CLI::App* cmd = app.add_subcommand(
      "sim", "run a local S3-compatible endpoint with archive tiers and time-scaled restores");
  cmd->add_option("--data-dir", options->data_dir,
                  "objects and metadata (default: a temporary dir removed on exit)");
  cmd->add_option("--listen", options->listen,
                  "HOST:PORT; no host (:PORT) is 127.0.0.1; port 0 picks a free port")
      ->capture_default_str();
  cmd->add_option("--access-key", options->access_key, "access key accepted")
      ->capture_default_str();
  cmd->add_option("--secret-key", options->secret_key, "secret key accepted")
      ->capture_default_str();
  cmd->add_flag("--anonymous", options->anonymous,
                "accept every request without a signature, /_thaw/ admin requests too (warns "
                "when listening on a non-loopback address)");
  cmd->add_option("--time-scale", options->time_scale,
                  "sim time runs N times faster (3600: an hour takes a second)")
      ->capture_default_str();
  cmd->add_option("--faults", options->faults,
                  "fault rules, e.g. 'op=GetObject,rate=0.05,error=SlowDown;op=*,latency=200ms' "
                  "(also PUT /_thaw/faults)");
  cmd->add_option("--expedited", options->expedited,
                  "available | unavailable | probability in [0,1] that an Expedited restore "
                  "answers 503 GlacierExpeditedRetrievalNotAvailable (also PUT /_thaw/expedited)")
      ->capture_default_str();
  cmd->add_option("--events-dir", options->events_dir,
                  "write CloudTrail log files, EventBridge/S3 notification JSON lines and access "
                  "logs here");
  cmd->add_option("--events-sqs", options->events_sqs,
                  "send EventBridge events and S3 restore notifications to this SQS queue URL");
  cmd->add_option("--account-id", options->account_id,
                  "AWS account id in emitted events, of S3 Control jobs and STS GetCallerIdentity")
      ->capture_default_str();
  cmd->add_option("--io-threads", options->io_threads, "io threads")->capture_default_str();
  cmd->add_option("--idle-timeout-ms", options->idle_timeout_ms,
                  "close connections whose request header has not arrived whole, or whose body "
                  "or response has not moved, for this long")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600 * 1000));
  cmd->final_callback(
      [&globals, options] { throw CLI::RuntimeError(RunSimCommand(globals, *options)); });
}

}  // namespace thaw::cli
