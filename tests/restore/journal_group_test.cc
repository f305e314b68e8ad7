// Group commit in restore/journal: many writers share transactions, async writes are applied in
// queue order with sync ones, their callbacks run once durable (a second connection sees the
// row by then), reads in the same process see every earlier write, and nothing queued is lost
// when the journal closes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "restore/journal.h"
#include "support/test_env.h"

namespace thaw::restore {
namespace {

RestoreRecord Row(const std::string& key, State state) {
  RestoreRecord r;
  r.object = {"b", key, ""};
  r.state = state;
  r.updated_at = Clock::TimePoint(std::chrono::seconds(1700000000));
  return r;
}

TEST(JournalGroupCommit, ConcurrentSyncWritersAllDurable) {
  testing::TempDir dir;
  auto j = *Journal::Open(dir.path());
  std::vector<std::thread> writers;
  for (int t = 0; t < 16; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(j->Put(Row(std::to_string(t) + "/" + std::to_string(i), State::kPending)).ok());
      }
    });
  }
  for (auto& w : writers) w.join();
  auto other = *Journal::Open(dir.path());  // another connection: what is on disk
  EXPECT_EQ(other->List("b", "")->size(), 800u);
}

TEST(JournalGroupCommit, AsyncCallbackRunsOnceTheRowIsVisibleToOthers) {
  testing::TempDir dir;
  auto j = *Journal::Open(dir.path());
  auto other = *Journal::Open(dir.path());
  std::atomic<int> called{0};
  for (int i = 0; i < 100; ++i) {
    std::string key = "k" + std::to_string(i);
    j->PutAsync(Row(key, State::kInProgress), [&](const Status& s) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      ++called;
    });
  }
  j->Flush();
  EXPECT_EQ(called.load(), 100);
  EXPECT_EQ(other->List("b", "")->size(), 100u);
}

TEST(JournalGroupCommit, AsyncWritesWaitForASyncWriteAndShareItsCommit) {
  testing::TempDir dir;
  auto j = *Journal::Open(dir.path(), {.async_hold = std::chrono::seconds(60)});
  auto other = *Journal::Open(dir.path());
  std::atomic<int> called{0};
  for (int i = 0; i < 50; ++i) {
    j->PutAsync(Row("a" + std::to_string(i), State::kInProgress), [&](const Status&) { ++called; });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Held back: nobody waits for these rows, so they wait for company.
  EXPECT_EQ(called.load(), 0);
  EXPECT_EQ(j->commits(), 0u);
  EXPECT_TRUE(other->List("b", "")->empty());
  ASSERT_TRUE(j->Put(Row("sync", State::kRequested)).ok());
  EXPECT_EQ(called.load(), 50);  // their callbacks ran before the sync writer was released
  EXPECT_EQ(j->commits(), 1u);
  EXPECT_EQ(other->List("b", "")->size(), 51u);
}

TEST(JournalGroupCommit, FlushAndCloseEndTheHoldOfAsyncWrites) {
  testing::TempDir dir;
  auto start = std::chrono::steady_clock::now();
  {
    auto j = *Journal::Open(dir.path(), {.async_hold = std::chrono::seconds(60)});
    j->PutAsync(Row("flushed", State::kInProgress), nullptr);
    j->Flush();
    EXPECT_EQ(j->commits(), 1u);
    j->PutAsync(Row("closed", State::kInProgress), nullptr);
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  auto other = *Journal::Open(dir.path());
  EXPECT_EQ(other->List("b", "")->size(), 2u);
}

TEST(JournalGroupCommit, QueueOrderIsKeptBetweenAsyncAndSyncWrites) {
  testing::TempDir dir;
  auto j = *Journal::Open(dir.path());
  std::vector<std::string> order;
  std::mutex mu;
  j->PutAsync(Row("x", State::kPending), [&](const Status&) {
    std::lock_guard<std::mutex> g(mu);
    order.push_back("pending");
  });
  j->PutAsync(Row("x", State::kInProgress), [&](const Status&) {
    std::lock_guard<std::mutex> g(mu);
    order.push_back("in_progress");
  });
  // A later sync write of the same row wins, and returns only after the earlier callbacks ran.
  ASSERT_TRUE(j->Put(Row("x", State::kRestored)).ok());
  {
    std::lock_guard<std::mutex> g(mu);
    EXPECT_EQ(order, (std::vector<std::string>{"pending", "in_progress"}));
  }
  EXPECT_EQ((*j->Get({"b", "x", ""}))->state, State::kRestored);
}

TEST(JournalGroupCommit, ReadsSeeEarlierAsyncWritesAndCloseLosesNothing) {
  testing::TempDir dir;
  {
    auto j = *Journal::Open(dir.path());
    j->PutAsync(Row("r", State::kInProgress), nullptr);
    auto got = j->Get({"b", "r", ""});  // same process: waits for the queue
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->state, State::kInProgress);
    for (int i = 0; i < 500; ++i)
      j->PutAsync(Row("late" + std::to_string(i), State::kPending), nullptr);
  }  // closed with writes queued
  auto reopened = *Journal::Open(dir.path());
  EXPECT_EQ(reopened->List("b", "late")->size(), 500u);
}

TEST(JournalGroupCommit, ResultsRefundAFailedRowsChargeOnce) {
  testing::TempDir dir;
  auto j = *Journal::Open(dir.path());
  const std::string day = "2026-12-04";
  BudgetUse used;
  ASSERT_TRUE(*j->Charge(day, 300, 0.30, 0, 0, &used));  // a job of three objects
  std::vector<RestoreRecord> results;
  for (auto [key, state] : {std::pair{"ok", State::kInProgress},
                            {"gone", State::kFailed},
                            {"denied", State::kFailed}}) {
    RestoreRecord r = Row(key, state);
    r.budget_day = day;
    r.size_bytes = 100;
    r.estimated_cost_usd = 0.10;
    results.push_back(r);
  }
  ASSERT_TRUE(j->PutResults(results).ok());
  auto after = j->BudgetUsed(day);
  EXPECT_EQ(after->bytes, 100u);
  EXPECT_NEAR(after->cost_usd, 0.10, 1e-9);
  // A rerun writes the same results: already failed rows are not refunded again.
  ASSERT_TRUE(j->PutResults(results).ok());
  EXPECT_EQ(j->BudgetUsed(day)->bytes, 100u);
  EXPECT_EQ((*j->Get({"b", "gone", ""}))->state, State::kFailed);
}

}  // namespace
}  // namespace thaw::restore
