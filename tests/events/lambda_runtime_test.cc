// The Runtime API client and loop against a fake Runtime API (tests/support HttpTestServer):
// headers read from `next`, the documented paths and error bodies, retries of `next`, and
// results that cannot be posted.
#include "events/lambda_runtime.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "support/fake_runtime_api.h"

namespace thaw::events {
namespace {

using thaw::testing::FakeRuntimeApi;

TEST(LambdaRuntime, NextReadsTheInvocationHeaders) {
  FakeRuntimeApi api;
  api.Queue("req-1", R"({"a":1})");
  RuntimeApiClient client(api.address(), MakeRuntimeTransport());
  auto inv = client.Next();
  ASSERT_TRUE(inv.ok()) << inv.status().ToString();
  EXPECT_EQ(inv->request_id, "req-1");
  EXPECT_EQ(inv->payload, R"({"a":1})");
  // The deadline header is the fake's "now + 60 s" in Unix milliseconds.
  auto in = inv->deadline - std::chrono::system_clock::now();
  EXPECT_GT(in, std::chrono::seconds(30));
  EXPECT_LE(in, std::chrono::seconds(60));
  EXPECT_EQ(inv->function_arn, "arn:aws:lambda:us-east-1:111122223333:function:thaw");
  EXPECT_EQ(inv->trace_id, "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700");
}

TEST(LambdaRuntime, LoopPostsResponsesAndErrorsToTheDocumentedPaths) {
  FakeRuntimeApi api;
  api.Queue("ok-1", "good");
  api.Queue("bad-2", "bad");
  RuntimeApiClient client(api.address(), MakeRuntimeTransport());
  LambdaLoopOptions options;
  options.max_invocations = 2;
  options.error_type_for = [](const Status&) { return std::string("Thaw.InvalidEvent"); };
  FakeClock clock;
  Status s = RunLambdaLoop(
      client,
      [](const Invocation& inv) -> Result<std::string> {
        if (inv.payload == "good") return std::string(R"({"done":true})");
        return Status::InvalidArgument("payload \"bad\" is \xff not an event");
      },
      options, clock);
  ASSERT_TRUE(s.ok()) << s.ToString();
  auto posts = api.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/invocation/ok-1/response");
  EXPECT_EQ(posts[0].body, R"({"done":true})");
  EXPECT_EQ(posts[1].target, "/2018-06-01/runtime/invocation/bad-2/error");
  EXPECT_EQ(posts[1].Header("lambda-runtime-function-error-type"), "Thaw.InvalidEvent");
  auto body = nlohmann::json::parse(posts[1].body);  // valid JSON despite the invalid UTF-8
  EXPECT_EQ(body["errorType"], "Thaw.InvalidEvent");
  EXPECT_NE(body["errorMessage"].get<std::string>().find("not an event"), std::string::npos);
  EXPECT_TRUE(body["stackTrace"].is_array());
}

TEST(LambdaRuntime, InitErrorGoesToInitPath) {
  FakeRuntimeApi api;
  RuntimeApiClient client(api.address(), MakeRuntimeTransport());
  ASSERT_TRUE(client.ReportInitError({"Thaw.InvalidConfig", "config: line 3: bad tier"}).ok());
  auto posts = api.posts();
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0].target, "/2018-06-01/runtime/init/error");
  EXPECT_EQ(posts[0].Header("lambda-runtime-function-error-type"), "Thaw.InvalidConfig");
  EXPECT_EQ(nlohmann::json::parse(posts[0].body)["errorMessage"], "config: line 3: bad tier");
}

TEST(LambdaRuntime, LoopRetriesNextThenGivesUp) {
  FakeRuntimeApi api;
  api.FailNext(2);
  api.Queue("req-1", "x");
  RuntimeApiClient client(api.address(), MakeRuntimeTransport());
  LambdaLoopOptions options;
  options.max_invocations = 1;
  FakeClock clock(FakeClock::TimePoint(std::chrono::seconds(1700000000)), /*auto_advance=*/true);
  int handled = 0;
  auto handler = [&](const Invocation&) -> Result<std::string> {
    ++handled;
    return std::string("{}");
  };
  ASSERT_TRUE(RunLambdaLoop(client, handler, options, clock).ok());
  EXPECT_EQ(handled, 1);

  // Nothing queued: every `next` fails, and the loop ends with that error.
  options.max_next_failures = 3;
  Status s = RunLambdaLoop(client, handler, options, clock);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(handled, 1);
}

TEST(LambdaRuntime, UnreachableApiIsUnavailable) {
  RuntimeApiClient client("127.0.0.1:1", MakeRuntimeTransport());
  auto inv = client.Next();
  ASSERT_FALSE(inv.ok());
  EXPECT_TRUE(inv.status().IsUnavailable()) << inv.status().ToString();
}

}  // namespace
}  // namespace thaw::events
