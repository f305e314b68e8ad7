// Crash resume: a journal left by a dead process is picked up by the next one. Pending rows
// are sent; requested/in_progress rows are HEADed first and only a `requested` one S3 knows
// nothing about is sent again; nothing S3 already accepted is sent twice, and nothing is
// charged twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>

#include "engine_test_util.h"
#include "restore/engine.h"
#include "restore/journal.h"

namespace thaw::restore::resume_test {
namespace {

using s3::Operation;
using s3::RestoreTier;
using testing::EngineFixture;
using testing::Eventually;
using testing::Settle;
using namespace std::chrono_literals;

class Resume : public EngineFixture {
 protected:
  RestoreRecord Row(const std::string& key, State state) {
    RestoreRecord r;
    r.object = {"b", key, ""};
    r.state = state;
    r.tier = RestoreTier::kStandard;
    r.days = 7;
    r.storage_class = "GLACIER";
    r.size_bytes = 1;
    r.estimated_cost_usd = 0.01;
    r.submitted_at = clock_.Now() - 1h;
    if (state != State::kPending) r.budget_day = UtcDay(clock_.Now());  // charged at send
    if (state == State::kInProgress) r.requested_at = clock_.Now() - 1h;
    r.updated_at = clock_.Now() - 1h;
    return r;
  }

  State StateOf(Engine& e, const std::string& key) {
    auto r = e.Query({"b", key, ""});
    return r.ok() ? r->state : State::kFailed;
  }

  // Keys of the RestoreObject calls the mock received after the first `skip`.
  static std::vector<std::string> KeysSent(const s3::MockS3Client& s3, size_t skip) {
    std::vector<std::string> keys;
    auto reqs = s3.RestoreRequests();
    for (size_t i = skip; i < reqs.size(); ++i) keys.push_back(reqs[i].key);
    std::sort(keys.begin(), keys.end());
    return keys;
  }
};

TEST_F(Resume, SendsOnlyWhatS3NeverAccepted) {
  for (const char* k : {"A", "B", "C", "D", "E", "F", "G"}) s3_.AddObject("b", k, "x", "GLACIER");
  // S3's side of the story. F was restored a while ago; C and D are being restored now.
  ASSERT_TRUE(s3_.RestoreObject({"b", "F", "", RestoreTier::kStandard, 7}).ok());
  clock_.Advance(5h);
  ASSERT_TRUE(s3_.RestoreObject({"b", "C", "", RestoreTier::kStandard, 7}).ok());
  ASSERT_TRUE(s3_.RestoreObject({"b", "D", "", RestoreTier::kStandard, 7}).ok());
  size_t setup_requests = s3_.RestoreRequests().size();

  // The journal the dead process left.
  {
    auto j = Journal::Open(Options().state_dir);
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE((*j)->Put(Row("A", State::kPending)).ok());    // never sent
    ASSERT_TRUE((*j)->Put(Row("B", State::kRequested)).ok());  // died before S3 got it
    ASSERT_TRUE((*j)->Put(Row("C", State::kRequested)).ok());  // died after S3 accepted it
    ASSERT_TRUE((*j)->Put(Row("D", State::kInProgress)).ok());
    ASSERT_TRUE((*j)->Put(Row("E", State::kInProgress)).ok());  // copy came and went
    ASSERT_TRUE((*j)->Put(Row("F", State::kRequested)).ok());   // finished meanwhile
    RestoreRecord g = Row("G", State::kRestored);
    g.restore_expiry = clock_.Now() + 24h * 30;
    ASSERT_TRUE((*j)->Put(g).ok());
  }

  auto e = Open();
  ASSERT_TRUE(Eventually([&] {
    return StateOf(*e, "A") == State::kInProgress && StateOf(*e, "C") == State::kInProgress &&
           StateOf(*e, "D") == State::kInProgress && StateOf(*e, "E") == State::kExpired &&
           StateOf(*e, "F") == State::kRestored && !e->Query({"b", "B", ""})->note.empty();
  }));
  // B's request may still be on its way from the dead process: looked at again after the grace.
  EXPECT_EQ(StateOf(*e, "B"), State::kRequested);
  EXPECT_EQ(KeysSent(s3_, setup_requests), (std::vector<std::string>{"A"}));
  clock_.Advance(Options().resend_grace);
  ASSERT_TRUE(Eventually([&] { return StateOf(*e, "B") == State::kInProgress; }));
  EXPECT_EQ(StateOf(*e, "G"), State::kRestored);
  EXPECT_EQ(KeysSent(s3_, setup_requests), (std::vector<std::string>{"A", "B"}));
  EXPECT_TRUE(e->Query({"b", "F", ""})->restore_expiry.has_value());

  // Follow everything to the end: still nothing sent twice.
  for (int i = 0; i < 10 && !e->InFlight()->empty(); ++i) {
    clock_.Advance(1h);
    Settle();
  }
  EXPECT_TRUE(e->InFlight()->empty());
  EXPECT_EQ(KeysSent(s3_, setup_requests), (std::vector<std::string>{"A", "B"}));
  e->Shutdown();
  auto j = Journal::Open(Options().state_dir);
  // B and the others were charged before the crash; only A (1 byte) is charged now.
  EXPECT_EQ((*j)->BudgetUsed("2023-11-15")->bytes, 1u);
}

// The dead process sent B just before it died; S3 shows the restore only after the new
// process's first HEAD. B is not sent a second time.
TEST_F(Resume, ARequestStillOnItsWayIsNotSentTwice) {
  s3_.AddObject("b", "B", "x", "GLACIER");
  {
    auto j = Journal::Open(Options().state_dir);
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE((*j)->Put(Row("B", State::kRequested)).ok());
  }
  auto e = Open();
  ASSERT_TRUE(Eventually([&] { return !e->Query({"b", "B", ""})->note.empty(); }));
  EXPECT_EQ(s3_.RestoreRequests().size(), 0u);
  ASSERT_TRUE(s3_.RestoreObject({"b", "B", "", RestoreTier::kStandard, 7}).ok());  // arrives
  clock_.Advance(Options().resend_grace);
  ASSERT_TRUE(Eventually([&] { return StateOf(*e, "B") == State::kInProgress; }));
  Settle();
  EXPECT_EQ(s3_.RestoreRequests().size(), 1u) << "only the dead process's request";
}

TEST_F(Resume, EngineStoppedMidwayResumesAgainstFreshS3State) {
  const std::vector<std::string> keys = {"k1", "k2", "k3", "k4", "k5"};
  for (const auto& k : keys) s3_.AddObject("b", k, "x", "GLACIER");
  EngineOptions slow = Options();
  slow.limits.restore_requests_per_second = 1;  // one goes out, four wait for tokens
  {
    auto e = Open(slow);
    for (const auto& k : keys) MustSubmit(*e, {"b", k, ""});
    ASSERT_TRUE(Eventually([&] { return s3_.Count(Operation::kRestore) == 1; }));
    ASSERT_TRUE(Eventually([&] { return e->InFlight()->size() == 5; }));
    Settle();
    ASSERT_EQ(s3_.Count(Operation::kRestore), 1);
    e->Shutdown();  // the process dies; the journal stays
  }
  std::string accepted = s3_.RestoreRequests()[0].key;

  // A new S3 endpoint state that remembers only what S3 accepted.
  s3::MockS3Client s3b(clock_);
  for (const auto& k : keys) s3b.AddObject("b", k, "x", "GLACIER");
  ASSERT_TRUE(s3b.RestoreObject({"b", accepted, "", RestoreTier::kStandard, 7}).ok());

  auto e = Open(Options(), nullptr, &s3b);
  ASSERT_TRUE(Eventually([&] {
    for (const auto& k : keys) {
      if (StateOf(*e, k) != State::kInProgress) return false;
    }
    return true;
  }));
  Settle();
  std::vector<std::string> expected;
  for (const auto& k : keys) {
    if (k != accepted) expected.push_back(k);
  }
  EXPECT_EQ(KeysSent(s3b, 1), expected);  // every other object exactly once; `accepted` never
  clock_.Advance(5h);
  ASSERT_TRUE(Eventually([&] { return e->InFlight()->empty(); }));
  for (const auto& k : keys) EXPECT_EQ(StateOf(*e, k), State::kRestored) << k;
  EXPECT_EQ(KeysSent(s3b, 1), expected);
}

TEST_F(Resume, ResumedRequestsJoinNewSubmits) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  ASSERT_TRUE(s3_.RestoreObject({"b", "k", "", RestoreTier::kStandard, 7}).ok());
  {
    auto j = Journal::Open(Options().state_dir);
    ASSERT_TRUE((*j)->Put(Row("k", State::kInProgress)).ok());
  }
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", ""});  // the mount opens the file after the restart
  EXPECT_EQ(e->Stats().deduplicated, 1);
  // The resumed row's tracking is scheduled by an engine thread at some point after Open();
  // keep moving time until the restore is seen done, so the schedule cannot miss the advance.
  ASSERT_TRUE(Eventually([&] {
    clock_.Advance(10min);
    return h->Snapshot().state == State::kRestored;
  }));
  auto r = h->WaitUntil(clock_.Now());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->state, State::kRestored);
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);  // the setup's only
}

// An earlier run's restore whose copy has expired since: resumed alone it ends `expired`; a
// Submit that joins it before its HEAD (a rerun of `thaw restore`) gets a new request, counted
// as sent (the handle says it is rechecking until the HEAD's answer is published).
TEST_F(Resume, AnExpiredCopyJoinedByANewSubmitIsRestoredAgain) {
  for (const char* k : {"asked", "idle"}) {
    s3_.AddObject("b", k, "x", "GLACIER");
    ASSERT_TRUE(s3_.RestoreObject({"b", k, "", RestoreTier::kStandard, 7}).ok());
  }
  clock_.Advance(5h);
  s3_.ExpireRestore("b", "asked");
  s3_.ExpireRestore("b", "idle");
  size_t before = s3_.RestoreRequests().size();
  {
    auto j = Journal::Open(Options().state_dir);
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE((*j)->Put(Row("asked", State::kInProgress)).ok());
    ASSERT_TRUE((*j)->Put(Row("idle", State::kInProgress)).ok());
  }
  // Hold the resumed rows' HEADs until the new Submit has joined.
  std::promise<void> joined;
  std::shared_future<void> go = joined.get_future().share();
  s3_.SetHook([go](Operation op) {
    if (op == Operation::kHead) go.wait();
  });
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "asked", ""}, {.tier = RestoreTier::kBulk, .days = 2});
  EXPECT_EQ(e->Stats().deduplicated, 1);
  EXPECT_TRUE(h->Rechecking());
  joined.set_value();

  ASSERT_TRUE(Eventually([&] { return !h->Rechecking(); }));
  ASSERT_TRUE(Eventually([&] { return StateOf(*e, "asked") == State::kInProgress; }));
  EXPECT_EQ(KeysSent(s3_, before), std::vector<std::string>{"asked"});
  RestoreRecord r = h->Snapshot();
  EXPECT_EQ(r.tier, RestoreTier::kBulk);  // the new Submit's choice, not the earlier run's
  EXPECT_EQ(r.days, 2);
  EXPECT_TRUE(r.requested_at.has_value());
  ASSERT_TRUE(Eventually([&] { return StateOf(*e, "idle") == State::kExpired; }));
  Settle();
  EXPECT_EQ(KeysSent(s3_, before), std::vector<std::string>{"asked"});  // idle: no request
}

}  // namespace
}  // namespace thaw::restore::resume_test
