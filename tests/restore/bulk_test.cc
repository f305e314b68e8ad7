// BulkRestore on the mock S3 and the fake clock: readable listing entries cost no request and
// no journal row, known listing info saves HEADs, the window bounds what is in flight, a dry
// run sends and journals nothing, and wait mode follows restores to the end.
#include "restore/bulk.h"

#include <gtest/gtest.h>

#include <thread>

#include "engine_test_util.h"

namespace thaw::restore {
namespace {

using s3::Operation;
using s3::RestoreTier;
using namespace std::chrono_literals;

class BulkTest : public testing::EngineFixture {
 protected:
  std::unique_ptr<Engine> OpenWith(RestoreProgress& p, EngineOptions o) {
    o.on_change = [&p](const RestoreRecord& r) { p.Observe(r); };
    return Open(o, PolicyWithDefaults(RestoreTier::kBulk, 3));
  }
  s3::ObjectInfo Known(const std::string& key, const std::string& cls) {
    s3::ObjectInfo i;
    i.bucket = "bkt";
    i.key = key;
    i.size = 10;
    i.storage_class = cls;
    return i;
  }
};

TEST_F(BulkTest, RestoresArchivedSkipsReadableWithoutRequests) {
  for (int i = 0; i < 10; ++i) s3_.AddObject("bkt", "g" + std::to_string(i), "x", "GLACIER");
  for (int i = 0; i < 5; ++i) s3_.AddObject("bkt", "s" + std::to_string(i), "x", "STANDARD");
  RestoreProgress p(false);
  auto e = OpenWith(p, Options());
  BulkRestore bulk(*e, p, clock_, BulkOptions{});
  for (int i = 0; i < 10; ++i) bulk.Add({"bkt", "g" + std::to_string(i), ""}, std::nullopt);
  for (int i = 0; i < 5; ++i) {
    bulk.Add({"bkt", "s" + std::to_string(i), ""}, Known("s" + std::to_string(i), "STANDARD"));
  }
  ASSERT_TRUE(bulk.Finish(clock_.Now() + 1h).ok());
  ProgressCounts c = p.Counts();
  EXPECT_EQ(c.scanned, 15);
  EXPECT_EQ(c.archived, 10);
  EXPECT_EQ(c.requested, 10);
  EXPECT_EQ(c.in_progress, 10);
  EXPECT_EQ(c.skipped, 5);
  EXPECT_EQ(s3_.Count(Operation::kRestore), 10);
  EXPECT_EQ(s3_.Count(Operation::kHead), 10);  // none for the readable ones
  for (const auto& r : s3_.RestoreRequests()) {
    EXPECT_EQ(r.tier, RestoreTier::kBulk);
    EXPECT_EQ(r.days, 3);
  }
  auto rows = e->List("bkt", "");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 10u);  // readable objects leave no journal row
}

TEST_F(BulkTest, KnownArchivedInfoSavesTheHead) {
  s3_.AddObject("bkt", "g", "x", "GLACIER");
  RestoreProgress p(false);
  auto e = OpenWith(p, Options());
  BulkRestore bulk(*e, p, clock_, BulkOptions{});
  bulk.Add({"bkt", "g", ""}, Known("g", "GLACIER"));
  ASSERT_TRUE(bulk.Finish(clock_.Now() + 1h).ok());
  EXPECT_EQ(p.Counts().requested, 1);
  EXPECT_EQ(s3_.Count(Operation::kHead), 0);
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);
}

TEST_F(BulkTest, WindowBoundsUnsettledObjects) {
  for (int i = 0; i < 40; ++i) s3_.AddObject("bkt", "g" + std::to_string(i), "x", "GLACIER");
  std::atomic<int> in_call{0}, max_in_call{0};
  s3_.SetHook([&](Operation op) {
    if (op != Operation::kRestore) return;
    int n = ++in_call;
    int m = max_in_call.load();
    while (n > m && !max_in_call.compare_exchange_weak(m, n)) {
    }
    std::this_thread::sleep_for(2ms);
    --in_call;
  });
  RestoreProgress p(false);
  EngineOptions o = Options();
  o.limits.max_concurrency = 8;
  auto e = OpenWith(p, o);
  BulkOptions bo;
  bo.window = 3;
  BulkRestore bulk(*e, p, clock_, bo);
  int64_t max_unsettled = 0;
  for (int i = 0; i < 40; ++i) {
    bulk.Add({"bkt", "g" + std::to_string(i), ""}, std::nullopt);
    max_unsettled = std::max(max_unsettled, p.Unsettled());
  }
  ASSERT_TRUE(bulk.Finish(clock_.Now() + 1h).ok());
  EXPECT_LE(max_unsettled, 3);
  EXPECT_LE(max_in_call.load(), 3);
  EXPECT_EQ(p.Counts().requested, 40);
}

TEST_F(BulkTest, DryRunSendsAndJournalsNothing) {
  for (int i = 0; i < 6; ++i) s3_.AddObject("bkt", "d" + std::to_string(i), "x", "DEEP_ARCHIVE");
  s3_.AddObject("bkt", "s", "x", "STANDARD");
  RestoreProgress p(false);
  auto e = OpenWith(p, Options());
  BulkOptions bo;
  bo.dry_run = true;
  bo.plan_threads = 3;
  {
    BulkRestore bulk(*e, p, clock_, bo);
    for (int i = 0; i < 6; ++i) bulk.Add({"bkt", "d" + std::to_string(i), ""}, std::nullopt);
    bulk.Add({"bkt", "s", ""}, std::nullopt);  // HEADed, then skipped by the policy
    ASSERT_TRUE(bulk.Finish(clock_.Now() + 1h).ok());
  }
  ProgressCounts c = p.Counts();
  EXPECT_EQ(c.requested, 6);
  EXPECT_EQ(c.archived, 6);
  EXPECT_EQ(c.skipped, 1);
  EXPECT_EQ(s3_.Count(Operation::kRestore), 0);
  auto rows = e->List("", "");
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());
  CostSummary s = p.DryRunSummary();
  ASSERT_EQ(s.lines().size(), 1u);
  EXPECT_EQ(s.lines().begin()->first.first, "DEEP_ARCHIVE");
  EXPECT_EQ(s.lines().begin()->first.second, RestoreTier::kBulk);
  EXPECT_EQ(s.Total().objects, 6);
}

TEST_F(BulkTest, WaitModeFinishesWhenRestoresComplete) {
  for (int i = 0; i < 3; ++i) s3_.AddObject("bkt", "g" + std::to_string(i), "x", "GLACIER");
  RestoreProgress p(/*wait_for_completion=*/true);
  EngineOptions o = Options();
  o.min_poll_interval = 1s;
  o.max_poll_interval = 10min;
  auto e = OpenWith(p, o);
  BulkRestore bulk(*e, p, clock_, BulkOptions{});
  for (int i = 0; i < 3; ++i) bulk.Add({"bkt", "g" + std::to_string(i), ""}, std::nullopt);
  std::atomic<bool> done{false};
  std::thread advancer([&] {
    while (!done) {
      clock_.Advance(5min);  // mock Bulk restores take 8 h
      std::this_thread::sleep_for(1ms);
    }
  });
  // The advancer does not wait for the engine: a deadline far beyond the 8 h restores keeps a
  // slow (loaded) engine from seeing time run out while it still has HEADs to make.
  Status s = bulk.Finish(clock_.Now() + 24h * 60);
  done = true;
  advancer.join();
  ASSERT_TRUE(s.ok()) << s.ToString();
  ProgressCounts c = p.Counts();
  EXPECT_EQ(c.requested, 3);
  EXPECT_EQ(c.restored, 3);
  EXPECT_EQ(c.in_progress, 0);
}

TEST_F(BulkTest, FinishReportsDeadline) {
  s3_.AddObject("bkt", "g", "x", "GLACIER");
  RestoreProgress p(/*wait_for_completion=*/true);
  auto e = OpenWith(p, Options());
  BulkRestore bulk(*e, p, clock_, BulkOptions{});
  bulk.Add({"bkt", "g", ""}, std::nullopt);
  ASSERT_TRUE(testing::Eventually([&] { return p.Counts().in_progress == 1; }));
  Clock::TimePoint deadline = clock_.Now() + 1h;
  std::thread t([&] {
    testing::Eventually([&] { return clock_.waiters() > 0; });
    clock_.SetTime(deadline);
  });
  Status s = bulk.Finish(deadline);
  t.join();
  EXPECT_EQ(s.code(), StatusCode::kDeadlineExceeded) << s.ToString();
}

}  // namespace
}  // namespace thaw::restore
