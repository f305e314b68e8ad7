// S3Client::RestoreObjectAsync on the HTTP client: many requests in flight on the curl
// transport's event loop (one thread, not one per request), answers typed as RestoreObject's,
// retries with backoff on the loop's timers, against moto (a server we did not write) and
// against scripted misbehaving servers (tests/support/http_test_server).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "s3/client.h"
#include "s3/error.h"
#include "support/http_test_server.h"
#include "support/process.h"

namespace thaw::s3 {
namespace {

using thaw::testing::HttpTestServer;
using thaw::testing::MotoServer;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

std::unique_ptr<S3Client> MakeClient(const std::string& endpoint, const std::string& key,
                                     const std::string& secret) {
  ClientConfig config;
  config.endpoint_url = endpoint;
  config.force_path_style = true;
  config.region = "us-east-1";
  config.retry.max_attempts = 3;
  config.transport.stall_timeout = std::chrono::milliseconds(5000);
  Credentials creds;
  creds.access_key_id = key;
  creds.secret_access_key = secret;
  creds.source = "test";
  return MakeHttpClient(config, MakeStaticProvider(creds));
}

// Collects the answers of asynchronous calls and the threads they arrived on.
class Answers {
 public:
  RestoreObjectCallback For(const std::string& key) {
    return [this, key](Result<RestoreOutcome> r) {
      std::lock_guard<std::mutex> g(mu_);
      results_.insert_or_assign(key, std::move(r));
      threads_.insert(std::this_thread::get_id());
      cv_.notify_all();
    };
  }
  bool WaitFor(size_t n) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(30), [&] { return results_.size() >= n; });
  }
  const std::map<std::string, Result<RestoreOutcome>>& results() const { return results_; }
  const std::set<std::thread::id>& threads() const { return threads_; }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Result<RestoreOutcome>> results_;
  std::set<std::thread::id> threads_;
};

TEST(RestoreObjectAsync, ManyInFlightAgainstMotoAreEachSentOnceAndTyped) {
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  auto client = MakeClient(moto.endpoint(), "testing", "testing");
  ASSERT_TRUE(client->CreateBucket("asyncbkt").ok());
  constexpr int kObjects = 16;
  auto key = [](int i) { return "k/" + std::to_string(i); };
  for (int i = 0; i < kObjects; ++i) {
    PutObjectRequest put{"asyncbkt", key(i), HttpBody::FromString("x"), "GLACIER", "", {}};
    ASSERT_TRUE(client->PutObject(put).ok());
  }
  PutObjectRequest readable{"asyncbkt", "standard", HttpBody::FromString("x"), "", "", {}};
  ASSERT_TRUE(client->PutObject(readable).ok());

  Answers answers;
  for (int i = 0; i < kObjects; ++i) {
    client->RestoreObjectAsync({"asyncbkt", key(i), "", RestoreTier::kBulk, 1},
                               answers.For(key(i)));
  }
  client->RestoreObjectAsync({"asyncbkt", "standard", "", RestoreTier::kBulk, 1},
                             answers.For("standard"));
  client->RestoreObjectAsync({"asyncbkt", "missing", "", RestoreTier::kBulk, 1},
                             answers.For("missing"));
  ASSERT_TRUE(answers.WaitFor(kObjects + 2));
  for (int i = 0; i < kObjects; ++i) {
    const Result<RestoreOutcome>& r = answers.results().at(key(i));
    ASSERT_TRUE(r.ok()) << key(i) << ": " << r.status().ToString();
    EXPECT_EQ(*r, RestoreOutcome::kAccepted) << key(i);
  }
  ASSERT_TRUE(answers.results().at("standard").ok());
  EXPECT_EQ(*answers.results().at("standard"), RestoreOutcome::kNotArchived);
  EXPECT_TRUE(answers.results().at("missing").status().IsNotFound())
      << answers.results().at("missing").status().ToString();
  // Every answer came from the transport's event loop: one thread, not the caller's.
  EXPECT_EQ(answers.threads().size(), 1u);
  EXPECT_EQ(answers.threads().count(std::this_thread::get_id()), 0u);

  // moto finishes restores at once: asking again is answered 200, "already restored".
  Answers again;
  client->RestoreObjectAsync({"asyncbkt", key(0), "", RestoreTier::kBulk, 1}, again.For("k0"));
  ASSERT_TRUE(again.WaitFor(1));
  ASSERT_TRUE(again.results().at("k0").ok());
  EXPECT_EQ(*again.results().at("k0"), RestoreOutcome::kAlreadyRestored);

  // moto's request log: exactly one RestoreObject per object in the first round.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // moto logs after answering
  std::ifstream log(moto.log_path());
  std::regex restore_line("\"POST /asyncbkt/k/[0-9]+\\?restore");
  int restores = 0;
  for (std::string line; std::getline(log, line);) {
    if (std::regex_search(line, restore_line)) ++restores;
  }
  EXPECT_EQ(restores, kObjects + 1);
}

std::string ErrorXml(const std::string& code) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
         "</Code><Message>m</Message><RequestId>R</RequestId></Error>";
}

TEST(RestoreObjectAsync, SlowDownIsRetriedOnTheLoopWithBackoff) {
  std::mutex mu;
  std::map<std::string, int> calls;
  HttpTestServer server([&](const TestRequest& req) {
    std::lock_guard<std::mutex> g(mu);
    // Two SlowDowns for each object, then accepted.
    return ++calls[req.target] <= 2 ? TestResponse::Status(503, ErrorXml("SlowDown"))
                                    : TestResponse::Status(202);
  });
  auto client = MakeClient(server.url(), "AKIDEXAMPLE", "secret");
  Answers answers;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    std::string k = "k" + std::to_string(i);
    client->RestoreObjectAsync({"b", k, "", RestoreTier::kBulk, 1}, answers.For(k));
  }
  ASSERT_TRUE(answers.WaitFor(5));
  for (const auto& [k, r] : answers.results()) {
    ASSERT_TRUE(r.ok()) << k << ": " << r.status().ToString();
    EXPECT_EQ(*r, RestoreOutcome::kAccepted);
  }
  EXPECT_EQ(server.request_count(), 15);
  // Two backoffs of at most 100 and 200 ms (full jitter), waited out side by side.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
}

TEST(RestoreObjectAsync, GivesUpAfterMaxAttemptsWithTheLastError) {
  HttpTestServer server(
      [](const TestRequest&) { return TestResponse::Status(503, ErrorXml("SlowDown")); });
  auto client = MakeClient(server.url(), "AKIDEXAMPLE", "secret");
  Answers answers;
  client->RestoreObjectAsync({"b", "k", "", RestoreTier::kBulk, 1}, answers.For("k"));
  ASSERT_TRUE(answers.WaitFor(1));
  const Result<RestoreOutcome>& r = answers.results().at("k");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable()) << r.status().ToString();
  EXPECT_EQ(server.request_count(), 3);
}

TEST(RestoreObjectAsync, AClosedConnectionIsRetriedForThisIdempotentCall) {
  std::atomic<int> calls{0};
  HttpTestServer server([&](const TestRequest&) {
    TestResponse r = TestResponse::Status(202);
    if (++calls == 1) r.action = TestResponse::Action::kClose;
    return r;
  });
  auto client = MakeClient(server.url(), "AKIDEXAMPLE", "secret");
  Answers answers;
  client->RestoreObjectAsync({"b", "k", "", RestoreTier::kBulk, 1}, answers.For("k"));
  ASSERT_TRUE(answers.WaitFor(1));
  const Result<RestoreOutcome>& r = answers.results().at("k");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, RestoreOutcome::kAccepted);
  EXPECT_EQ(calls, 2);
}

TEST(RestoreObjectAsync, ConnectionsAreReusedAcrossWavesOfRequests) {
  HttpTestServer server([](const TestRequest&) { return TestResponse::Status(202); });
  auto client = MakeClient(server.url(), "AKIDEXAMPLE", "secret");
  Answers answers;
  constexpr int kWaves = 10, kPerWave = 8;
  for (int wave = 0; wave < kWaves; ++wave) {
    for (int i = 0; i < kPerWave; ++i) {
      std::string k = "w" + std::to_string(wave) + "-" + std::to_string(i);
      client->RestoreObjectAsync({"b", k, "", RestoreTier::kBulk, 1}, answers.For(k));
    }
    ASSERT_TRUE(answers.WaitFor(static_cast<size_t>((wave + 1) * kPerWave)));
  }
  for (const auto& [k, r] : answers.results()) {
    ASSERT_TRUE(r.ok()) << k << ": " << r.status().ToString();
  }
  EXPECT_EQ(server.request_count(), kWaves * kPerWave);
  // Each wave finds the previous wave's connections idle in the pool (a socket curl hands
  // back to the loop's event set), so only the first waves open new ones.
  EXPECT_LE(server.connection_count(), 2 * kPerWave);
}

TEST(RestoreObjectAsync, ASilentServerTimesOutOnTheLoopsTimer) {
  // Nothing arrives on the socket: only curl's own timer, which the loop must run, ends it.
  // (curl judges the stall on its transfer rate over the last five seconds, the request's
  // upload included: a silent server is given up on after about 5 s + stall_timeout.)
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  HttpTestServer server([&](const TestRequest&) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait_for(l, std::chrono::seconds(20), [&] { return release; });
    return TestResponse::Status(202);
  });
  ClientConfig config;
  config.endpoint_url = server.url();
  config.force_path_style = true;
  config.region = "us-east-1";
  config.retry.max_attempts = 1;
  config.transport.stall_timeout = std::chrono::milliseconds(1000);
  Credentials creds;
  creds.access_key_id = "AKIDEXAMPLE";
  creds.secret_access_key = "secret";
  auto client = MakeHttpClient(config, MakeStaticProvider(creds));
  Answers answers;
  auto start = std::chrono::steady_clock::now();
  client->RestoreObjectAsync({"b", "k", "", RestoreTier::kBulk, 1}, answers.For("k"));
  ASSERT_TRUE(answers.WaitFor(1));
  auto waited = std::chrono::steady_clock::now() - start;
  {
    std::lock_guard<std::mutex> g(mu);
    release = true;
  }
  cv.notify_all();
  const Result<RestoreOutcome>& r = answers.results().at("k");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().code() == StatusCode::kDeadlineExceeded || r.status().IsUnavailable())
      << r.status().ToString();
  EXPECT_LT(waited, std::chrono::seconds(15));
}

}  // namespace
}  // namespace thaw::s3
