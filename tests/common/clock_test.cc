// Tests for common/clock: the fake clock wakes sleepers and deadline waiters only when moved,
// auto_advance lets single-threaded code sleep without blocking, and the real clock keeps the
// same contract in real time.
#include "common/clock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

namespace thaw {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

const Clock::TimePoint kStart(seconds(1700000000));

// Blocks (in real time, bounded) until `n` threads wait on the fake clock.
void AwaitWaiters(const FakeClock& clock, int n) {
  for (int i = 0; i < 10000 && clock.waiters() < n; ++i) {
    std::this_thread::sleep_for(milliseconds(1));
  }
  ASSERT_EQ(clock.waiters(), n);
}

// True when `f` is still not ready after a short real pause.
template <typename T>
bool StillBlocked(std::future<T>& f) {
  return f.wait_for(milliseconds(50)) == std::future_status::timeout;
}

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock clock;
  EXPECT_EQ(clock.Now(), kStart);
  clock.Advance(seconds(90));
  EXPECT_EQ(clock.Now(), kStart + seconds(90));
  clock.SetTime(kStart - hours(1));
  EXPECT_EQ(clock.Now(), kStart - hours(1));
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(FakeClock, SleepForIsWokenByAdvanceFromAnotherThread) {
  FakeClock clock;
  auto sleeper = std::async(std::launch::async, [&] { clock.SleepFor(hours(12)); });
  AwaitWaiters(clock, 1);
  clock.Advance(hours(11));
  EXPECT_TRUE(StillBlocked(sleeper));
  clock.Advance(hours(1));
  EXPECT_EQ(sleeper.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_EQ(clock.waiters(), 0);
  EXPECT_EQ(clock.total_slept(), hours(12));
}

TEST(FakeClock, SetTimeWakesSleepers) {
  FakeClock clock;
  auto sleeper = std::async(std::launch::async, [&] { clock.SleepFor(minutes(5)); });
  AwaitWaiters(clock, 1);
  clock.SetTime(kStart + hours(1));
  EXPECT_EQ(sleeper.wait_for(seconds(10)), std::future_status::ready);
}

TEST(FakeClock, ZeroAndNegativeSleepsReturnAtOnce) {
  FakeClock clock;
  clock.SleepFor(Clock::Duration::zero());
  clock.SleepFor(-seconds(5));
  EXPECT_EQ(clock.Now(), kStart);
  EXPECT_EQ(clock.total_slept(), Clock::Duration::zero());
}

TEST(FakeClock, WaitUntilReturnsFalseAtTheDeadline) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  auto waiter = std::async(std::launch::async, [&] {
    std::unique_lock<std::mutex> lock(mu);
    return clock.WaitUntil(lock, cv, kStart + minutes(10), [] { return false; });
  });
  AwaitWaiters(clock, 1);
  clock.Advance(minutes(9));
  EXPECT_TRUE(StillBlocked(waiter));
  clock.Advance(minutes(1));
  ASSERT_EQ(waiter.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_FALSE(waiter.get());
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(FakeClock, WaitUntilReturnsTrueWhenThePredicateIsSet) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  auto waiter = std::async(std::launch::async, [&] {
    std::unique_lock<std::mutex> lock(mu);
    return clock.WaitUntil(lock, cv, kStart + hours(1), [&] { return done; });
  });
  AwaitWaiters(clock, 1);
  {
    std::lock_guard<std::mutex> g(mu);
    done = true;
  }
  cv.notify_all();
  ASSERT_EQ(waiter.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_TRUE(waiter.get());
  EXPECT_EQ(clock.Now(), kStart);  // no fake time passed
}

TEST(FakeClock, WaitUntilChecksBeforeWaiting) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(clock.WaitUntil(lock, cv, kStart + hours(1), [] { return true; }));
  EXPECT_FALSE(clock.WaitUntil(lock, cv, kStart - seconds(1), [] { return false; }));
  EXPECT_TRUE(lock.owns_lock());
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(FakeClock, ManyWaitersAllWake) {
  FakeClock clock;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::future<bool>> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.push_back(std::async(std::launch::async, [&, i] {
      std::unique_lock<std::mutex> lock(mu);
      return clock.WaitUntil(lock, cv, kStart + seconds(i + 1), [] { return false; });
    }));
  }
  auto sleeper = std::async(std::launch::async, [&] { clock.SleepFor(seconds(3)); });
  AwaitWaiters(clock, 5);
  clock.Advance(seconds(10));
  for (auto& w : waiters) {
    ASSERT_EQ(w.wait_for(seconds(10)), std::future_status::ready);
    EXPECT_FALSE(w.get());
  }
  EXPECT_EQ(sleeper.wait_for(seconds(10)), std::future_status::ready);
}

TEST(FakeClock, AutoAdvanceSleepsWithoutBlocking) {
  FakeClock clock(kStart, /*auto_advance=*/true);
  clock.SleepFor(seconds(3));
  clock.SleepFor(milliseconds(250));
  EXPECT_EQ(clock.Now(), kStart + seconds(3) + milliseconds(250));
  EXPECT_EQ(clock.total_slept(), seconds(3) + milliseconds(250));
  EXPECT_EQ(clock.waiters(), 0);
}

TEST(FakeClock, AutoAdvanceWaitUntilJumpsToTheDeadline) {
  FakeClock clock(kStart, /*auto_advance=*/true);
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_FALSE(clock.WaitUntil(lock, cv, kStart + hours(12), [] { return false; }));
  EXPECT_EQ(clock.Now(), kStart + hours(12));
  // A predicate that becomes true as time passes is seen at the deadline.
  EXPECT_TRUE(clock.WaitUntil(lock, cv, kStart + hours(13),
                              [&] { return clock.Now() >= kStart + hours(13); }));
  // A true predicate does not move the clock.
  EXPECT_TRUE(clock.WaitUntil(lock, cv, kStart + hours(20), [] { return true; }));
  EXPECT_EQ(clock.Now(), kStart + hours(13));
}

TEST(RealClock, FollowsSystemTimeAndSleeps) {
  Clock& clock = Clock::Real();
  auto before = std::chrono::system_clock::now();
  auto now = clock.Now();
  EXPECT_LE(before - seconds(1), now);
  auto steady = std::chrono::steady_clock::now();
  clock.SleepFor(milliseconds(20));
  EXPECT_GE(std::chrono::steady_clock::now() - steady, milliseconds(20));
  clock.SleepFor(-seconds(1));  // returns at once
}

TEST(RealClock, WaitUntilTimesOutOrSeesThePredicate) {
  Clock& clock = Clock::Real();
  std::mutex mu;
  std::condition_variable cv;
  {
    std::unique_lock<std::mutex> lock(mu);
    auto steady = std::chrono::steady_clock::now();
    EXPECT_FALSE(clock.WaitUntil(lock, cv, clock.Now() + milliseconds(30), [] { return false; }));
    EXPECT_GE(std::chrono::steady_clock::now() - steady, milliseconds(25));
  }
  std::atomic<bool> done{false};
  std::thread setter([&] {
    std::this_thread::sleep_for(milliseconds(20));
    {
      std::lock_guard<std::mutex> g(mu);
      done = true;
    }
    cv.notify_all();
  });
  std::unique_lock<std::mutex> lock(mu);
  EXPECT_TRUE(clock.WaitUntil(lock, cv, clock.Now() + seconds(30), [&] { return done.load(); }));
  lock.unlock();
  setter.join();
}

}  // namespace
}  // namespace thaw
