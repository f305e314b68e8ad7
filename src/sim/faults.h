// Fault injection: rules that make chosen operations fail, stall or break on purpose, so that
// clients' retries and the mount's error paths can be tested.
//
// Spec (also accepted by the admin endpoint `PUT /_thaw/faults`): rules separated by ';', each a
// comma-separated list of settings:
//   op=NAME[|NAME...]   S3 operation names (GetObject, PutObject, ...) or * (default *)
//   rate=R              probability in [0,1] that a matching request is hit (default 1)
//   count=N             only the first N hits of this rule (default unlimited)
//   error=CODE          answer with S3 error CODE (SlowDown, InternalError, any S3 code;
//                       HTTP status from S3's table, 500 for unknown codes)
//   status=NNN          HTTP status for error= (overrides the table)
//   latency=D           delay before answering: 200ms, 1.5s, 500us (also m, h, d)
//   bandwidth=B/s       throttle the response body: 50MiB/s, 10MB/s, 4096B/s
//   reset               close the connection (RST) half-way through the response body, or
//                       instead of answering when there is no body
//   truncate            send half of the body then close the connection cleanly
//   capacity=N/s        a busy endpoint: the rule's requests are served one after another,
//                       N per second, each answered once its turn is over (what a gateway at
//                       its limit, or a single-process server, does with more calls than it
//                       can serve: they wait in its queue)
// Example: `op=GetObject,rate=0.05,error=SlowDown;op=*,latency=200ms`.
// Several rules may hit one request; their effects combine (the first error wins).
//
// Thread safety: FaultInjector is safe to use from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace thaw::sim {

struct FaultRule {
  std::vector<std::string> ops;  // empty: every operation
  double rate = 1.0;
  std::optional<int64_t> count;  // remaining hits; nullopt: unlimited
  std::string error;
  int status = 0;  // 0: from the code
  std::chrono::microseconds latency{0};
  uint64_t bandwidth_bytes_per_s = 0;
  bool reset = false;
  bool truncate = false;
  double capacity_per_s = 0;  // 0: not a queue
  std::chrono::steady_clock::time_point busy_until{};
};

// What to do to one request.
struct FaultPlan {
  std::string error;  // S3 code, "" for none
  int status = 0;
  std::chrono::microseconds latency{0};
  uint64_t bandwidth_bytes_per_s = 0;
  bool reset = false;
  bool truncate = false;
  bool any() const {
    return !error.empty() || latency.count() > 0 || bandwidth_bytes_per_s > 0 || reset || truncate;
  }
};

Result<std::vector<FaultRule>> ParseFaultSpec(std::string_view spec);
Result<std::chrono::microseconds> ParseDuration(std::string_view s);
Result<uint64_t> ParseBandwidth(std::string_view s);  // bytes per second

class FaultInjector {
 public:
  explicit FaultInjector(uint64_t seed = std::random_device{}());
  // Replaces all rules. An invalid spec leaves the rules unchanged.
  Status SetSpec(std::string_view spec);
  std::string spec() const;
  FaultPlan Decide(std::string_view op);
  FaultPlan Decide(std::string_view op, std::chrono::steady_clock::time_point now);

 private:
  mutable std::mutex mu_;  // guards everything below
  std::vector<FaultRule> rules_;
  std::string spec_;
  std::mt19937_64 rng_;
};

}  // namespace thaw::sim
