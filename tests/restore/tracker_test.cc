// Tests for restore/tracker (poll and retry schedules, what HEAD answers mean in each journal
// state) and restore/limiter (token bucket on the fake clock).
#include "restore/tracker.h"

#include <gtest/gtest.h>

#include "restore/limiter.h"

namespace thaw::restore {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const ExpectedDuration kGlacierStandard{hours(3), hours(5)};

TEST(Tracker, FirstPollNearEarliestNeverBefore) {
  EXPECT_EQ(FirstPollDelay(kGlacierStandard, seconds(60), 0, 0.5), hours(3));
  for (double u : {0.0, 0.3, 0.999}) {
    Clock::Duration d = FirstPollDelay(kGlacierStandard, seconds(60), 0.2, u);
    EXPECT_GE(d, hours(3));
    EXPECT_LE(d, minutes(216));  // 3 h * 1.2
  }
  // The floor wins over a tiny expected time.
  EXPECT_EQ(FirstPollDelay({minutes(1), minutes(5)}, minutes(2), 0.2, 0.5), minutes(2));
}

TEST(Tracker, BacksOffThenCaps) {
  // Window 2 h: steps of 15 min doubling, capped at 30 min.
  EXPECT_EQ(NextPollDelay(kGlacierStandard, 1, seconds(60), 0, 0), minutes(15));
  EXPECT_EQ(NextPollDelay(kGlacierStandard, 2, seconds(60), 0, 0), minutes(30));
  EXPECT_EQ(NextPollDelay(kGlacierStandard, 3, seconds(60), 0, 0), minutes(30));
  EXPECT_EQ(NextPollDelay(kGlacierStandard, 100, seconds(60), 0, 0), minutes(30));
  for (double u : {0.0, 0.5, 0.999}) {
    Clock::Duration d = NextPollDelay(kGlacierStandard, 1, seconds(60), 0.2, u);
    EXPECT_GE(d, minutes(12));
    EXPECT_LE(d, minutes(18));
  }
}

TEST(Tracker, EndpointTimeScaleDividesTheScheduleAboveAFloor) {
  // AWS (scale 1, or no header at all): unchanged.
  EXPECT_EQ(ScaleToEndpoint(hours(3), 1.0), hours(3));
  EXPECT_EQ(ScaleToEndpoint(hours(3), 0.5), hours(3));  // a slower clock never stretches it
  // thaw sim --time-scale 3600: three hours take three seconds.
  EXPECT_EQ(ScaleToEndpoint(hours(3), 3600), seconds(3));
  // --time-scale 36000: 0.3 s; 15 minutes would be 25 ms, held at the floor.
  EXPECT_EQ(ScaleToEndpoint(hours(3), 36000), milliseconds(300));
  EXPECT_EQ(ScaleToEndpoint(minutes(15), 36000), kMinScaledPoll);
  // A delay already below the floor is not lengthened.
  EXPECT_EQ(ScaleToEndpoint(milliseconds(100), 36000), milliseconds(100));
}

TEST(Tracker, NeverMoreOftenThanTheFloor) {
  // Expedited's 4-minute window gives 30 s steps: the 60 s floor applies.
  ExpectedDuration expedited{minutes(1), minutes(5)};
  EXPECT_EQ(NextPollDelay(expedited, 1, seconds(60), 0, 0), seconds(60));
  EXPECT_EQ(NextPollDelay(expedited, 1, seconds(60), 0.2, 0.0), seconds(60));
  EXPECT_EQ(NextPollDelay(expedited, 5, minutes(10), 0.2, 0.9), minutes(10));
}

TEST(Tracker, RetryBackoffDoublesAndCaps) {
  EXPECT_EQ(RetryDelay(seconds(30), 1, 0, 0), seconds(30));
  EXPECT_EQ(RetryDelay(seconds(30), 2, 0, 0), seconds(60));
  EXPECT_EQ(RetryDelay(seconds(30), 3, 0, 0), seconds(120));
  EXPECT_EQ(RetryDelay(seconds(30), 50, 0, 0), seconds(30 * 64));
  Clock::Duration j = RetryDelay(seconds(30), 1, 0.2, 0.0);
  EXPECT_GE(j, seconds(24));
  EXPECT_LT(j, seconds(30));
}

s3::ObjectInfo Head(s3::RestoreStatus::State s, std::string cls = "GLACIER",
                    std::string archive_status = "") {
  s3::ObjectInfo i;
  i.storage_class = std::move(cls);
  i.archive_status = std::move(archive_status);
  i.restore.state = s;
  if (s == s3::RestoreStatus::State::kRestored) {
    i.restore.expiry = Clock::TimePoint(seconds(1800000000));
  }
  return i;
}

TEST(Tracker, HeadMeaningDependsOnWhatS3MayHaveSeen) {
  using K = HeadVerdict::Kind;
  using RS = s3::RestoreStatus::State;
  for (State st : {State::kPending, State::kRequested, State::kInProgress}) {
    EXPECT_EQ(InterpretHead(st, Head(RS::kOngoing)).kind, K::kOngoing);
    HeadVerdict r = InterpretHead(st, Head(RS::kRestored));
    EXPECT_EQ(r.kind, K::kRestored);
    EXPECT_EQ(r.expiry, Clock::TimePoint(seconds(1800000000)));
  }
  // No restore in sight: send if S3 may never have seen ours, else it came and went.
  EXPECT_EQ(InterpretHead(State::kPending, Head(RS::kNone)).kind, K::kResend);
  EXPECT_EQ(InterpretHead(State::kRequested, Head(RS::kNone)).kind, K::kResend);
  EXPECT_EQ(InterpretHead(State::kInProgress, Head(RS::kNone)).kind, K::kExpired);
  EXPECT_EQ(InterpretHead(State::kRestored, Head(RS::kNone)).kind, K::kExpired);
  // Intelligent-Tiering back in Frequent Access: restored, no expiry.
  HeadVerdict it = InterpretHead(State::kInProgress, Head(RS::kNone, "INTELLIGENT_TIERING"));
  EXPECT_EQ(it.kind, K::kRestored);
  EXPECT_FALSE(it.expiry.has_value());
}

TEST(TokenBucket, RefillsOnTheFakeClock) {
  FakeClock clock;
  TokenBucket b(clock, 2, 2);  // 2/s, burst 2
  Clock::TimePoint t0 = clock.Now();
  EXPECT_EQ(b.Reserve(), t0);
  EXPECT_EQ(b.Reserve(), t0);
  EXPECT_EQ(b.Reserve(), t0 + milliseconds(500));  // booked ahead
  EXPECT_EQ(b.Reserve(), t0 + milliseconds(1000));
  EXPECT_FALSE(b.TryAcquire());
  clock.Advance(seconds(10));
  EXPECT_TRUE(b.TryAcquire());
  EXPECT_TRUE(b.TryAcquire());
  EXPECT_FALSE(b.TryAcquire());  // burst caps what idle time saves up
}

TEST(TokenBucket, ZeroRateIsUnlimited) {
  FakeClock clock;
  TokenBucket b(clock, 0, 0);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(b.Reserve(), clock.Now());
}

}  // namespace
}  // namespace thaw::restore
