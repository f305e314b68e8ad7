// ConcurrencyLimit against modelled endpoints on the FakeClock: a client keeps limit() calls in
// flight (or fewer, when it has fewer to send); the endpoint answers either after its own
// latency whatever the load (S3: a long-tailed latency, capacity far above what one client
// sends) or in turn at a fixed capacity (a busy server: extra calls wait in its queue). The
// limit must stay at the ceiling at S3, come down to a few calls at the busy server without
// losing its rate, and come back when the server frees up.
#include "restore/concurrency_limit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <random>
#include <vector>

namespace thaw::restore {
namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;
using std::chrono::seconds;

Clock::Duration Sec(double s) {
  return duration_cast<Clock::Duration>(std::chrono::duration<double>(s));
}

// The endpoint: when will a call sent at `sent`, with `in_flight` others under way, be answered?
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual Clock::TimePoint Answer(Clock::TimePoint sent, int in_flight) = 0;
};

// S3: every call takes its own latency, lognormal around `median` with a long tail (one call in
// a hundred takes ten times the median or more), whatever else is in flight.
class IndependentLatency : public Endpoint {
 public:
  explicit IndependentLatency(double median_s) : median_(median_s) {}
  Clock::TimePoint Answer(Clock::TimePoint sent, int) override {
    double s = median_ * std::exp(dist_(rng_));
    return sent + Sec(s);
  }

 private:
  double median_;
  std::mt19937_64 rng_{42};
  std::normal_distribution<double> dist_{0.0, 1.0};  // p99 about 10x the median
};

// A busy server: `capacity` calls per second served one after another, plus `base` latency.
class Queueing : public Endpoint {
 public:
  Queueing(double capacity, double base_s) : capacity_(capacity), base_(base_s) {}
  Clock::TimePoint Answer(Clock::TimePoint sent, int in_flight) override {
    Clock::TimePoint start = std::max(sent, free_at_);
    free_at_ = start + Sec(1.0 / (capacity_ * Efficiency(in_flight)));
    return free_at_ + Sec(base_);
  }

 protected:
  // Share of its capacity the server reaches with `in_flight` calls under way.
  virtual double Efficiency(int) const { return 1.0; }

 private:
  double capacity_;
  double base_;
  Clock::TimePoint free_at_{};
};

// A busy server that is a little slower with fewer calls (4% less per halving below 64), so
// that each halving alone looks almost as fast.
class SlightlySlowerWithFewer : public Queueing {
 public:
  using Queueing::Queueing;

 protected:
  double Efficiency(int in_flight) const override {
    return 1.0 - 0.04 * std::log2(64.0 / std::clamp(in_flight, 1, 64));
  }
};

struct RunResult {
  double rate = 0;        // answers per second over the run
  double mean_limit = 0;  // time-weighted limit
  int final_limit = 0;
};

// Runs a client for `d` on the clock: it keeps min(limit, max_in_flight) calls in flight.
RunResult Drive(FakeClock& clock, ConcurrencyLimit& cl, Endpoint& ep, Clock::Duration d,
                int max_in_flight = 1 << 20,
                const std::function<void(Clock::TimePoint)>& tick = {}) {
  using Ev = Clock::TimePoint;
  std::priority_queue<Ev, std::vector<Ev>, std::greater<Ev>> answers;
  Clock::TimePoint start = clock.Now(), end = start + d;
  int64_t answered = 0;
  double limit_time = 0;
  auto fill = [&] {
    while (static_cast<int>(answers.size()) < std::min(cl.limit(), max_in_flight)) {
      answers.push(ep.Answer(clock.Now(), static_cast<int>(answers.size()) + 1));
    }
  };
  fill();
  while (!answers.empty() && answers.top() < end) {
    Clock::TimePoint t = answers.top();
    limit_time += cl.limit() * std::chrono::duration<double>(t - clock.Now()).count();
    clock.SetTime(t);
    if (tick) tick(t);
    int in_flight = static_cast<int>(answers.size());
    answers.pop();
    ++answered;
    cl.OnAnswer(in_flight);
    fill();
  }
  limit_time += cl.limit() * std::chrono::duration<double>(end - clock.Now()).count();
  clock.SetTime(end);
  double secs = std::chrono::duration<double>(d).count();
  return {answered / secs, limit_time / secs, cl.limit()};
}

ConcurrencyLimitOptions Adaptive(int max_limit = 64) {
  ConcurrencyLimitOptions o;
  o.max_limit = max_limit;
  o.adaptive = true;
  return o;
}

TEST(ConcurrencyLimit, StaysAtTheCeilingWhereMoreInFlightAnswersMore) {
  FakeClock clock;
  ConcurrencyLimit cl(clock, Adaptive());
  IndependentLatency s3(0.030);
  RunResult r = Drive(clock, cl, s3, seconds(300));
  EXPECT_EQ(r.final_limit, 64);
  EXPECT_EQ(cl.kept(), 0) << "a halved limit was kept at an endpoint that answers in parallel";
  EXPECT_GT(cl.undone(), 0) << "never probed";
  // Probing costs little: the time-weighted limit stays near the ceiling.
  EXPECT_GT(r.mean_limit, 0.97 * 64);
  FakeClock fixed_clock;
  ConcurrencyLimitOptions fixed_opts = Adaptive();
  fixed_opts.adaptive = false;
  ConcurrencyLimit fixed(fixed_clock, fixed_opts);
  IndependentLatency s3_again(0.030);
  RunResult f = Drive(fixed_clock, fixed, s3_again, seconds(300));
  EXPECT_GT(r.rate, 0.97 * f.rate);
}

TEST(ConcurrencyLimit, ComesDownToAFewCallsAtABusyEndpointWithoutLosingItsRate) {
  FakeClock clock;
  ConcurrencyLimit cl(clock, Adaptive());
  Queueing busy(300, 0.004);  // moto-like: 300 calls/s, 4 ms of its own
  RunResult r = Drive(clock, cl, busy, seconds(60));
  EXPECT_LE(r.final_limit, 8);
  EXPECT_GE(r.final_limit, 4);
  EXPECT_GT(r.rate, 0.97 * 300);
  EXPECT_GE(cl.kept(), 3);  // 64 -> 32 -> 16 -> 8
}

TEST(ConcurrencyLimit, SmallLossesPerHalvingDoNotAddUp) {
  FakeClock clock;
  ConcurrencyLimit cl(clock, Adaptive());
  SlightlySlowerWithFewer ep(1000, 0.002);
  RunResult r = Drive(clock, cl, ep, seconds(120));
  // 32 keeps 96% of the rate at 64; 16 would keep 92%: compared with the best rate seen, not
  // with the last step's, it is undone.
  EXPECT_GE(r.final_limit, 32);
  EXPECT_GT(r.rate, 0.95 * 1000);
}

TEST(ConcurrencyLimit, GivesTheCallsBackWhenTheEndpointFreesUp) {
  FakeClock clock;
  ConcurrencyLimit cl(clock, Adaptive());
  Queueing ep(300, 0.004);
  Drive(clock, cl, ep, seconds(60));
  ASSERT_LE(cl.limit(), 8);
  // Now it serves 100,000 calls/s, each taking 30 ms: only more in flight goes faster.
  Queueing freed(100000, 0.030);
  RunResult r = Drive(clock, cl, freed, seconds(180));
  EXPECT_EQ(r.final_limit, 64);
}

TEST(ConcurrencyLimit, LeavesTheLimitAloneWhenTheCallerSetsThePace) {
  FakeClock clock;
  ConcurrencyLimit cl(clock, Adaptive());
  Queueing busy(300, 0.004);
  // Never more than 10 in flight (a feeder waiting on listing pages): the limit never bound.
  RunResult r = Drive(clock, cl, busy, seconds(60), /*max_in_flight=*/10);
  EXPECT_EQ(r.final_limit, 64);
  EXPECT_EQ(cl.kept() + cl.undone(), 0);
}

TEST(ConcurrencyLimit, FixedWhenNotAdaptive) {
  FakeClock clock;
  ConcurrencyLimitOptions o = Adaptive(32);
  o.adaptive = false;
  ConcurrencyLimit cl(clock, o);
  Queueing busy(300, 0.004);
  RunResult r = Drive(clock, cl, busy, seconds(30));
  EXPECT_EQ(r.final_limit, 32);
  EXPECT_EQ(cl.kept() + cl.undone(), 0);
}

TEST(ConcurrencyLimit, NeverBelowTheFloorNorAboveTheCeiling) {
  FakeClock clock;
  ConcurrencyLimitOptions o = Adaptive(16);
  o.min_limit = 6;
  ConcurrencyLimit cl(clock, o);
  Queueing slow(20, 0.001);  // so slow that one call at a time would do
  int lowest = 16, highest = 0;
  Drive(clock, cl, slow, seconds(120), 1 << 20, [&](Clock::TimePoint) {
    lowest = std::min(lowest, cl.limit());
    highest = std::max(highest, cl.limit());
  });
  EXPECT_GE(lowest, 6);
  EXPECT_LE(highest, 16);
  EXPECT_LT(cl.limit(), 16);
}

}  // namespace
}  // namespace thaw::restore
