// RestoreProgress: how records become the summary's counters (requested vs already restored
// vs already running, skipped by reason, failed), settling with and without wait mode, and
// that objects nobody tracked are ignored.
#include "restore/progress.h"

#include <gtest/gtest.h>

namespace thaw::restore {
namespace {

RestoreRecord Rec(const std::string& key, State state, const std::string& cls = "GLACIER") {
  RestoreRecord r;
  r.object = {"bkt", key, ""};
  r.state = state;
  r.storage_class = cls;
  r.size_bytes = 100;
  r.estimated_cost_usd = 0.5;
  return r;
}

TEST(RestoreProgress, SentAndAcceptedCountsAsRequested) {
  RestoreProgress p(/*wait_for_completion=*/false);
  p.Scanned();
  p.Track({"bkt", "a", ""});
  EXPECT_EQ(p.Counts().pending, 1);
  p.Observe(Rec("a", State::kPending));
  p.Observe(Rec("a", State::kRequested));
  RestoreRecord r = Rec("a", State::kInProgress);
  r.eta = Clock::TimePoint(std::chrono::hours(1000));
  p.Observe(r);
  ProgressCounts c = p.Counts();
  EXPECT_EQ(c.scanned, 1);
  EXPECT_EQ(c.archived, 1);
  EXPECT_EQ(c.requested, 1);
  EXPECT_EQ(c.in_progress, 1);
  EXPECT_EQ(c.pending, 0);
  EXPECT_EQ(c.requested_bytes, 100u);
  EXPECT_DOUBLE_EQ(c.estimated_cost_usd, 0.5);
  EXPECT_EQ(c.latest_eta, r.eta);
  EXPECT_EQ(p.Unsettled(), 0);  // accepted is settled without wait mode
}

TEST(RestoreProgress, NoRequestMeansAlreadyRestoredOrAlreadyRunning) {
  RestoreProgress p(false);
  p.Track({"bkt", "a", ""});
  p.Track({"bkt", "b", ""});
  p.Observe(Rec("a", State::kRestored));
  p.Observe(Rec("b", State::kInProgress));
  ProgressCounts c = p.Counts();
  EXPECT_EQ(c.archived, 2);
  EXPECT_EQ(c.requested, 0);
  EXPECT_EQ(c.already_restored, 1);
  EXPECT_EQ(c.already_in_progress, 1);
  EXPECT_EQ(c.restored, 1);
  EXPECT_EQ(c.in_progress, 1);
  EXPECT_DOUBLE_EQ(c.estimated_cost_usd, 0);
}

TEST(RestoreProgress, SkippedByReasonAndFailed) {
  RestoreProgress p(false);
  p.NotArchived();
  p.Track({"bkt", "it", ""});
  RestoreRecord it = Rec("it", State::kSkipped, "INTELLIGENT_TIERING");
  it.reason = Reason::kNotArchived;
  p.Observe(it);
  p.Track({"bkt", "deny", ""});
  RestoreRecord deny = Rec("deny", State::kSkipped);
  deny.reason = Reason::kDenied;
  p.Observe(deny);
  p.Track({"bkt", "gone", ""});
  RestoreRecord gone = Rec("gone", State::kFailed, "");
  gone.reason = Reason::kNotFound;
  gone.error = "NoSuchKey";
  p.Observe(gone);
  p.Failed({"bkt", "journal", ""}, Status::Internal("disk full"));
  ProgressCounts c = p.Counts();
  EXPECT_EQ(c.skipped, 3);
  EXPECT_EQ(c.skipped_by_reason["not_archived"], 2);
  EXPECT_EQ(c.skipped_by_reason["denied"], 1);
  EXPECT_EQ(c.archived, 1);  // the denied GLACIER object; the others are not archived
  EXPECT_EQ(c.failed, 2);
  EXPECT_EQ(c.first_error, "s3://bkt/gone: NoSuchKey");
}

TEST(RestoreProgress, WaitModeFollowsUntilRestored) {
  RestoreProgress p(/*wait_for_completion=*/true);
  p.Track({"bkt", "a", ""});
  p.Observe(Rec("a", State::kRequested));
  p.Observe(Rec("a", State::kInProgress));
  EXPECT_EQ(p.Unsettled(), 1);
  EXPECT_EQ(p.Counts().in_progress, 1);
  p.Observe(Rec("a", State::kRequested));  // a stale snapshot must not move it back
  EXPECT_EQ(p.Counts().in_progress, 1);
  p.Observe(Rec("a", State::kRestored));
  ProgressCounts c = p.Counts();
  EXPECT_EQ(c.requested, 1);
  EXPECT_EQ(c.in_progress, 0);
  EXPECT_EQ(c.restored, 1);
  EXPECT_EQ(c.already_restored, 0);
  EXPECT_EQ(p.Unsettled(), 0);
}

TEST(RestoreProgress, UntrackedRecordsAreIgnored) {
  RestoreProgress p(false);
  p.Observe(Rec("other", State::kInProgress));
  ProgressCounts c = p.Counts();
  EXPECT_EQ(c.archived, 0);
  EXPECT_EQ(c.in_progress, 0);
}

TEST(RestoreProgress, WaitUnsettledAtMostWakesOnSettle) {
  FakeClock clock;
  RestoreProgress p(false);
  p.Track({"bkt", "a", ""});
  EXPECT_FALSE(p.WaitUnsettledAtMost(0, clock, clock.Now()));  // deadline already reached
  std::thread t([&] { p.Observe(Rec("a", State::kRestored)); });
  EXPECT_TRUE(p.WaitUnsettledAtMost(0, clock, clock.Now() + std::chrono::hours(1)));
  t.join();
}

TEST(RestoreProgress, DryRunDecisionsFillTheCostSummary) {
  RestoreProgress p(false);
  Decision d;
  d.action = Decision::Action::kRestore;
  d.kind = ArchiveKind::kDeepArchive;
  d.tier = s3::RestoreTier::kStandard;
  d.days = 3;
  d.size_bytes = 1ull << 30;
  d.cost = EstimateCost(ArchiveKind::kDeepArchive, s3::RestoreTier::kStandard, d.size_bytes, 3);
  p.Planned(d);
  p.Planned(d);
  Decision skip;
  skip.action = Decision::Action::kSkip;
  skip.reason_code = "not_archived";
  p.Planned(skip);
  ProgressCounts c = p.Counts();
  EXPECT_EQ(c.requested, 2);
  EXPECT_EQ(c.archived, 2);
  EXPECT_EQ(c.skipped, 1);
  // DEEP_ARCHIVE Standard: $0.10 per 1,000 requests + $0.02 per GB.
  EXPECT_NEAR(c.estimated_cost_usd, 2 * (0.10 / 1000 + 0.02), 1e-9);
  CostSummary s = p.DryRunSummary();
  ASSERT_EQ(s.lines().size(), 1u);
  EXPECT_EQ(s.Total().objects, 2);
}

}  // namespace
}  // namespace thaw::restore
