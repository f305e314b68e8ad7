// Daily budgets through the engine: over budget a request is refused (skipped, reason
// over_budget, a message naming the budget) or waits for the next UTC day; use is kept in the
// journal, so a restart does not reset it; a request S3 refuses gives its charge back.
#include <gtest/gtest.h>

#include "engine_test_util.h"
#include "restore/engine.h"
#include "restore/journal.h"

namespace thaw::restore::budget_test {
namespace {

using s3::Operation;
using testing::EngineFixture;
using testing::Eventually;
using testing::Settle;
using namespace std::chrono_literals;

constexpr uint64_t kTiB = uint64_t{1} << 40;
// GLACIER Standard, 1 TiB: $0.05 / 1000 + $0.01 * 1024.
constexpr double kTiBCost = 0.00005 + 10.24;

class Budget : public EngineFixture {
 protected:
  void SetUp() override {
    for (const char* k : {"a", "b", "c"}) s3_.AddObject("b", k, "x", "GLACIER");
  }
  // Listing-style knowledge that the object is 1 TiB (the mock stores one byte).
  static SubmitOptions Big(bool wait = false) {
    s3::ObjectInfo info;
    info.storage_class = "GLACIER";
    info.size = kTiB;
    return {.known_info = info, .wait_for_budget = wait};
  }
  EngineOptions WithCostBudget(double usd) const {
    EngineOptions o = Options();
    o.limits.daily_cost_budget_usd = usd;
    return o;
  }
};

TEST_F(Budget, RefusesOverTheCostBudgetWithAClearReason) {
  auto e = Open(WithCostBudget(15));
  auto a = MustSubmit(*e, {"b", "a", ""}, Big());
  ASSERT_TRUE(StateIs(a, State::kInProgress));
  EXPECT_NEAR(a->Snapshot().estimated_cost_usd, kTiBCost, 1e-9);
  auto b = MustSubmit(*e, {"b", "b", ""}, Big());
  auto r = b->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kSkipped);
  EXPECT_EQ(r->reason, Reason::kOverBudget);
  EXPECT_EQ(r->error,
            "daily cost budget $15.00 reached: $10.24 spent on 2023-11-14 (UTC), this restore "
            "needs $10.24");
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);
}

TEST_F(Budget, RefusesOverTheByteBudget) {
  EngineOptions o = Options();
  o.limits.daily_byte_budget = kTiB + kTiB / 2;
  auto e = Open(o);
  ASSERT_TRUE(StateIs(MustSubmit(*e, {"b", "a", ""}, Big()), State::kInProgress));
  auto r = MustSubmit(*e, {"b", "b", ""}, Big())->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reason, Reason::kOverBudget);
  EXPECT_EQ(r->error.rfind("daily byte budget ", 0), 0u) << r->error;
}

TEST_F(Budget, WaitsForTheNextUtcDay) {
  auto e = Open(WithCostBudget(15));
  ASSERT_TRUE(StateIs(MustSubmit(*e, {"b", "a", ""}, Big()), State::kInProgress));
  auto b = MustSubmit(*e, {"b", "b", ""}, Big(/*wait=*/true));
  ASSERT_TRUE(Eventually([&] {
    return b->Snapshot().error.find("waiting until 2023-11-15T00:00:00Z") != std::string::npos;
  })) << b->Snapshot().error;
  EXPECT_EQ(b->Snapshot().state, State::kPending);
  clock_.SetTime(NextUtcMidnight(clock_.Now()) - 1s);
  Settle();
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);
  clock_.Advance(1s);
  ASSERT_TRUE(StateIs(b, State::kInProgress));
  EXPECT_EQ(s3_.Count(Operation::kRestore), 2);
  EXPECT_EQ(b->Snapshot().budget_day, "2023-11-15");
}

TEST_F(Budget, ARequestLargerThanAWholeDayIsRefusedEvenWhenWaiting) {
  auto e = Open(WithCostBudget(5));
  auto r = MustSubmit(*e, {"b", "a", ""}, Big(/*wait=*/true))->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kSkipped);
  EXPECT_EQ(r->reason, Reason::kOverBudget);
  EXPECT_EQ(r->error.rfind("daily cost budget $5.00 reached: ", 0), 0u) << r->error;
}

TEST_F(Budget, UseSurvivesARestart) {
  {
    auto e = Open(WithCostBudget(15));
    ASSERT_TRUE(StateIs(MustSubmit(*e, {"b", "a", ""}, Big()), State::kInProgress));
  }
  auto e = Open(WithCostBudget(15));
  auto r = MustSubmit(*e, {"b", "b", ""}, Big())->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reason, Reason::kOverBudget);
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);
}

TEST_F(Budget, ARefusedRequestGivesItsChargeBack) {
  s3_.FailNext(Operation::kRestore, 403, "AccessDenied");
  auto e = Open(WithCostBudget(15));
  auto a = MustSubmit(*e, {"b", "a", ""}, Big())->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->state, State::kFailed);
  EXPECT_EQ(a->reason, Reason::kS3Error);
  auto b = MustSubmit(*e, {"b", "b", ""}, Big());
  ASSERT_TRUE(StateIs(b, State::kInProgress));
  e->Shutdown();
  auto j = Journal::Open(Options().state_dir);
  ASSERT_TRUE(j.ok());
  EXPECT_NEAR((*j)->BudgetUsed("2023-11-14")->cost_usd, kTiBCost, 1e-6);
}

}  // namespace
}  // namespace thaw::restore::budget_test
