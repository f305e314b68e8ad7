// WarmConnections: the requests run at the same time, so each leaves its own connection in the
// transport's pool for the reads that follow (counted at a scripted server); a failing endpoint
// only costs the attempt.
#include "fs/connection_warmup.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>

#include "s3/client.h"
#include "support/http_test_server.h"
#include "support/scripted_client.h"

namespace thaw::fs {
namespace {

using thaw::testing::HttpTestServer;
using thaw::testing::MakeScriptedClient;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

TestResponse BucketThere(const TestRequest&) {
  TestResponse r = TestResponse::Status(200);
  // A round trip long enough that all of them are under way together even on a busy machine.
  r.delay = std::chrono::milliseconds(100);
  return r;
}

TEST(WarmConnections, LeavesThatManyConnectionsForTheReadsThatFollow) {
  HttpTestServer server(BucketThere);
  auto client = MakeScriptedClient(server.url());
  {
    FetchPool pool(32);
    WarmConnections(*client, pool, "b", 8);
  }  // the pool runs what is queued before it joins
  ASSERT_EQ(server.request_count(), 8);
  for (const TestRequest& r : server.requests()) {
    EXPECT_EQ(r.method, "HEAD");
    EXPECT_EQ(r.target, "/b");
  }
  EXPECT_EQ(server.connection_count(), 8);

  // Eight requests at once now find eight open connections: no new one.
  server.set_handler(BucketThere);
  {
    FetchPool pool(32);
    WarmConnections(*client, pool, "b", 8);
  }
  EXPECT_EQ(server.request_count(), 16);
  EXPECT_EQ(server.connection_count(), 8);
}

TEST(WarmConnections, NeverMoreThanThePoolRunsAtOnce) {
  HttpTestServer server(BucketThere);
  auto client = MakeScriptedClient(server.url());
  {
    FetchPool pool(3);
    WarmConnections(*client, pool, "b", 8);
  }
  EXPECT_EQ(server.request_count(), 3);
  EXPECT_EQ(server.connection_count(), 3);
}

TEST(WarmConnections, AFailingEndpointOnlyCostsTheAttempt) {
  HttpTestServer server([](const TestRequest&) {
    return TestResponse::Status(403,
                                "<Error><Code>AccessDenied</Code><Message>no</Message></Error>");
  });
  auto client = MakeScriptedClient(server.url());
  {
    FetchPool pool(4);
    WarmConnections(*client, pool, "b", 4);
    WarmConnections(*client, pool, "b", 0);  // off: nothing sent
  }
  EXPECT_EQ(server.request_count(), 4);
}

TEST(WarmConnections, SaysWhenEveryRequestHasFinished) {
  HttpTestServer server(BucketThere);
  auto client = MakeScriptedClient(server.url());
  std::atomic<int> done{0};
  std::atomic<int> answered_by_then{-1};
  {
    FetchPool pool(8);
    WarmConnections(*client, pool, "b", 6, [&] {
      answered_by_then = server.request_count();
      ++done;
    });
    WarmConnections(*client, pool, "b", 0, [&] { ++done; });  // none: said at once
    EXPECT_GE(done.load(), 1);
  }
  EXPECT_EQ(done.load(), 2);
  EXPECT_EQ(answered_by_then.load(), 6);
}

}  // namespace
}  // namespace thaw::fs
