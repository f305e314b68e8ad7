// The Prometheus text helpers: cumulative histogram buckets with _sum and _count, sample lines
// with and without labels, integral and fractional values, escaped label values.
#include "common/metrics.h"

#include <gtest/gtest.h>

namespace thaw {
namespace {

TEST(Histogram, BucketsAreCumulativeAndCountEqualsInf) {
  Histogram h({0.01, 0.1, 1});
  for (double v : {0.005, 0.01, 0.05, 0.5, 0.5, 3.0}) h.Observe(v);
  std::string out;
  h.AppendSamples(out, "x_seconds", "operation=\"GetObject\"");
  EXPECT_EQ(out,
            "x_seconds_bucket{operation=\"GetObject\",le=\"0.01\"} 2\n"
            "x_seconds_bucket{operation=\"GetObject\",le=\"0.1\"} 3\n"
            "x_seconds_bucket{operation=\"GetObject\",le=\"1\"} 5\n"
            "x_seconds_bucket{operation=\"GetObject\",le=\"+Inf\"} 6\n"
            "x_seconds_sum{operation=\"GetObject\"} 4.065\n"
            "x_seconds_count{operation=\"GetObject\"} 6\n");
}

TEST(Histogram, WithoutLabels) {
  Histogram h({1});
  h.Observe(2);
  std::string out;
  h.AppendSamples(out, "y", "");
  EXPECT_EQ(out, "y_bucket{le=\"1\"} 0\ny_bucket{le=\"+Inf\"} 1\ny_sum 2\ny_count 1\n");
}

TEST(AppendMetric, HeaderAndSample) {
  std::string out;
  AppendMetric(out, "thaw_x_total", "counter", "things", 3);
  AppendSample(out, "thaw_y", "", 0.25);
  EXPECT_EQ(
      out,
      "# HELP thaw_x_total things\n# TYPE thaw_x_total counter\nthaw_x_total 3\nthaw_y 0.25\n");
}

TEST(EscapeLabelValue, EscapesWhatTheFormatRequires) {
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
}

}  // namespace
}  // namespace thaw
