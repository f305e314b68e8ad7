// thaw sim: a local S3-compatible endpoint with archive tiers, time-scaled restores, SigV4
// verification and fault injection (issue 5). This header is the module's public surface: the
// options and the blocking entry point the CLI calls. Everything else is internal to src/sim.
//
// Thread safety: RunSim owns its server and threads; call it once per process.
#pragma once

#include <functional>
#include <string>

#include "common/status.h"

namespace thaw::sim {

struct SimOptions {
  // Objects and metadata live here. Empty: a temporary directory removed on exit.
  std::string data_dir;
  // HOST:PORT to listen on; port 0 picks a free port (printed in the banner). A missing host
  // (":9000", "9000") is 127.0.0.1, never every interface.
  std::string listen = "127.0.0.1:9000";
  // Credentials the sim accepts (SigV4). Defaults are printed at start.
  std::string access_key = "thawsim";
  std::string secret_key = "thawsimsecret";
  bool anonymous = false;  // accept any request without checking signatures
  std::string region = "us-east-1";
  // Sim time runs this many times faster than real time (3600: an hour takes a second).
  double time_scale = 1.0;
  std::string faults;  // fault spec, see faults.h
  // Expedited retrievals: "available", "unavailable" (every Expedited restore answers 503
  // GlacierExpeditedRetrievalNotAvailable) or a probability in [0,1] of that answer.
  std::string expedited = "available";
  // Event output (see events_out.h): CloudTrail log files, EventBridge and S3 notification JSON
  // lines and access logs under events_dir; EventBridge events and S3 notifications sent to the
  // SQS queue events_sqs (a queue URL, e.g. on moto_server).
  std::string events_dir;
  std::string events_sqs;
  std::string account_id = "123456789012";  // the account events are recorded for
  int io_threads = 4;  // 2-4 suits a small machine; requests run on these threads
  // A connection is closed when a request's header has not arrived whole this long after the
  // connection went idle, or a body or response made no progress for this long (S3 answers
  // RequestTimeout after about 20 s). Tests shorten it to see a slow client dropped.
  int idle_timeout_ms = 30000;
};

// Runs the sim until SIGINT/SIGTERM. `on_ready` receives the banner line
// ("thaw sim listening on http://127.0.0.1:PORT (access key K, secret S, region R)") once the
// socket listens. Returns an error when the sim cannot start.
Status RunSim(const SimOptions& options, const std::function<void(const std::string&)>& on_ready);

}  // namespace thaw::sim
