// Prometheus metric primitives shared by every process that serves /metrics (`thaw serve`,
// `thaw mount`): a lock-free histogram and the text exposition format (version 0.0.4) helpers.
// Names follow Prometheus conventions: `thaw_<area>_<what>_<unit>`, counters end in `_total`,
// durations are in seconds and sizes in bytes (base units).
//
// Thread safety: Histogram::Observe may be called from any thread; AppendTo reads a snapshot
// that is consistent enough for monitoring (each bucket is read atomically, not all together).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

namespace thaw {

class Histogram {
 public:
  // `bounds`: the upper bounds of the buckets, ascending (+Inf is implied).
  explicit Histogram(std::vector<double> bounds);

  void Observe(double value);
  // The sample lines (`_bucket`, `_sum`, `_count`) for `name` with `labels` (`op="GetObject"`,
  // or empty); the caller writes the HELP and TYPE lines once per name.
  void AppendSamples(std::string& out, const std::string& name, const std::string& labels) const;

  // Latencies of S3 calls and waits: 1 ms to 60 s.
  static std::vector<double> LatencyBounds();

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};  // the sum in µs, so it can be atomic and exact
};

// "# HELP" and "# TYPE" lines of a metric family.
void AppendMetricHeader(std::string& out, const std::string& name, const std::string& type,
                        const std::string& help);
// One sample line: `name{labels} value` (no braces when `labels` is empty).
void AppendSample(std::string& out, const std::string& name, const std::string& labels,
                  double value);
// A metric with one unlabelled sample: header and sample.
void AppendMetric(std::string& out, const std::string& name, const std::string& type,
                  const std::string& help, double value);
// A label value escaped as the text format requires (backslash, quote, newline).
std::string EscapeLabelValue(const std::string& value);

}  // namespace thaw
