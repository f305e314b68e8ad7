// AdaptiveRate on the FakeClock: starts at the ceiling, cuts on throttles (once per congestion
// event), climbs back along the cubic, never past the ceiling nor twice the measured send rate.
#include "restore/limiter.h"

#include <gtest/gtest.h>

#include <cmath>

namespace thaw::restore {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Sends at `per_second` for `d` on the clock, each answered by `answer` (success or throttle).
void Drive(FakeClock& clock, AdaptiveRate& a, double per_second, Clock::Duration d,
           bool throttle = false) {
  auto step =
      std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(1.0 / per_second));
  for (Clock::Duration t{0}; t < d; t += step) {
    a.OnSend();
    throttle ? a.OnThrottle() : a.OnSuccess();
    clock.Advance(step);
  }
}

TEST(AdaptiveRate, StartsAtTheCeilingAndStaysThereWithoutThrottles) {
  FakeClock clock;
  TokenBucket b(clock, 1, 1);
  AdaptiveRate a(clock, b, {.max_rate = 3500});
  EXPECT_EQ(a.rate(), 3500);
  EXPECT_EQ(b.rate(), 3500);
  Drive(clock, a, 1000, seconds(5));
  EXPECT_EQ(a.rate(), 3500);
  EXPECT_NEAR(a.measured_rate(), 1000, 50);
}

TEST(AdaptiveRate, ThrottleCutsToBetaOfTheMeasuredRate) {
  FakeClock clock;
  TokenBucket b(clock, 1, 1);
  AdaptiveRate a(clock, b, {.max_rate = 3500});
  Drive(clock, a, 1000, seconds(5));
  a.OnThrottle();
  EXPECT_NEAR(a.rate(), 700, 40);  // 0.7 x ~1000 sent, not 0.7 x the ceiling
  EXPECT_NEAR(b.rate(), a.rate(), 1e-9);
}

TEST(AdaptiveRate, ThrottlesOfOneBurstCutOnce) {
  FakeClock clock;
  TokenBucket b(clock, 1, 1);
  AdaptiveRate a(clock, b, {.max_rate = 3500});
  Drive(clock, a, 1000, seconds(5));
  a.OnThrottle();
  double once = a.rate();
  for (int i = 0; i < 31; ++i) a.OnThrottle();  // the other 31 requests in flight
  EXPECT_EQ(a.rate(), once);
  clock.Advance(seconds(1));  // a later event cuts again
  a.OnThrottle();
  EXPECT_LT(a.rate(), once);
}

TEST(AdaptiveRate, ClimbsBackAlongTheCubicAndProbesAbove) {
  FakeClock clock;
  TokenBucket b(clock, 1, 1);
  AdaptiveRateOptions o{.max_rate = 3500};
  AdaptiveRate a(clock, b, o);
  Drive(clock, a, 1000, seconds(5));
  a.OnThrottle();
  double cut = a.rate();
  double w_max = cut / o.beta;
  double k = std::cbrt(w_max * (1 - o.beta) / o.scale);  // ~8.9 s for W_max 1000
  // Half way to K: well above the cut, still below W_max; growth slows near W_max.
  Drive(clock, a, cut,
        std::chrono::duration_cast<Clock::Duration>(std::chrono::duration<double>(k / 2)));
  double half = a.rate();
  EXPECT_GT(half, cut);
  EXPECT_LT(half, w_max);
  // Sending at the allowed rate, it reaches W_max around K and then probes above it.
  Drive(clock, a, 1000, seconds(static_cast<int>(k) + 5));
  EXPECT_GT(a.rate(), w_max);
  EXPECT_LE(a.rate(), 2 * a.measured_rate() + 1e-9);  // never far above what is being sent
}

TEST(AdaptiveRate, NeverAboveTheCeilingNorBelowTheFloor) {
  FakeClock clock;
  TokenBucket b(clock, 1, 1);
  AdaptiveRate a(clock, b, {.max_rate = 50});
  Drive(clock, a, 40, seconds(2));
  a.OnThrottle();
  Drive(clock, a, 100, seconds(120));  // long after: capped by the ceiling
  EXPECT_EQ(a.rate(), 50);
  // A storm of throttles, one per congestion event, drives it to the floor and no further.
  for (int i = 0; i < 100; ++i) {
    clock.Advance(seconds(1));
    a.OnThrottle();
  }
  EXPECT_EQ(a.rate(), 0.5);
}

TEST(AdaptiveRate, NoCeilingIsUnlimitedUntilTheFirstThrottle) {
  FakeClock clock;
  TokenBucket b(clock, 1, 1);
  AdaptiveRate a(clock, b, {.max_rate = 0});
  EXPECT_LE(b.rate(), 0);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(b.Reserve(), clock.Now());
  Drive(clock, a, 2000, seconds(2));
  a.OnThrottle();
  EXPECT_NEAR(a.rate(), 1400, 100);
  // The bucket now paces: a burst of a tenth of a second, then tokens are booked ahead.
  int now = 0;
  for (int i = 0; i < 1000; ++i) now += b.Reserve() == clock.Now();
  EXPECT_LT(now, 200);
}

}  // namespace
}  // namespace thaw::restore
