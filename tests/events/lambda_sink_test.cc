// EngineSink with a real restore engine over the in-memory S3 mock: a restore-wanted event is
// acknowledged only after S3 answered its RestoreObject, readable and vanished objects are
// fine, the alternate key reading is tried, a request unsent at the deadline is an error, and
// restore-completed events reach NotifyCompleted.
#include "events/lambda_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "s3/mock_client.h"
#include "support/test_env.h"

namespace thaw::events {
namespace {

using restore::State;

class EngineSinkTest : public ::testing::Test {
 protected:
  void Open() {
    restore::EngineOptions o;
    o.state_dir = dir_.path() + "/state";
    o.jitter = 0;
    o.random_seed = 1;
    o.limits.restore_requests_per_second = 0;
    o.limits.head_requests_per_second = 0;
    o.limits.max_concurrency = 4;
    o.on_change = [this](const restore::RestoreRecord& r) { sink_.OnChange(r); };
    auto e = restore::OpenEngine(o, nullptr, s3_, clock_);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    engine_ = std::move(*e);
    sink_.set_engine(engine_.get());
  }
  void TearDown() override {
    if (engine_) engine_->Shutdown();
  }
  static Event Wanted(const std::string& bucket, const std::string& key) {
    Event e;
    e.kind = EventKind::kRestoreWanted;
    e.bucket = bucket;
    e.key = key;
    return e;
  }
  std::vector<Status> Apply(const std::vector<Event>& events) {
    std::vector<const Event*> ptrs;
    for (const Event& e : events) ptrs.push_back(&e);
    return sink_.Apply(ptrs, clock_.Now() + std::chrono::minutes(1));
  }

  thaw::testing::TempDir dir_;
  FakeClock clock_;
  s3::MockS3Client s3_{clock_};
  EngineSink sink_{clock_, std::chrono::seconds(2)};
  std::unique_ptr<restore::Engine> engine_;
};

TEST_F(EngineSinkTest, RestoreWantedIsDoneWhenS3Answered) {
  s3_.AddObject("b", "cold.dat", "x", "GLACIER");
  s3_.AddObject("b", "deep.dat", "x", "DEEP_ARCHIVE");
  s3_.AddObject("b", "hot.dat", "x", "STANDARD");
  Open();
  auto results = Apply({Wanted("b", "cold.dat"), Wanted("b", "deep.dat"), Wanted("b", "hot.dat")});
  ASSERT_EQ(results.size(), 3u);
  for (const Status& s : results) EXPECT_TRUE(s.ok()) << s.ToString();
  // The answer came after the RestoreObject calls, not merely after journaling.
  auto sent = s3_.RestoreRequests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(engine_->Query({"b", "cold.dat", ""})->state, State::kInProgress);
  EXPECT_EQ(engine_->Query({"b", "hot.dat", ""})->state, State::kSkipped);
}

TEST_F(EngineSinkTest, SameObjectTwiceInOneBatchIsOneRestore) {
  s3_.AddObject("b", "cold.dat", "x", "GLACIER");
  Open();
  auto results = Apply({Wanted("b", "cold.dat"), Wanted("b", "cold.dat")});
  EXPECT_TRUE(results[0].ok());
  EXPECT_TRUE(results[1].ok());
  EXPECT_EQ(s3_.Count(s3::Operation::kRestore), 1);
}

TEST_F(EngineSinkTest, MissingKeyTriesAlternateThenAcceptsAbsence) {
  s3_.AddObject("b", "a b.dat", "x", "GLACIER");
  Open();
  Event encoded = Wanted("b", "a%20b.dat");
  encoded.alternate_key = "a b.dat";
  Event gone = Wanted("b", "deleted.dat");
  auto results = Apply({encoded, gone});
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].ok()) << results[1].ToString();
  auto sent = s3_.RestoreRequests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].key, "a b.dat");
}

TEST_F(EngineSinkTest, RefusedRestoreIsAnError) {
  s3_.AddObject("b", "cold.dat", "x", "GLACIER");
  s3_.FailNext(s3::Operation::kRestore, 403, "AccessDenied");
  Open();
  auto results = Apply({Wanted("b", "cold.dat")});
  ASSERT_FALSE(results[0].ok());
  EXPECT_NE(results[0].message().find("cold.dat"), std::string::npos);
}

TEST_F(EngineSinkTest, UnsentAtDeadlineIsDeadlineExceeded) {
  s3_.AddObject("b", "cold.dat", "x", "GLACIER");
  std::promise<void> reached;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> first{true};
  s3_.SetHook([&](s3::Operation op) {
    if (op == s3::Operation::kRestore && first.exchange(false)) {
      reached.set_value();
      released.wait();
    }
  });
  Open();
  auto applied = std::async(std::launch::async, [&] { return Apply({Wanted("b", "cold.dat")}); });
  reached.get_future().wait();  // RestoreObject is on the wire and will not answer
  // Past deadline - margin: Apply must give up now.
  clock_.Advance(std::chrono::seconds(59));
  auto results = applied.get();
  release.set_value();
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].code(), StatusCode::kDeadlineExceeded) << results[0].ToString();
}

TEST_F(EngineSinkTest, RestoreCompletedReachesTheEngine) {
  s3_.AddObject("b", "cold.dat", "x", "GLACIER");
  Open();
  ASSERT_TRUE(Apply({Wanted("b", "cold.dat")})[0].ok());
  Event done;
  done.kind = EventKind::kRestoreCompleted;
  done.bucket = "b";
  done.key = "cold.dat";
  done.restore_expiry = clock_.Now() + std::chrono::hours(72);
  Event unknown = done;
  unknown.key = "never-seen.dat";
  auto results = Apply({done, unknown});
  EXPECT_TRUE(results[0].ok()) << results[0].ToString();
  EXPECT_TRUE(results[1].ok()) << results[1].ToString();
  EXPECT_EQ(engine_->Query({"b", "cold.dat", ""})->state, State::kRestored);
}

}  // namespace
}  // namespace thaw::events
