// Histogram and text-format helpers (see metrics.h).
#include "common/metrics.h"

#include <cmath>
#include <cstdio>

namespace thaw {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::Observe(double value) {
  size_t i = 0;
  while (i < bounds_.size() && value > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  if (value > 0) {
    sum_micros_.fetch_add(static_cast<uint64_t>(std::llround(value * 1e6)),
                          std::memory_order_relaxed);
  }
}

void Histogram::AppendSamples(std::string& out, const std::string& name,
                              const std::string& labels) const {
  std::string sep = labels.empty() ? "" : labels + ",";
  uint64_t cumulative = 0;
  char le[64];
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    std::snprintf(le, sizeof(le), "%g", bounds_[i]);
    AppendSample(out, name + "_bucket", sep + "le=\"" + le + "\"", static_cast<double>(cumulative));
  }
  cumulative += counts_[bounds_.size()].load(std::memory_order_relaxed);
  AppendSample(out, name + "_bucket", sep + "le=\"+Inf\"", static_cast<double>(cumulative));
  AppendSample(out, name + "_sum", labels, sum_micros_.load(std::memory_order_relaxed) / 1e6);
  // _count equals the +Inf bucket, as the format requires, even while Observe runs.
  AppendSample(out, name + "_count", labels, static_cast<double>(cumulative));
}

std::vector<double> Histogram::LatencyBounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

void AppendMetricHeader(std::string& out, const std::string& name, const std::string& type,
                        const std::string& help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void AppendSample(std::string& out, const std::string& name, const std::string& labels,
                  double value) {
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += " ";
  if (std::floor(value) == value && std::fabs(value) < 1e15) {
    out += std::to_string(static_cast<int64_t>(value));
  } else {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.9g", value);
    out += buf;
  }
  out += "\n";
}

void AppendMetric(std::string& out, const std::string& name, const std::string& type,
                  const std::string& help, double value) {
  AppendMetricHeader(out, name, type, help);
  AppendSample(out, name, "", value);
}

std::string EscapeLabelValue(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

}  // namespace thaw
