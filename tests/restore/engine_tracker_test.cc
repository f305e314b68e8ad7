// Tracker timing through the engine, on the FakeClock: the first HEAD comes near the earliest
// expected completion, later ones back off (with jitter) and never come more often than
// min_poll_interval; a 12-hour Deep Archive restore completes without real waiting.
#include <gtest/gtest.h>

#include "engine_test_util.h"
#include "restore/engine.h"

namespace thaw::restore::tracker_test {
namespace {

using s3::Operation;
using s3::RestoreTier;
using testing::EngineFixture;
using testing::Eventually;
using testing::Settle;
using namespace std::chrono_literals;

class EngineTracker : public EngineFixture {
 protected:
  // Moves the clock to the handle's next check and waits for the engine to have done it.
  RestoreRecord RunNextCheck(const std::shared_ptr<RestoreHandle>& h) {
    RestoreRecord before = h->Snapshot();
    EXPECT_TRUE(before.next_check_at.has_value());
    int heads = s3_.Count(Operation::kHead);
    clock_.SetTime(*before.next_check_at);
    EXPECT_TRUE(Eventually([&] {
      RestoreRecord r = h->Snapshot();
      return s3_.Count(Operation::kHead) == heads + 1 &&
             (r.next_check_at != before.next_check_at || IsTerminal(r.state));
    }));
    return h->Snapshot();
  }
};

TEST_F(EngineTracker, FirstHeadNearEarliestThenBackingOffWithJitter) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  s3_.SetRestoreDuration("GLACIER", RestoreTier::kStandard, 10h);  // still running throughout
  EngineOptions o = Options();
  o.jitter = 0.2;
  auto e = Open(o);
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  RestoreRecord rec = h->Snapshot();
  ASSERT_TRUE(rec.requested_at && rec.next_check_at && rec.eta);
  Clock::TimePoint accepted = *rec.requested_at;
  EXPECT_EQ(*rec.eta - accepted, 5h);  // GLACIER Standard: 3-5 h
  Clock::Duration first = *rec.next_check_at - accepted;
  EXPECT_GE(first, 3h);
  EXPECT_LE(first, 216min);                   // 3 h + 20 %
  EXPECT_EQ(s3_.Count(Operation::kHead), 1);  // the submit's HEAD only

  // Nothing before the scheduled time.
  clock_.SetTime(*rec.next_check_at - 1s);
  Settle();
  EXPECT_EQ(s3_.Count(Operation::kHead), 1);

  // Then steps of 15 min, 30 min, capped at 30 min, each +-20 %.
  const Clock::Duration expected[] = {15min, 30min, 30min, 30min};
  for (Clock::Duration step : expected) {
    Clock::TimePoint at = *h->Snapshot().next_check_at;
    RestoreRecord after = RunNextCheck(h);
    ASSERT_EQ(after.state, State::kInProgress);
    Clock::Duration gap = *after.next_check_at - at;
    EXPECT_GE(gap, step * 8 / 10) << "step " << step.count();
    EXPECT_LE(gap, step * 12 / 10) << "step " << step.count();
  }
}

TEST_F(EngineTracker, AnEndpointsAnnouncedTimeScaleShortensTheSchedule) {
  // A `thaw sim --time-scale 3600` endpoint: the 3-5 h GLACIER Standard window is 3-5 s.
  s3_.AddObject("b", "k", "x", "GLACIER");
  s3_.SetRestoreDuration("GLACIER", RestoreTier::kStandard, 10h);
  s3_.SetEndpointTimeScale(3600);
  auto e = Open(Options());
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  RestoreRecord rec = h->Snapshot();
  ASSERT_TRUE(rec.requested_at && rec.next_check_at && rec.eta);
  EXPECT_EQ(*rec.next_check_at - *rec.requested_at, 3s);
  EXPECT_EQ(*rec.eta - *rec.requested_at, 5s);
  RestoreRecord after = RunNextCheck(h);
  ASSERT_EQ(after.state, State::kInProgress);
  EXPECT_EQ(*after.next_check_at - *rec.next_check_at, 250ms);  // 15 min / 3600, at the floor
}

TEST_F(EngineTracker, NeverPollsMoreOftenThanTheFloor) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  s3_.SetRestoreDuration("GLACIER", RestoreTier::kExpedited, 20min);
  EngineOptions o = Options();
  o.min_poll_interval = 2min;  // Expedited's own schedule would poll every 30-60 s
  auto e = Open(o, PolicyWithDefaults(RestoreTier::kExpedited));
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  RestoreRecord rec = h->Snapshot();
  EXPECT_EQ(*rec.next_check_at - *rec.requested_at, 2min);
  for (int i = 0; i < 3; ++i) {
    Clock::TimePoint at = *h->Snapshot().next_check_at;
    RestoreRecord after = RunNextCheck(h);
    ASSERT_EQ(after.state, State::kInProgress);
    EXPECT_EQ(*after.next_check_at - at, 2min);
  }
}

TEST_F(EngineTracker, MaxPollIntervalCapsTheTierSchedule) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  s3_.SetRestoreDuration("GLACIER", RestoreTier::kBulk, 3min);  // a fast endpoint
  EngineOptions o = Options();
  o.min_poll_interval = 1s;
  o.max_poll_interval = 30s;  // Bulk's own schedule would first look after 5 h
  auto e = Open(o, PolicyWithDefaults(RestoreTier::kBulk));
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  RestoreRecord rec = h->Snapshot();
  EXPECT_EQ(*rec.next_check_at - *rec.requested_at, 30s);
  for (int i = 0; i < 20 && h->Snapshot().state == State::kInProgress; ++i) RunNextCheck(h);
  EXPECT_EQ(h->Snapshot().state, State::kRestored);
  EXPECT_LE(clock_.Now() - *rec.requested_at, 3min + 30s);
}

TEST_F(EngineTracker, TwelveHourDeepArchiveRestoreTakesNoRealTime) {
  s3_.AddObject("b", "k", "x", "DEEP_ARCHIVE");  // mock: Standard takes 12 h
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  Clock::TimePoint accepted = *h->Snapshot().requested_at;
  EXPECT_EQ(*h->Snapshot().next_check_at - accepted, 6h);
  for (int i = 0; i < 50 && h->Snapshot().state == State::kInProgress; ++i) RunNextCheck(h);
  RestoreRecord done = h->Snapshot();
  ASSERT_EQ(done.state, State::kRestored);
  EXPECT_GE(clock_.Now() - accepted, 12h);
  EXPECT_LE(clock_.Now() - accepted, 12h + 90min);  // caught within one (capped) step
  EXPECT_LE(s3_.Count(Operation::kHead), 12);
  ASSERT_TRUE(done.restore_expiry.has_value());
  EXPECT_GT(*done.restore_expiry, clock_.Now() + 24h * 6);
}

TEST_F(EngineTracker, TransientHeadErrorsDoNotFailATrackedRestore) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  s3_.FailNext(Operation::kHead, 503, "SlowDown", 3);
  for (int i = 0; i < 10 && h->Snapshot().state == State::kInProgress; ++i) RunNextCheck(h);
  EXPECT_EQ(h->Snapshot().state, State::kRestored);
}

// A process that only sends (thaw restore without --wait) leaves its restores unpolled: their
// rows keep eta and next_check_at, and the next process that tracks follows them.
TEST_F(EngineTracker, WithoutTrackingNoPollsAndTheNextProcessFollowsTheRow) {
  s3_.AddObject("b", "k", "x", "GLACIER");  // mock: Standard takes 4 h
  EngineOptions o = Options();
  o.track_in_flight = false;
  auto e = Open(o);
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  RestoreRecord rec = h->Snapshot();
  ASSERT_TRUE(rec.next_check_at && rec.eta);
  int heads = s3_.Count(Operation::kHead);
  clock_.SetTime(*rec.eta + 24h);
  Settle();
  EXPECT_EQ(s3_.Count(Operation::kHead), heads);
  EXPECT_EQ(h->Snapshot().state, State::kInProgress);
  e.reset();

  auto tracking = Open();  // resumes the row: one HEAD shows the copy
  ASSERT_TRUE(Eventually([&] {
    auto row = tracking->Query({"b", "k", ""});
    return row.ok() && row->state == State::kRestored;
  }));
  EXPECT_EQ(s3_.Count(Operation::kHead), heads + 1);
}

}  // namespace
}  // namespace thaw::restore::tracker_test
