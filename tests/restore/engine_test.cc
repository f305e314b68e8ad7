// Engine tests on MockS3Client + FakeClock: de-duplication, the RestoreObject answers of the
// facts doc (202, 409, 503 Expedited, SlowDown, not archived), storage-class rules on the wire,
// waiting, subscribing, completion events, dry runs, rate and concurrency limits, shutdown.
#include "restore/engine.h"

#include <atomic>
#include <future>

#include "engine_test_util.h"

namespace thaw::restore::engine_test {
namespace {

using s3::Operation;
using s3::RestoreTier;
using testing::EngineFixture;
using testing::Eventually;
using testing::Settle;
using namespace std::chrono_literals;

class Engine : public EngineFixture {};

TEST_F(Engine, ThousandConcurrentSubmitsSendOneRestore) {
  s3_.AddObject("b", "k", "data", "GLACIER");
  auto e = Open();
  constexpr int kCallers = 1000;
  std::vector<std::shared_ptr<RestoreHandle>> handles(kCallers);
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      while (!go) std::this_thread::yield();
      auto h = e->Submit({"b", "k", ""}, {.source = Source::kMount});
      if (h.ok()) handles[i] = *h;
    });
  }
  go = true;
  for (auto& t : threads) t.join();
  for (const auto& h : handles) ASSERT_EQ(h.get(), handles[0].get());
  ASSERT_TRUE(StateIs(handles[0], State::kInProgress));
  Settle();
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);
  EXPECT_EQ(e->Stats().submitted, 1);
  EXPECT_EQ(e->Stats().deduplicated, kCallers - 1);

  clock_.Advance(5h);  // GLACIER Standard takes 4 h in the mock
  for (const auto& h : handles) {
    auto r = h->WaitUntil(clock_.Now() + 1h);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->state, State::kRestored);
  }
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);
}

TEST_F(Engine, AlreadyInProgress409IsSuccess) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  // Another process started the restore; our caller's listing predates it.
  ASSERT_TRUE(s3_.RestoreObject({"b", "k", "", RestoreTier::kStandard, 7}).ok());
  s3::ObjectInfo stale;
  stale.storage_class = "GLACIER";
  stale.size = 1;
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", ""}, {.known_info = stale});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  EXPECT_EQ(s3_.Count(Operation::kRestore), 2);  // theirs, and ours answered with 409
  EXPECT_EQ(s3_.Count(Operation::kHead), 0);     // known_info saved the HEAD
  EXPECT_TRUE(h->Snapshot().requested_at.has_value());
  EXPECT_TRUE(h->Snapshot().error.empty());
  clock_.Advance(5h);
  auto r = h->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kRestored);
}

// A listing without RestoreStatus (or an inventory row) says "archived, no restore" even for a
// copy an earlier run restored: while the journal's copy is alive the engine HEADs instead of
// sending blind (which would reset the copy's expiry); once it expired the listing is trusted.
TEST_F(Engine, ListingInfoThatContradictsALiveJournaledCopyIsCheckedFirst) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  s3::ObjectInfo listed;
  listed.storage_class = "GLACIER";
  listed.size = 1;
  {
    auto e = Open(Options(), PolicyWithDefaults(RestoreTier::kStandard, /*days=*/2));
    auto h = MustSubmit(*e, {"b", "k", ""}, {.known_info = listed});
    ASSERT_TRUE(StateIs(h, State::kInProgress));
    clock_.Advance(5h);
    auto r = h->WaitUntil(clock_.Now() + 1h);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ASSERT_EQ(r->state, State::kRestored);
  }
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);
  int heads = s3_.Count(Operation::kHead);

  auto e = Open(Options(), PolicyWithDefaults(RestoreTier::kStandard, /*days=*/2));
  auto again = MustSubmit(*e, {"b", "k", ""}, {.known_info = listed});
  ASSERT_TRUE(StateIs(again, State::kRestored));
  EXPECT_EQ(s3_.Count(Operation::kHead), heads + 1);  // the journal's copy is alive: asked S3
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);       // and sent nothing: the copy is there
  Settle();

  clock_.Advance(72h);  // past the copy's expiry (2 days, rounded up to midnight)
  auto later = MustSubmit(*e, {"b", "k", ""}, {.known_info = listed});
  ASSERT_TRUE(StateIs(later, State::kInProgress));
  EXPECT_EQ(s3_.Count(Operation::kHead), heads + 1);  // expired in the journal: listing trusted
  EXPECT_EQ(s3_.Count(Operation::kRestore), 2);
}

TEST_F(Engine, ExpeditedUnavailableFallsBackToStandard) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  s3_.SetExpeditedUnavailable(true);
  auto e = Open(Options(), PolicyWithDefaults(RestoreTier::kExpedited));
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  auto reqs = s3_.RestoreRequests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].tier, RestoreTier::kExpedited);
  EXPECT_EQ(reqs[1].tier, RestoreTier::kStandard);
  EXPECT_EQ(reqs[1].days, 7);
  RestoreRecord rec = h->Snapshot();
  EXPECT_EQ(rec.tier, RestoreTier::kStandard);
  EXPECT_NE(rec.note.find("fell back to Standard"), std::string::npos) << rec.note;
  // The ETA follows the tier actually running.
  EXPECT_EQ(*rec.eta - *rec.requested_at, 5h);
}

TEST_F(Engine, ExpeditedUnavailableFailsWhenPolicyForbidsFallback) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  s3_.SetExpeditedUnavailable(true);
  auto e = Open(Options(), PolicyWithDefaults(RestoreTier::kExpedited, 7, /*fallback=*/false));
  auto h = MustSubmit(*e, {"b", "k", ""});
  auto r = h->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kFailed);
  EXPECT_EQ(r->reason, Reason::kS3Error);
  EXPECT_NE(r->error.find("forbids falling back"), std::string::npos) << r->error;
  EXPECT_EQ(s3_.RestoreRequests().size(), 1u);
}

TEST_F(Engine, SlowDownIsRetriedLaterWithBackoff) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  s3_.FailNext(Operation::kRestore, 503, "SlowDown", 2);
  auto e = Open();  // retry_base_delay 30 s, no jitter
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(Eventually([&] {
    return h->Snapshot().error.find("retry 2 of 5") != std::string::npos;
  })) << h->Snapshot().error;
  EXPECT_EQ(h->Snapshot().state, State::kPending);
  EXPECT_NE(h->Snapshot().error.find("SlowDown"), std::string::npos);
  clock_.Advance(29s);
  Settle();
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);
  clock_.Advance(1s);
  ASSERT_TRUE(
      Eventually([&] { return h->Snapshot().error.find("retry 3 of 5") != std::string::npos; }));
  EXPECT_EQ(s3_.Count(Operation::kRestore), 2);
  clock_.Advance(59s);  // the second retry waits twice as long
  Settle();
  EXPECT_EQ(s3_.Count(Operation::kRestore), 2);
  clock_.Advance(1s);
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  EXPECT_EQ(s3_.Count(Operation::kRestore), 3);
  EXPECT_EQ(h->Snapshot().attempts, 3);
}

TEST_F(Engine, UnavailableGivesUpAfterMaxAttempts) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  s3_.FailNext(Operation::kRestore, 503, "ServiceUnavailable", 10);
  EngineOptions o = Options();
  o.max_send_attempts = 2;
  auto e = Open(o);
  auto h = MustSubmit(*e, {"b", "k", ""});
  // The retry is scheduled once the handle shows it (not yet when the mock counted the call).
  ASSERT_TRUE(
      Eventually([&] { return h->Snapshot().error.find("retry 2 of 2") != std::string::npos; }));
  clock_.Advance(30s);
  auto r = h->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kFailed);
  EXPECT_EQ(r->reason, Reason::kRetriesExhausted);
  EXPECT_EQ(s3_.Count(Operation::kRestore), 2);
}

TEST_F(Engine, DeepArchiveNeverGetsExpedited) {
  s3_.AddObject("b", "k", "x", "DEEP_ARCHIVE");
  auto e = Open(Options(), PolicyWithDefaults(RestoreTier::kExpedited));
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  auto reqs = s3_.RestoreRequests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].tier, RestoreTier::kStandard);
  EXPECT_EQ(reqs[0].days, 7);
  EXPECT_EQ(h->Snapshot().note, "Expedited not available for DEEP_ARCHIVE: using Standard");
}

TEST_F(Engine, IntelligentTieringRequestsCarryNoDays) {
  s3_.AddObject("b", "k", "x", "INTELLIGENT_TIERING", "ARCHIVE_ACCESS");
  s3_.AddObject("b", "deep", "x", "INTELLIGENT_TIERING", "DEEP_ARCHIVE_ACCESS");
  auto e = Open(Options(), PolicyWithDefaults(RestoreTier::kBulk, 30));
  auto h = MustSubmit(*e, {"b", "k", ""}, {.days = 9});  // even when asked for
  auto d = MustSubmit(*e, {"b", "deep", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  ASSERT_TRUE(StateIs(d, State::kInProgress));
  auto reqs = s3_.RestoreRequests();
  ASSERT_EQ(reqs.size(), 2u);
  for (const auto& r : reqs) {
    EXPECT_FALSE(r.days.has_value()) << r.key;
    EXPECT_EQ(r.tier, RestoreTier::kBulk);
  }
  // Done = back in Frequent Access (no x-amz-restore, no archive status).
  clock_.Advance(13h);
  auto r = h->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kRestored);
  EXPECT_FALSE(r->restore_expiry.has_value());
}

TEST_F(Engine, RestoredAndNotExpiringNeedsNoRequest) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  ASSERT_TRUE(s3_.RestoreObject({"b", "k", "", RestoreTier::kStandard, 10}).ok());
  clock_.Advance(5h);
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", ""});
  auto r = h->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kRestored);
  EXPECT_TRUE(r->restore_expiry.has_value());
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);  // only the setup's
}

TEST_F(Engine, RestoredButExpiringSoonIsRestoredAgain) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  ASSERT_TRUE(s3_.RestoreObject({"b", "k", "", RestoreTier::kStandard, 1}).ok());
  clock_.Advance(35h);  // restored at +4 h, expires at the second midnight after: < 24 h left
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", ""});
  auto r = h->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kRestored);  // S3 answered 200: expiry re-computed
  ASSERT_EQ(s3_.Count(Operation::kRestore), 2);
  EXPECT_EQ(s3_.RestoreRequests().back().days, 7);
  ASSERT_TRUE(r->restore_expiry.has_value());
  EXPECT_GT(*r->restore_expiry, clock_.Now() + 24h * 7);
}

TEST_F(Engine, VersionIdIsKept) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", "v123"});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  ASSERT_EQ(s3_.RestoreRequests().size(), 1u);
  EXPECT_EQ(s3_.RestoreRequests()[0].version_id, "v123");
  // Versions are distinct objects in the journal.
  auto q = e->Query({"b", "k", "v123"});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->object.version_id, "v123");
  EXPECT_TRUE(e->Query({"b", "k", ""}).status().IsNotFound());
}

TEST_F(Engine, ReadableObjectsAreSkipped) {
  s3_.AddObject("b", "k", "x", "STANDARD");
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", ""});
  auto r = h->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kSkipped);
  EXPECT_EQ(r->reason, Reason::kNotArchived);
  EXPECT_EQ(r->error, "not archived: STANDARD");
  EXPECT_EQ(s3_.Count(Operation::kRestore), 0);
}

TEST_F(Engine, DeniedByPolicyIsSkipped) {
  s3_.AddObject("b", "secret/k", "x", "GLACIER");
  Rule deny;
  deny.prefix = "secret/";
  deny.action = Rule::Action::kDeny;
  auto e = Open(Options(), PolicyWithDefaults(RestoreTier::kStandard, 7, true, {deny}));
  auto h = MustSubmit(*e, {"b", "secret/k", ""});
  auto r = h->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kSkipped);
  EXPECT_EQ(r->reason, Reason::kDenied);
  EXPECT_EQ(s3_.Count(Operation::kRestore), 0);
}

TEST_F(Engine, MissingObjectFails) {
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "nope", ""});
  auto r = h->WaitUntil(clock_.Now() + 1h);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, State::kFailed);
  EXPECT_EQ(r->reason, Reason::kNotFound);
}

TEST_F(Engine, NotifyCompletedWakesWaitersWithoutPolling) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  int heads = s3_.Count(Operation::kHead);
  std::atomic<int> calls{0};
  h->Subscribe([&](const Result<RestoreRecord>& r) {
    if (r.ok() && r->state == State::kRestored) ++calls;
  });
  auto waiter = std::async(std::launch::async, [&] { return h->WaitUntil(clock_.Now() + 24h); });
  Settle();
  Clock::TimePoint expiry = clock_.Now() + 24h * 8;
  ASSERT_TRUE(e->NotifyCompleted({"b", "k", ""}, expiry).ok());
  auto r = waiter.get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->state, State::kRestored);
  EXPECT_EQ(r->restore_expiry, expiry);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(s3_.Count(Operation::kHead), heads);
  EXPECT_EQ(e->Query({"b", "k", ""})->state, State::kRestored);
  // Duplicates and unknown objects are harmless.
  EXPECT_TRUE(e->NotifyCompleted({"b", "k", ""}, expiry).ok());
  EXPECT_TRUE(e->NotifyCompleted({"b", "unknown", ""}, std::nullopt).ok());
  EXPECT_EQ(calls, 1);
  // A late subscriber is told at once.
  int late = 0;
  h->Subscribe([&](const Result<RestoreRecord>& r) { late += r.ok(); });
  EXPECT_EQ(late, 1);
}

TEST_F(Engine, WaitUntilDeadlineGivesDeadlineExceeded) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  auto waiter = std::async(std::launch::async, [&] { return h->WaitUntil(clock_.Now() + 1h); });
  ASSERT_TRUE(Eventually([&] { return clock_.waiters() >= 2; }));  // scheduler + waiter
  clock_.Advance(1h);
  auto r = waiter.get();
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(h->Snapshot().state, State::kInProgress);  // the restore goes on
}

TEST_F(Engine, ShutdownWakesWaitersWithAnError) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  auto e = Open();
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  std::promise<Status> told;
  h->Subscribe([&](const Result<RestoreRecord>& r) { told.set_value(r.status()); });
  auto waiter = std::async(std::launch::async, [&] { return h->WaitUntil(clock_.Now() + 24h); });
  Settle();
  e->Shutdown();
  EXPECT_EQ(waiter.get().status().code(), StatusCode::kAborted);
  EXPECT_EQ(told.get_future().get().code(), StatusCode::kAborted);
  EXPECT_EQ(e->Submit({"b", "k", ""}, {}).status().code(), StatusCode::kAborted);
  // The handle outlives the engine.
  e.reset();
  EXPECT_EQ(h->Snapshot().state, State::kInProgress);
  EXPECT_EQ(h->WaitUntil(clock_.Now()).status().code(), StatusCode::kAborted);
}

TEST_F(Engine, PlanIsADryRun) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  auto e = Open();
  s3::ObjectInfo info;
  info.storage_class = "DEEP_ARCHIVE";
  info.size = uint64_t{1} << 40;
  auto d = e->Plan({"b", "k", ""}, {.tier = RestoreTier::kBulk, .known_info = info});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->action, Decision::Action::kRestore);
  EXPECT_EQ(d->tier, RestoreTier::kBulk);
  EXPECT_DOUBLE_EQ(d->cost.restore_usd(), 0.025 / 1000 + 0.0025 * 1024);
  auto headed = e->Plan({"b", "k", ""}, {});
  ASSERT_TRUE(headed.ok());
  EXPECT_EQ(headed->kind, ArchiveKind::kGlacier);
  Settle();
  EXPECT_EQ(s3_.Count(Operation::kRestore), 0);
  EXPECT_TRUE(e->Query({"b", "k", ""}).status().IsNotFound());
  EXPECT_TRUE(e->List("", "")->empty());
}

TEST_F(Engine, RestoreCallsAreRateLimitedOnTheClock) {
  for (const char* k : {"a", "b", "c"}) s3_.AddObject("b", k, "x", "GLACIER");
  EngineOptions o = Options();
  o.limits.restore_requests_per_second = 1;  // burst 1
  auto e = Open(o);
  for (const char* k : {"a", "b", "c"}) MustSubmit(*e, {"b", k, ""});
  ASSERT_TRUE(Eventually([&] { return s3_.Count(Operation::kRestore) == 1; }));
  Settle();
  EXPECT_EQ(s3_.Count(Operation::kRestore), 1);
  clock_.Advance(1s);
  ASSERT_TRUE(Eventually([&] { return s3_.Count(Operation::kRestore) == 2; }));
  clock_.Advance(1s);
  ASSERT_TRUE(Eventually([&] { return s3_.Count(Operation::kRestore) == 3; }));
}

TEST_F(Engine, ConcurrencyIsCapped) {
  for (int i = 0; i < 12; ++i) s3_.AddObject("b", std::to_string(i), "x", "GLACIER");
  std::atomic<int> now{0}, peak{0};
  s3_.SetHook([&](Operation) {
    int n = ++now;
    int p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n)) {
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(3));  // widen overlaps
    --now;
  });
  EngineOptions o = Options();
  o.limits.max_concurrency = 2;
  auto e = Open(o);
  std::vector<std::shared_ptr<RestoreHandle>> hs;
  for (int i = 0; i < 12; ++i) hs.push_back(MustSubmit(*e, {"b", std::to_string(i), ""}));
  for (auto& h : hs) ASSERT_TRUE(StateIs(h, State::kInProgress));
  EXPECT_LE(peak, 2);
  EXPECT_GE(peak, 1);
  e->Shutdown();
  s3_.SetHook(nullptr);
}

TEST_F(Engine, ObserverReadsButDoesNotSubmit) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  auto active = Open();
  auto h = MustSubmit(*active, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  EngineOptions o = Options();
  o.mode = EngineOptions::Mode::kObserver;
  auto observer = Open(o);
  EXPECT_EQ(observer->Submit({"b", "k", ""}, {}).status().code(), StatusCode::kFailedPrecondition);
  auto in_flight = observer->InFlight();
  ASSERT_TRUE(in_flight.ok());
  ASSERT_EQ(in_flight->size(), 1u);
  EXPECT_EQ((*in_flight)[0].state, State::kInProgress);
  EXPECT_EQ((*in_flight)[0].source, Source::kCli);
  // Refresh from S3 once the restore is done.
  active->Shutdown();
  clock_.Advance(5h);
  auto r = observer->Refresh({"b", "k", ""});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->state, State::kRestored);
  // Known expiry passing turns restored into expired without a HEAD.
  int heads = s3_.Count(Operation::kHead);
  clock_.SetTime(*r->restore_expiry + 1s);
  EXPECT_EQ(observer->Query({"b", "k", ""})->state, State::kExpired);
  EXPECT_EQ(s3_.Count(Operation::kHead), heads);
}

TEST_F(Engine, OnChangeSeesEveryState) {
  s3_.AddObject("b", "k", "x", "GLACIER");
  std::mutex mu;
  std::vector<State> seen;
  EngineOptions o = Options();
  o.on_change = [&](const RestoreRecord& r) {
    std::lock_guard<std::mutex> g(mu);
    seen.push_back(r.state);
  };
  auto e = Open(o);
  auto h = MustSubmit(*e, {"b", "k", ""});
  ASSERT_TRUE(StateIs(h, State::kInProgress));
  ASSERT_TRUE(e->NotifyCompleted({"b", "k", ""}, std::nullopt).ok());
  std::lock_guard<std::mutex> g(mu);
  EXPECT_EQ(seen, (std::vector<State>{State::kPending, State::kRequested, State::kInProgress,
                                      State::kRestored}));
}

}  // namespace
}  // namespace thaw::restore::engine_test
