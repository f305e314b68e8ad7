// Endpoint estimates from GET timings, a reader's rate on a fake clock, and the read-ahead
// sized from both: S3-like links keep a long window, a link next door gets a short one.
#include "fs/link_estimate.h"

#include <gtest/gtest.h>

#include <chrono>

namespace thaw::fs {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
constexpr uint64_t kMiB = 1 << 20;

// A GET of `bytes` on a link that answers after `latency` and then sends `rate` bytes/s, read
// by a thread that came to it `late` after the first byte was there (the bytes meanwhile waited
// in the socket): its time to first byte and body time as the reader measures them.
void AddGet(LinkEstimate& link, uint64_t bytes, milliseconds latency, double rate,
            milliseconds late = milliseconds(0)) {
  auto total = latency + std::chrono::duration_cast<LinkEstimate::Duration>(
                             std::chrono::duration<double>(static_cast<double>(bytes) / rate));
  auto ttfb = std::chrono::duration_cast<LinkEstimate::Duration>(latency + late);
  link.OnGet(bytes, ttfb, total - ttfb);
}

TEST(LinkEstimate, KnowsNothingUntilEnoughGets) {
  LinkEstimate link;
  for (size_t i = 0; i + 1 < LinkEstimate::kMinSamples; ++i) {
    AddGet(link, 8 * kMiB, milliseconds(20), 90e6);
  }
  EXPECT_FALSE(link.GetTime(8 * kMiB).has_value());
  AddGet(link, 8 * kMiB, milliseconds(20), 90e6);
  ASSERT_TRUE(link.GetTime(8 * kMiB).has_value());
}

TEST(LinkEstimate, NeedsAGetLargeEnoughForARate) {
  LinkEstimate link;
  for (size_t i = 0; i < LinkEstimate::kMinSamples; ++i) {
    AddGet(link, 256 << 10, milliseconds(20), 90e6);
  }
  EXPECT_FALSE(link.GetTime(8 * kMiB).has_value());
}

TEST(LinkEstimate, AnS3LikeLinkKeepsAWindowOfHundredsOfMiB) {
  // 20 ms to the first byte, 90 MB/s per GET: a part of 8 MiB takes 113 ms.
  LinkEstimate link;
  for (int i = 0; i < 16; ++i) AddGet(link, 8 * kMiB, milliseconds(20), 90e6);
  auto t = link.GetTime(8 * kMiB);
  ASSERT_TRUE(t.has_value());
  EXPECT_NEAR(std::chrono::duration<double>(*t).count(), 0.020 + 8.0 * kMiB / 90e6, 0.001);
  // A reader at 1 GB/s needs more than the mount's largest window (256 MiB) requested ahead.
  EXPECT_GT(ReadAheadFor(1e9, *t, 8 * kMiB), 256 * kMiB);
  // One at 100 MB/s (a program working on what it reads) needs far less.
  EXPECT_LT(ReadAheadFor(100e6, *t, 8 * kMiB), 64 * kMiB);
}

TEST(LinkEstimate, ALinkNextDoorGetsAShortWindow) {
  // Half a millisecond to the first byte, 1.6 GB/s per GET.
  LinkEstimate link;
  for (int i = 0; i < 16; ++i) {
    link.OnGet(8 * kMiB, microseconds(500), std::chrono::nanoseconds(5'300'000));
  }
  auto t = link.GetTime(8 * kMiB);
  ASSERT_TRUE(t.has_value());
  uint64_t ahead = ReadAheadFor(1.4e9, *t, 8 * kMiB);
  EXPECT_GT(ahead, 8 * kMiB);
  EXPECT_LT(ahead, 48 * kMiB);
}

TEST(LinkEstimate, GetsSlowedByOthersDoNotHideTheLinksSpeed) {
  // Most GETs shared the link with many others; the fastest tenth shows what it can do.
  LinkEstimate link;
  for (int i = 0; i < 16; ++i) AddGet(link, 8 * kMiB, milliseconds(5), 60e6);
  for (int i = 0; i < 4; ++i) AddGet(link, 8 * kMiB, milliseconds(1), 1.6e9);
  auto t = link.GetTime(8 * kMiB);
  ASSERT_TRUE(t.has_value());
  EXPECT_LT(*t, milliseconds(7));
}

TEST(LinkEstimate, OneBurstFasterThanTheLinkDoesNotShortenTheEstimate) {
  LinkEstimate link;
  for (int i = 0; i < 20; ++i) AddGet(link, 8 * kMiB, milliseconds(20), 90e6);
  AddGet(link, 8 * kMiB, milliseconds(20), 400e6);
  auto t = link.GetTime(8 * kMiB);
  ASSERT_TRUE(t.has_value());
  EXPECT_NEAR(std::chrono::duration<double>(*t).count(), 0.020 + 8.0 * kMiB / 90e6, 0.001);
}

TEST(LinkEstimate, ABodyThatWaitedInTheSocketDoesNotLookFasterThanTheLink) {
  // S3-like GETs read on time, and one whose thread came 60 ms late: its body (3/4 of it
  // already buffered) took a fraction of the link's time, but the GET as a whole did not.
  LinkEstimate link;
  for (int i = 0; i < 10; ++i) AddGet(link, 8 * kMiB, milliseconds(20), 90e6);
  auto on_time = link.GetTime(8 * kMiB);
  AddGet(link, 8 * kMiB, milliseconds(20), 90e6, milliseconds(60));
  auto with_late = link.GetTime(8 * kMiB);
  ASSERT_TRUE(on_time && with_late);
  EXPECT_NEAR(std::chrono::duration<double>(*with_late).count(),
              std::chrono::duration<double>(*on_time).count(), 0.001);
}

TEST(LinkEstimate, FollowsALinkThatChanged) {
  LinkEstimate link;
  for (int i = 0; i < 16; ++i) AddGet(link, 8 * kMiB, milliseconds(1), 1.6e9);
  EXPECT_LT(*link.GetTime(8 * kMiB), milliseconds(10));
  // The endpoint now answers like S3: once the fast samples have aged out, so does the estimate.
  for (size_t i = 0; i < LinkEstimate::kSamples; ++i) {
    AddGet(link, 8 * kMiB, milliseconds(20), 90e6);
  }
  EXPECT_GT(*link.GetTime(8 * kMiB), milliseconds(100));
}

TEST(LinkEstimate, IgnoresGetsThatTookNoTime) {
  LinkEstimate link;
  for (int i = 0; i < 16; ++i) AddGet(link, 8 * kMiB, milliseconds(20), 90e6);
  auto before = link.GetTime(8 * kMiB);
  for (int i = 0; i < 16; ++i) link.OnGet(8 * kMiB, milliseconds(0), milliseconds(0));
  EXPECT_EQ(link.GetTime(8 * kMiB), before);
}

TEST(LinkEstimate, TheLeastPartIsSmallAgainstS3AndLargeWhereEveryGetCostsMuch) {
  // S3-like: 20 ms, then 90 MB/s. 90 MB/s x 20 ms / 8 is about 220 KiB.
  LinkEstimate s3;
  for (int i = 0; i < 16; ++i) AddGet(s3, 3 * kMiB / 2, milliseconds(20), 90e6);
  auto least = s3.LeastPartBytes();
  ASSERT_TRUE(least.has_value());
  EXPECT_NEAR(static_cast<double>(*least), 90e6 * 0.020 / 8, 10e3);
  // A server that works 200 ms on each GET before its first byte, then sends 1.5 MiB in 2 ms.
  LinkEstimate slow;
  for (int i = 0; i < 16; ++i) {
    slow.OnGet(3 * kMiB / 2, milliseconds(200), milliseconds(2));
  }
  least = slow.LeastPartBytes();
  ASSERT_TRUE(least.has_value());
  EXPECT_GE(*least, 16 * kMiB);
  // One that sent each body in one piece (no measurable body time) gives a bound, not a crash.
  LinkEstimate instant;
  for (int i = 0; i < 16; ++i) instant.OnGet(2 * kMiB, milliseconds(200), microseconds(0));
  EXPECT_GE(instant.LeastPartBytes().value_or(0), 64 * kMiB);
}

TEST(LinkEstimate, TheLeastPartNeedsEnoughLargeGets) {
  LinkEstimate link;
  for (size_t i = 0; i < LinkEstimate::kMinSamples; ++i) {
    link.OnGet(256 << 10, milliseconds(200), microseconds(300));
  }
  EXPECT_FALSE(link.LeastPartBytes().has_value());  // bodies too short to say a rate
  for (size_t i = 0; i < LinkEstimate::kMinSamples / 2; ++i) {
    link.OnGet(2 * kMiB, milliseconds(200), milliseconds(2));
  }
  EXPECT_TRUE(link.LeastPartBytes().has_value());
}

TEST(LinkEstimate, BodiesReadLateDoNotRaiseTheLeastPart) {
  // S3-like GETs, a third of them read by a thread that came 15 ms late (the body then seems
  // to take 2 ms): the median stays with the GETs read on time.
  LinkEstimate link;
  for (int i = 0; i < 20; ++i) {
    AddGet(link, 3 * kMiB / 2, milliseconds(20), 90e6, milliseconds(i % 3 == 0 ? 15 : 0));
  }
  EXPECT_LT(link.LeastPartBytes().value_or(UINT64_MAX), 512u << 10);
}

TEST(ReadRate, IsTheRunsBytesOverItsTime) {
  FakeClock clock;
  ReadRate rate(clock);
  rate.Restart();
  rate.OnConsumed(kMiB);
  EXPECT_FALSE(rate.BytesPerSecond().has_value());  // no time has passed
  for (int i = 2; i <= 20; ++i) {
    clock.Advance(milliseconds(1));
    rate.OnConsumed(i * kMiB);
  }
  ASSERT_TRUE(rate.BytesPerSecond().has_value());
  EXPECT_NEAR(*rate.BytesPerSecond(), 20.0 * kMiB / 0.019, 1e3);
  // A new run starts from nothing.
  rate.Restart();
  rate.OnConsumed(kMiB);
  EXPECT_FALSE(rate.BytesPerSecond().has_value());
}

TEST(ReadRate, FollowsTheRateNowNotTheRunsAverage) {
  FakeClock clock;
  ReadRate rate(clock);
  rate.Restart();
  uint64_t bytes = 0;
  // A slow start (the first round trips), then 1 MiB per millisecond.
  for (int i = 0; i < 50; ++i) {
    clock.Advance(std::chrono::milliseconds(4));
    rate.OnConsumed(bytes += kMiB);
  }
  for (int i = 0; i < 200; ++i) {
    clock.Advance(std::chrono::milliseconds(1));
    rate.OnConsumed(bytes += kMiB);
  }
  ASSERT_TRUE(rate.BytesPerSecond().has_value());
  EXPECT_NEAR(*rate.BytesPerSecond(), 1000.0 * kMiB, 20.0 * kMiB);
}

TEST(ReadRate, APauseOfTheReaderCountsOnlyUpToTheMaximumGap) {
  FakeClock clock;
  ReadRate rate(clock);
  rate.Restart();
  uint64_t bytes = 0;
  for (int i = 0; i < 200; ++i) {
    clock.Advance(milliseconds(1));
    rate.OnConsumed(bytes += kMiB);
  }
  double before = *rate.BytesPerSecond();
  clock.Advance(std::chrono::seconds(30));  // the program works on what it read
  rate.OnConsumed(bytes += kMiB);
  ASSERT_TRUE(rate.BytesPerSecond().has_value());
  // The 30 s count as kMaxGap (20 ms) within the last 100 ms.
  EXPECT_GT(*rate.BytesPerSecond(), 0.75 * before);
}

}  // namespace
}  // namespace thaw::fs
