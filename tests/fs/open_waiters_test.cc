// OpenWaiters with a scripted RestoreHandle and a FakeClock: each waiter finishes exactly once,
// with the record, a timeout, an interrupt (also one that comes before Wait) or a shutdown.
#include "fs/open_waiters.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace thaw::fs {
namespace {

class ScriptedHandle : public restore::RestoreHandle {
 public:
  const restore::ObjectRef& object() const override { return object_; }
  restore::RestoreRecord Snapshot() const override {
    std::lock_guard lock(mu_);
    return record_;
  }
  void SetTier(std::optional<s3::RestoreTier> tier) {
    std::lock_guard lock(mu_);
    record_.tier = tier;
  }
  Result<restore::RestoreRecord> WaitUntil(Clock::TimePoint) override {
    return Status::Unimplemented("not used");
  }
  int Subscribe(restore::RestoreCallback fn) override {
    std::lock_guard lock(mu_);
    subs_[next_] = std::move(fn);
    return next_++;
  }
  void Unsubscribe(int id) override {
    std::lock_guard lock(mu_);
    subs_.erase(id);
    ++unsubscribed_;
  }
  void Fire(restore::State state) {
    std::map<int, restore::RestoreCallback> subs;
    {
      std::lock_guard lock(mu_);
      subs.swap(subs_);
    }
    restore::RestoreRecord r;
    r.state = state;
    for (auto& [id, fn] : subs) fn(r);
  }
  int subscribers() {
    std::lock_guard lock(mu_);
    return static_cast<int>(subs_.size());
  }
  int unsubscribed() {
    std::lock_guard lock(mu_);
    return unsubscribed_;
  }

 private:
  restore::ObjectRef object_{"b", "k", ""};
  mutable std::mutex mu_;
  restore::RestoreRecord record_;
  std::map<int, restore::RestoreCallback> subs_;
  int next_ = 1;
  int unsubscribed_ = 0;
};

// Collects what a waiter finished with.
struct Outcome {
  std::promise<Result<restore::RestoreRecord>> promise;
  std::future<Result<restore::RestoreRecord>> future = promise.get_future();
  std::atomic<int> calls{0};
  OpenWaiters::Finish Fn() {
    return [this](const Result<restore::RestoreRecord>& r) {
      if (calls++ == 0) promise.set_value(r);
    };
  }
  Result<restore::RestoreRecord> Get() {
    EXPECT_EQ(future.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return future.get();
  }
};

class OpenWaitersTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  std::shared_ptr<ScriptedHandle> handle_ = std::make_shared<ScriptedHandle>();
};

TEST_F(OpenWaitersTest, AllWaitersGetTheRecord) {
  OpenWaiters w(clock_);
  std::vector<std::unique_ptr<Outcome>> outcomes;
  for (int i = 0; i < 50; ++i) {
    outcomes.push_back(std::make_unique<Outcome>());
    w.Wait(w.Reserve(), handle_, clock_.Now() + std::chrono::hours(1), outcomes.back()->Fn());
  }
  EXPECT_EQ(w.waiting(), 50u);
  handle_->Fire(restore::State::kRestored);
  for (auto& o : outcomes) {
    auto r = o->Get();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->state, restore::State::kRestored);
  }
  w.Shutdown();
  for (auto& o : outcomes) EXPECT_EQ(o->calls.load(), 1);
}

TEST_F(OpenWaitersTest, DeadlineGivesDeadlineExceededAndUnsubscribes) {
  OpenWaiters w(clock_);
  Outcome o;
  w.Wait(w.Reserve(), handle_, clock_.Now() + std::chrono::seconds(30), o.Fn());
  EXPECT_EQ(handle_->subscribers(), 1);
  clock_.Advance(std::chrono::seconds(31));
  auto r = o.Get();
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  w.Shutdown();
  EXPECT_EQ(handle_->subscribers(), 0);
  EXPECT_EQ(o.calls.load(), 1);
}

TEST_F(OpenWaitersTest, InterruptGivesCancelledOthersKeepWaiting) {
  OpenWaiters w(clock_);
  Outcome a, b;
  uint64_t ida = w.Reserve();
  w.Wait(ida, handle_, clock_.Now() + std::chrono::hours(1), a.Fn());
  w.Wait(w.Reserve(), handle_, clock_.Now() + std::chrono::hours(1), b.Fn());
  w.Interrupt(ida);
  EXPECT_EQ(a.Get().status().code(), StatusCode::kCancelled);
  EXPECT_EQ(b.future.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  handle_->Fire(restore::State::kRestored);
  EXPECT_TRUE(b.Get().ok());
}

TEST_F(OpenWaitersTest, InterruptBeforeWaitIsNotLost) {
  OpenWaiters w(clock_);
  Outcome o;
  uint64_t id = w.Reserve();
  w.Interrupt(id);
  w.Wait(id, handle_, clock_.Now() + std::chrono::hours(1), o.Fn());
  EXPECT_EQ(o.Get().status().code(), StatusCode::kCancelled);
  EXPECT_EQ(handle_->subscribers(), 0);
}

TEST_F(OpenWaitersTest, ShutdownAbortsEveryWaiterAndLaterWaits) {
  OpenWaiters w(clock_);
  Outcome a, b;
  w.Wait(w.Reserve(), handle_, clock_.Now() + std::chrono::hours(1), a.Fn());
  w.Shutdown();
  EXPECT_EQ(a.Get().status().code(), StatusCode::kAborted);
  w.Wait(w.Reserve(), handle_, clock_.Now() + std::chrono::hours(1), b.Fn());
  EXPECT_EQ(b.Get().status().code(), StatusCode::kAborted);
  EXPECT_EQ(handle_->subscribers(), 0);
}

TEST_F(OpenWaitersTest, HandleThatAlreadyFinishedAnswersAtOnce) {
  // Subscribe calls back on the caller's thread when the request already ended.
  class DoneHandle : public ScriptedHandle {
   public:
    int Subscribe(restore::RestoreCallback fn) override {
      restore::RestoreRecord r;
      r.state = restore::State::kRestored;
      fn(r);
      return 7;
    }
  };
  OpenWaiters w(clock_);
  Outcome o;
  w.Wait(w.Reserve(), std::make_shared<DoneHandle>(), clock_.Now() + std::chrono::hours(1), o.Fn());
  auto r = o.Get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, restore::State::kRestored);
}

// `--restore-timeout auto`: the deadline follows the tier the engine chose after the open
// registered (here: Expedited, 20 min), re-read at least every kRecheckInterval.
TEST_F(OpenWaitersTest, DerivedDeadlineFollowsTheTierChosenLater) {
  OpenWaiters w(clock_);
  Outcome o;
  Clock::TimePoint opened = clock_.Now();
  auto deadline = [opened](const restore::RestoreRecord& r) {
    bool fast = r.tier == s3::RestoreTier::kExpedited;
    return opened + (fast ? std::chrono::minutes(20) : std::chrono::hours(15));
  };
  w.Wait(w.Reserve(), handle_, deadline, o.Fn());
  handle_->SetTier(s3::RestoreTier::kExpedited);
  clock_.Advance(std::chrono::minutes(19));
  EXPECT_EQ(o.future.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  clock_.Advance(std::chrono::minutes(2));
  EXPECT_EQ(o.Get().status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(handle_->subscribers(), 0);
}

TEST_F(OpenWaitersTest, DerivedDeadlineWithoutATierKeepsWaitingForTheRecord) {
  OpenWaiters w(clock_);
  Outcome o;
  Clock::TimePoint opened = clock_.Now();
  w.Wait(
      w.Reserve(), handle_,
      [opened](const restore::RestoreRecord& r) {
        return opened + (r.tier ? std::chrono::minutes(20) : std::chrono::hours(15));
      },
      o.Fn());
  clock_.Advance(std::chrono::hours(1));
  EXPECT_EQ(o.future.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  handle_->Fire(restore::State::kRestored);
  auto r = o.Get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->state, restore::State::kRestored);
}

}  // namespace
}  // namespace thaw::fs
