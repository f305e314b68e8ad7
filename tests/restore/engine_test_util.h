// Helpers shared by the engine tests: a fixture with a FakeClock, a MockS3Client and a fresh
// state dir, and a bounded real-time wait for conditions that engine threads make true.
// Nothing asserts on how long real time takes; the bound only keeps a broken engine from
// hanging the suite.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <thread>

#include "common/clock.h"
#include "restore/engine.h"
#include "s3/mock_client.h"
#include "support/test_env.h"

namespace thaw::restore::testing {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

// Polls `pred` until it holds (true) or ~20 s of real time pass (false).
inline bool Eventually(const std::function<bool()>& pred) {
  for (int i = 0; i < 20000; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

// Gives engine threads a moment to do something they should not do (used before asserting
// that nothing happened; a wrong engine would usually act well within it).
inline void Settle() {
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

class EngineFixture : public ::testing::Test {
 protected:
  EngineOptions Options() const {
    EngineOptions o;
    o.state_dir = dir_.path() + "/state";
    o.jitter = 0;  // exact schedules; tests that want jitter set it
    o.random_seed = 42;
    o.limits.restore_requests_per_second = 0;
    o.limits.head_requests_per_second = 0;
    o.limits.max_concurrency = 4;
    return o;
  }

  std::unique_ptr<Engine> Open(const EngineOptions& o, std::shared_ptr<const Policy> p = nullptr,
                               s3::S3Client* client = nullptr) {
    auto e = OpenEngine(o, std::move(p), client ? *client : s3_, clock_);
    EXPECT_TRUE(e.ok()) << e.status().ToString();
    return e.ok() ? std::move(*e) : nullptr;
  }
  std::unique_ptr<Engine> Open() { return Open(Options()); }

  static std::shared_ptr<const Policy> PolicyWithDefaults(s3::RestoreTier tier, int days = 7,
                                                          bool fallback = true,
                                                          std::vector<Rule> rules = {}) {
    return std::make_shared<Policy>(std::move(rules), PolicyDefaults{tier, days, fallback});
  }

  static bool StateIs(const std::shared_ptr<RestoreHandle>& h, State s) {
    return Eventually([&] { return h->Snapshot().state == s; });
  }

  std::shared_ptr<RestoreHandle> MustSubmit(Engine& e, const ObjectRef& o,
                                            const SubmitOptions& opts = {}) {
    auto h = e.Submit(o, opts);
    EXPECT_TRUE(h.ok()) << h.status().ToString();
    return h.ok() ? *h : nullptr;
  }

  thaw::testing::TempDir dir_;
  FakeClock clock_;
  s3::MockS3Client s3_{clock_};
};

}  // namespace thaw::restore::testing
