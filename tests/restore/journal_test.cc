// Tests for restore/journal: records round-trip every field, survive reopening, the database
// is in WAL mode, several connections (processes) can write at once, and budget charges are
// atomic and persistent.
#include "restore/journal.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "support/test_env.h"

namespace thaw::restore {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

const Clock::TimePoint kT(std::chrono::seconds(1700000000));

RestoreRecord FullRecord() {
  RestoreRecord r;
  r.object = {"bucket", "dir/key with space%_.h5", "v42"};
  r.state = State::kInProgress;
  r.tier = s3::RestoreTier::kBulk;
  r.days = 3;
  r.source = Source::kMount;
  r.storage_class = "INTELLIGENT_TIERING";
  r.archive_status = "ARCHIVE_ACCESS";
  r.size_bytes = uint64_t{5} << 40;
  r.estimated_cost_usd = 1.25;
  r.submitted_at = kT;
  r.requested_at = kT + milliseconds(1500);
  r.eta = kT + hours(12);
  r.restore_expiry = kT + hours(100);
  r.next_check_at = kT + hours(5);
  r.reason = Reason::kOverBudget;
  r.error = "why";
  r.note = "note";
  r.attempts = 2;
  r.wait_for_budget = true;
  r.budget_day = "2023-11-14";
  r.updated_at = kT + hours(1);
  return r;
}

void ExpectSame(const RestoreRecord& a, const RestoreRecord& b) {
  EXPECT_EQ(a.object, b.object);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.tier, b.tier);
  EXPECT_EQ(a.days, b.days);
  EXPECT_EQ(a.source, b.source);
  EXPECT_EQ(a.storage_class, b.storage_class);
  EXPECT_EQ(a.archive_status, b.archive_status);
  EXPECT_EQ(a.size_bytes, b.size_bytes);
  EXPECT_DOUBLE_EQ(a.estimated_cost_usd, b.estimated_cost_usd);
  EXPECT_EQ(a.submitted_at, b.submitted_at);
  EXPECT_EQ(a.requested_at, b.requested_at);
  EXPECT_EQ(a.eta, b.eta);
  EXPECT_EQ(a.restore_expiry, b.restore_expiry);
  EXPECT_EQ(a.next_check_at, b.next_check_at);
  EXPECT_EQ(a.reason, b.reason);
  EXPECT_EQ(a.error, b.error);
  EXPECT_EQ(a.note, b.note);
  EXPECT_EQ(a.attempts, b.attempts);
  EXPECT_EQ(a.wait_for_budget, b.wait_for_budget);
  EXPECT_EQ(a.budget_day, b.budget_day);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

TEST(Journal, RoundTripsEveryFieldAndSurvivesReopen) {
  thaw::testing::TempDir dir;
  std::string state = dir.path() + "/a/b/state";  // parents are created
  RestoreRecord full = FullRecord();
  RestoreRecord sparse;
  sparse.object = {"bucket", "other", ""};
  sparse.updated_at = kT;
  {
    auto j = Journal::Open(state);
    ASSERT_TRUE(j.ok()) << j.status().ToString();
    ASSERT_TRUE((*j)->Put(full).ok());
    ASSERT_TRUE((*j)->Put(sparse).ok());
    auto got = (*j)->Get(full.object);
    ASSERT_TRUE(got.ok() && got->has_value());
    ExpectSame(**got, full);
  }
  auto j = Journal::Open(state);
  ASSERT_TRUE(j.ok());
  auto got = (*j)->Get(full.object);
  ASSERT_TRUE(got.ok() && got->has_value());
  ExpectSame(**got, full);
  auto s = (*j)->Get(sparse.object);
  ASSERT_TRUE(s.ok() && s->has_value());
  ExpectSame(**s, sparse);
  EXPECT_FALSE((*(*j)->Get({"bucket", "dir/key with space%_.h5", ""})).has_value());

  // One row per object: a later Put replaces it.
  full.state = State::kRestored;
  ASSERT_TRUE((*j)->Put(full).ok());
  EXPECT_EQ((*(*j)->Get(full.object))->state, State::kRestored);
  EXPECT_EQ((*j)->List("", "")->size(), 2u);
}

TEST(Journal, IsInWalMode) {
  thaw::testing::TempDir dir;
  auto j = Journal::Open(dir.path());
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(*(*j)->JournalMode(), "wal");
  ASSERT_TRUE((*j)->Put(FullRecord()).ok());
  EXPECT_EQ((*j)->path(), dir.path() + "/journal.db");
  EXPECT_TRUE(std::filesystem::exists(dir.path() + "/journal.db-wal"));
}

TEST(Journal, NonTerminalAndListByPrefix) {
  thaw::testing::TempDir dir;
  auto j = *Journal::Open(dir.path());
  const std::pair<std::string, State> rows[] = {
      {"p/pending", State::kPending},    {"p/requested", State::kRequested},
      {"p/running", State::kInProgress}, {"p/restored", State::kRestored},
      {"q/expired", State::kExpired},    {"q/failed", State::kFailed},
      {"q/skipped", State::kSkipped},    {"p%/literal", State::kPending},
  };
  for (const auto& [key, state] : rows) {
    RestoreRecord r;
    r.object = {"b", key, ""};
    r.state = state;
    ASSERT_TRUE(j->Put(r).ok());
  }
  RestoreRecord other;
  other.object = {"c", "p/other", ""};
  ASSERT_TRUE(j->Put(other).ok());

  auto open = j->NonTerminal();
  ASSERT_TRUE(open.ok());
  std::vector<std::string> keys;
  for (const auto& r : *open) keys.push_back(r.object.bucket + "/" + r.object.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"b/p%/literal", "b/p/pending", "b/p/requested",
                                            "b/p/running", "c/p/other"}));
  EXPECT_EQ(j->List("b", "p/")->size(), 4u);
  EXPECT_EQ(j->List("b", "p%")->size(), 1u);  // % is not a wildcard
  EXPECT_EQ(j->List("", "p/")->size(), 5u);
  EXPECT_EQ(j->List("b", "")->size(), 8u);
}

TEST(Journal, ConcurrentConnectionsAllWrite) {
  // Two connections stand for two processes (the mount and `thaw restore`) sharing a state dir.
  thaw::testing::TempDir dir;
  auto a = *Journal::Open(dir.path());
  auto b = *Journal::Open(dir.path());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Journal& j = t % 2 ? *a : *b;
      for (int i = 0; i < 50; ++i) {
        RestoreRecord r;
        r.object = {"b", "t" + std::to_string(t) + "/" + std::to_string(i), ""};
        if (!j.Put(r).ok()) ++failures;
        if (!j.ChargeAndPut("2024-01-01", 1, 0.01, 0, 0, r, nullptr).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(a->List("", "")->size(), 200u);
  EXPECT_EQ(b->List("", "")->size(), 200u);
  BudgetUse u = *a->BudgetUsed("2024-01-01");
  EXPECT_EQ(u.bytes, 200u);
  EXPECT_NEAR(u.cost_usd, 2.0, 1e-9);  // summed in micro-dollars: no drift
}

TEST(Journal, GroupCommitKeepsEveryWriteAndEachChargeExact) {
  // Many threads of one process share group commits: every write lands, a refused charge
  // writes nothing, and the budget admits exactly as many charges as fit.
  thaw::testing::TempDir dir;
  auto j = *Journal::Open(dir.path());
  std::vector<std::thread> threads;
  std::atomic<int> failures{0}, charged{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        RestoreRecord r;
        r.object = {"b", "t" + std::to_string(t) + "/" + std::to_string(i), ""};
        if (!j->Put(r).ok()) ++failures;
        r.object.key += "/charged";
        auto c = j->ChargeAndPut("2024-01-01", 1, 0.0, /*byte_limit=*/100, 0, r, nullptr);
        if (!c.ok()) ++failures;
        if (c.ok() && *c) ++charged;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(charged, 100);
  EXPECT_EQ(j->List("", "")->size(), 320u + 100u);
  EXPECT_EQ(j->BudgetUsed("2024-01-01")->bytes, 100u);
  auto reopened = *Journal::Open(dir.path());  // durable, not just in this connection
  EXPECT_EQ(reopened->List("", "")->size(), 420u);
}

TEST(Journal, BudgetChargeIsAtomicAndPersistent) {
  thaw::testing::TempDir dir;
  RestoreRecord r;
  r.object = {"b", "k", ""};
  r.state = State::kRequested;
  {
    auto j = *Journal::Open(dir.path());
    BudgetUse used;
    EXPECT_TRUE(*j->ChargeAndPut("2024-01-01", 600, 3.0, 1000, 5.0, r, &used));
    EXPECT_EQ(used.bytes, 0u);
    // Over the byte limit: nothing written.
    r.object.key = "k2";
    EXPECT_FALSE(*j->ChargeAndPut("2024-01-01", 500, 0.0, 1000, 5.0, r, &used));
    EXPECT_EQ(used.bytes, 600u);
    EXPECT_FALSE((*j->Get(r.object)).has_value());
    // Over the cost limit.
    EXPECT_FALSE(*j->ChargeAndPut("2024-01-01", 1, 2.01, 1000, 5.0, r, &used));
    // Exactly at the limit is allowed.
    EXPECT_TRUE(*j->ChargeAndPut("2024-01-01", 400, 2.0, 1000, 5.0, r, &used));
    // Another day has its own budget.
    EXPECT_TRUE(*j->ChargeAndPut("2024-01-02", 1000, 5.0, 1000, 5.0, r, &used));
  }
  auto j = *Journal::Open(dir.path());
  EXPECT_EQ(j->BudgetUsed("2024-01-01")->bytes, 1000u);
  EXPECT_NEAR(j->BudgetUsed("2024-01-01")->cost_usd, 5.0, 1e-9);
  ASSERT_TRUE(j->RefundAndPut("2024-01-01", 400, 2.0, r).ok());
  EXPECT_EQ(j->BudgetUsed("2024-01-01")->bytes, 600u);
  EXPECT_NEAR(j->BudgetUsed("2024-01-01")->cost_usd, 3.0, 1e-9);
  EXPECT_EQ(j->BudgetUsed("2030-01-01")->bytes, 0u);
}

TEST(Journal, UtcDays) {
  // 1700000000 is 2023-11-14T22:13:20Z.
  EXPECT_EQ(UtcDay(kT), "2023-11-14");
  EXPECT_EQ(NextUtcMidnight(kT), Clock::TimePoint(std::chrono::seconds(1700006400)));
  EXPECT_EQ(UtcDay(NextUtcMidnight(kT)), "2023-11-15");
}

}  // namespace
}  // namespace thaw::restore
