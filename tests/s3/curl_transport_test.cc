// The curl transport's cancellation (HttpRequest::cancel), which lets `thaw serve` leave an SQS
// long poll at once on SIGTERM: a request waiting for its answer ends with kCancelled soon after
// the flag is raised, long before the server would answer; a flag raised before sending sends
// nothing; an answer that has begun is read to its end.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "s3/http.h"
#include "support/http_test_server.h"

namespace thaw::s3 {
namespace {

using thaw::testing::HttpTestServer;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

TEST(CurlTransport, CancelEndsAWaitForTheAnswer) {
  constexpr auto kServerDelay = std::chrono::seconds(5);
  HttpTestServer server([&](const TestRequest&) {
    TestResponse r = TestResponse::Ok("{}");
    r.delay = kServerDelay;  // a long poll with nothing to deliver
    return r;
  });
  auto transport = MakeCurlTransport();
  std::atomic<bool> stop{false};
  HttpRequest req;
  req.method = "POST";
  req.url = server.url() + "/";
  req.body = HttpBody::FromString("{}");
  req.cancel = &stop;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    stop.store(true);
  });
  auto start = std::chrono::steady_clock::now();
  auto r = transport->Send(req);
  auto waited = std::chrono::steady_clock::now() - start;
  stopper.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  EXPECT_LT(waited, kServerDelay) << "returned only when the server answered";
  EXPECT_EQ(server.request_count(), 1);
}

TEST(CurlTransport, CancelRaisedBeforeSendingSendsNothing) {
  HttpTestServer server([](const TestRequest&) { return TestResponse::Ok("{}"); });
  auto transport = MakeCurlTransport();
  std::atomic<bool> stop{true};
  HttpRequest req;
  req.url = server.url() + "/";
  req.cancel = &stop;
  auto r = transport->Send(req);
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_EQ(server.request_count(), 0);
}

TEST(CurlTransport, AnAnswerThatBeganIsReadToItsEnd) {
  const std::string body(1 << 20, 'm');  // several reads; the flag is up before the last
  std::atomic<bool> stop{false};
  HttpTestServer server([&](const TestRequest&) { return TestResponse::Ok(body); });
  auto transport = MakeCurlTransport();
  HttpRequest req;
  req.url = server.url() + "/";
  req.cancel = &stop;
  size_t got = 0;
  auto r = transport->Send(req, [&](std::string_view chunk) {
    got += chunk.size();
    stop.store(true);  // raised once the answer has begun
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return Status::Ok();
  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(got, body.size());
}

}  // namespace
}  // namespace thaw::s3
