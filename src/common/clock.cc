// The real and the fake clock. The only file in thaw that reads the system clock or sleeps.
#include "common/clock.h"

#include <thread>

namespace thaw {
namespace {

class RealClock : public Clock {
 public:
  TimePoint Now() const override { return std::chrono::system_clock::now(); }

  void SleepFor(Duration d) override {
    if (d > Duration::zero()) std::this_thread::sleep_for(d);
  }

  bool WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 TimePoint deadline, const std::function<bool()>& pred) override {
    // Wall-clock deadlines are turned into steady-clock waits so that a clock step does not
    // stretch or cut a wait.
    while (!pred()) {
      auto remaining = deadline - Now();
      if (remaining <= Duration::zero()) return pred();
      cv.wait_for(lock, remaining);
    }
    return true;
  }
};

}  // namespace

Clock& Clock::Real() {
  static RealClock clock;
  return clock;
}

FakeClock::FakeClock(TimePoint start, bool auto_advance)
    : now_(start), auto_advance_(auto_advance) {}

Clock::TimePoint FakeClock::Now() const {
  std::lock_guard<std::mutex> g(mu_);
  return now_;
}

void FakeClock::SleepFor(Duration d) {
  std::unique_lock<std::mutex> l(mu_);
  if (d > Duration::zero()) slept_ += d;
  if (auto_advance_) {
    if (d > Duration::zero()) now_ += d;
    l.unlock();
    NotifyAll();
    return;
  }
  TimePoint until = now_ + d;
  ++waiters_;
  advanced_.wait(l, [&] { return now_ >= until; });
  --waiters_;
}

bool FakeClock::WaitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          TimePoint deadline, const std::function<bool()>& pred) {
  {
    std::lock_guard<std::mutex> g(mu_);
    cvs_.insert(&cv);
    ++waiters_;
  }
  bool result;
  while (true) {
    if (pred()) {
      result = true;
      break;
    }
    if (Now() >= deadline) {
      result = pred();
      break;
    }
    if (auto_advance_) {
      // Nobody moves an auto-advancing clock from outside, so waiting would never end:
      // treat the wait like SleepFor and jump to the deadline.
      {
        std::lock_guard<std::mutex> g(mu_);
        if (now_ < deadline) now_ = deadline;
      }
      NotifyAll();
      continue;
    }
    // Advance() notifies `cv`, but it cannot take the caller's mutex, so a notification may land
    // between the checks above and this wait. A short real timeout bounds that race.
    cv.wait_for(lock, std::chrono::milliseconds(2));
  }
  std::lock_guard<std::mutex> g(mu_);
  cvs_.erase(cvs_.find(&cv));
  --waiters_;
  return result;
}

void FakeClock::Advance(Duration d) {
  {
    std::lock_guard<std::mutex> g(mu_);
    now_ += d;
  }
  NotifyAll();
}

void FakeClock::SetTime(TimePoint t) {
  {
    std::lock_guard<std::mutex> g(mu_);
    now_ = t;
  }
  NotifyAll();
}

Clock::Duration FakeClock::total_slept() const {
  std::lock_guard<std::mutex> g(mu_);
  return slept_;
}

int FakeClock::waiters() const {
  std::lock_guard<std::mutex> g(mu_);
  return waiters_;
}

void FakeClock::NotifyAll() {
  std::lock_guard<std::mutex> g(mu_);
  advanced_.notify_all();
  for (auto* cv : cvs_) cv->notify_all();
}

}  // namespace thaw
