// The SQS JSON-protocol client against a fake server (tests/support/http_test_server): what goes
// on the wire (target header, content type, SigV4 scope for `sqs`, JSON members), how answers and
// per-entry batch failures are read, typed errors, and which failures are retried.
#include "s3/sqs_client.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "s3/error.h"
#include "support/http_test_server.h"

namespace thaw::s3 {
namespace {

using nlohmann::json;
using thaw::testing::HttpTestServer;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

constexpr char kQueue[] = "http://127.0.0.1/123456789012/q";

TestResponse JsonOk(const json& j) {
  TestResponse r = TestResponse::Ok(j.dump());
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"}};
  return r;
}

TestResponse JsonError(int status, const std::string& type, const std::string& message) {
  TestResponse r = TestResponse::Status(
      status, json{{"__type", "com.amazonaws.sqs#" + type}, {"message", message}}.dump());
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"}, {"x-amzn-RequestId", "REQ-1"}};
  return r;
}

class SqsAgainstFakeServer : public ::testing::Test {
 protected:
  std::unique_ptr<SqsClient> Client(HttpTestServer& server, int max_attempts = 3) {
    SqsConfig config;
    config.endpoint_url = server.url();
    config.region = "eu-west-1";
    config.retry.max_attempts = max_attempts;
    config.transport.stall_timeout = std::chrono::milliseconds(5000);
    Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "test"};
    return MakeSqsClient(config, MakeStaticProvider(creds), clock_);
  }
  FakeClock clock_{FakeClock::TimePoint(std::chrono::seconds(1700000000)), /*auto_advance=*/true};
};

TEST_F(SqsAgainstFakeServer, SendMessageSpeaksJsonProtocol) {
  HttpTestServer server([](const TestRequest&) {
    return JsonOk({{"MessageId", "m-1"}, {"MD5OfMessageBody", "abc"}});
  });
  auto client = Client(server);
  SendMessageRequest req;
  req.queue_url = kQueue;
  req.body = "{\"hello\":\"w\\u00f6rld\"}";
  req.delay_seconds = 3;
  req.message_attributes["origin"] = "test";
  auto r = client->SendMessage(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->message_id, "m-1");
  EXPECT_EQ(r->md5_of_body, "abc");

  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 1u);
  const TestRequest& q = seen[0];
  EXPECT_EQ(q.method, "POST");
  EXPECT_EQ(q.target, "/");
  EXPECT_EQ(q.Header("x-amz-target"), "AmazonSQS.SendMessage");
  EXPECT_EQ(q.Header("content-type"), "application/x-amz-json-1.0");
  EXPECT_NE(q.Header("authorization").find("/eu-west-1/sqs/aws4_request"), std::string::npos)
      << q.Header("authorization");
  EXPECT_TRUE(q.Header("x-amz-content-sha256").empty());  // an S3-only header
  json body = json::parse(q.body);
  EXPECT_EQ(body["QueueUrl"], kQueue);
  EXPECT_EQ(body["MessageBody"], req.body);
  EXPECT_EQ(body["DelaySeconds"], 3);
  EXPECT_EQ(body["MessageAttributes"]["origin"]["StringValue"], "test");
  EXPECT_EQ(body["MessageAttributes"]["origin"]["DataType"], "String");
}

TEST_F(SqsAgainstFakeServer, ReceiveReadsMessagesAndReceiveCount) {
  HttpTestServer server([](const TestRequest&) {
    json m1 = {{"MessageId", "a"},
               {"ReceiptHandle", "rh-a"},
               {"MD5OfBody", "x"},
               {"Body", "one"},
               {"Attributes", {{"ApproximateReceiveCount", "3"}, {"SentTimestamp", "17"}}},
               {"MessageAttributes", {{"k", {{"DataType", "String"}, {"StringValue", "v"}}}}}};
    json m2 = {{"MessageId", "b"}, {"ReceiptHandle", "rh-b"}, {"Body", ""}};
    return JsonOk({{"Messages", {m1, m2}}});
  });
  auto client = Client(server);
  ReceiveMessageRequest req;
  req.queue_url = kQueue;
  req.max_messages = 7;
  req.wait_time_seconds = 2;
  req.visibility_timeout_seconds = 45;
  auto r = client->ReceiveMessage(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].message_id, "a");
  EXPECT_EQ((*r)[0].receipt_handle, "rh-a");
  EXPECT_EQ((*r)[0].body, "one");
  EXPECT_EQ((*r)[0].receive_count, 3);
  EXPECT_EQ((*r)[0].attributes.at("SentTimestamp"), "17");
  EXPECT_EQ((*r)[0].message_attributes.at("k"), "v");
  EXPECT_EQ((*r)[1].receive_count, 0);

  json body = json::parse(server.requests()[0].body);
  EXPECT_EQ(server.requests()[0].Header("x-amz-target"), "AmazonSQS.ReceiveMessage");
  EXPECT_EQ(body["MaxNumberOfMessages"], 7);
  EXPECT_EQ(body["WaitTimeSeconds"], 2);
  EXPECT_EQ(body["VisibilityTimeout"], 45);
  EXPECT_EQ(body["MessageSystemAttributeNames"], json::array({"All"}));
}

TEST_F(SqsAgainstFakeServer, ReceiveWithNoMessagesIsEmpty) {
  HttpTestServer server([](const TestRequest&) { return JsonOk(json::object()); });
  auto client = Client(server);
  auto r = client->ReceiveMessage({kQueue, 10, 0});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());
}

TEST_F(SqsAgainstFakeServer, ReceiveRejectsOutOfRangeArgumentsWithoutACall) {
  HttpTestServer server([](const TestRequest&) { return JsonOk(json::object()); });
  auto client = Client(server);
  EXPECT_TRUE(client->ReceiveMessage({kQueue, 11, 0}).status().IsInvalidArgument());
  EXPECT_TRUE(client->ReceiveMessage({kQueue, 1, 21}).status().IsInvalidArgument());
  EXPECT_EQ(server.request_count(), 0);
}

TEST_F(SqsAgainstFakeServer, BatchResultsSplitSuccessAndFailure) {
  HttpTestServer server([](const TestRequest&) {
    return JsonOk({{"Successful", {{{"Id", "1"}}}},
                   {"Failed",
                    {{{"Id", "2"},
                      {"SenderFault", true},
                      {"Code", "ReceiptHandleIsInvalid"},
                      {"Message", "bad"}}}}});
  });
  auto client = Client(server);
  auto r = client->DeleteMessageBatch(kQueue, {{"1", "rh1"}, {"2", "rh2"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->successful, std::vector<std::string>{"1"});
  ASSERT_EQ(r->failed.size(), 1u);
  EXPECT_EQ(r->failed[0].id, "2");
  EXPECT_EQ(r->failed[0].code, "ReceiptHandleIsInvalid");
  EXPECT_TRUE(r->failed[0].sender_fault);
  json body = json::parse(server.requests()[0].body);
  EXPECT_EQ(body["Entries"][1]["ReceiptHandle"], "rh2");
}

TEST_F(SqsAgainstFakeServer, SendBatchReturnsMessageIds) {
  HttpTestServer server([](const TestRequest&) {
    return JsonOk(
        {{"Successful", {{{"Id", "x"}, {"MessageId", "mx"}}, {{"Id", "y"}, {"MessageId", "my"}}}}});
  });
  auto client = Client(server);
  auto r = client->SendMessageBatch(kQueue, {{"x", "bx"}, {"y", "by"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->message_ids.at("x"), "mx");
  EXPECT_EQ(r->message_ids.at("y"), "my");
}

TEST_F(SqsAgainstFakeServer, BatchesAreCheckedBeforeSending) {
  HttpTestServer server([](const TestRequest&) { return JsonOk(json::object()); });
  auto client = Client(server);
  std::vector<ReceiptEntry> eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back({std::to_string(i), "rh"});
  EXPECT_TRUE(client->DeleteMessageBatch(kQueue, eleven).status().IsInvalidArgument());
  EXPECT_TRUE(client->DeleteMessageBatch(kQueue, {}).status().IsInvalidArgument());
  EXPECT_TRUE(client->ChangeMessageVisibilityBatch(kQueue, {{"a", "r", 1}, {"a", "s", 1}})
                  .status()
                  .IsInvalidArgument());
  EXPECT_EQ(server.request_count(), 0);
}

TEST_F(SqsAgainstFakeServer, ChangeVisibilitySendsTimeout) {
  HttpTestServer server([](const TestRequest&) { return JsonOk(json::object()); });
  auto client = Client(server);
  ASSERT_TRUE(client->ChangeMessageVisibility(kQueue, "rh", 120).ok());
  json body = json::parse(server.requests()[0].body);
  EXPECT_EQ(server.requests()[0].Header("x-amz-target"), "AmazonSQS.ChangeMessageVisibility");
  EXPECT_EQ(body["VisibilityTimeout"], 120);
  EXPECT_EQ(body["ReceiptHandle"], "rh");
}

TEST_F(SqsAgainstFakeServer, QueueDoesNotExistIsNotFound) {
  HttpTestServer server([](const TestRequest&) {
    return JsonError(400, "QueueDoesNotExist", "The specified queue does not exist.");
  });
  auto client = Client(server);
  auto r = client->GetQueueUrl("nope");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound()) << r.status().ToString();
  EXPECT_EQ(SqsErrorCode(r.status()), "QueueDoesNotExist");
  EXPECT_NE(r.status().message().find("does not exist"), std::string::npos);
  EXPECT_EQ(GetS3Error(r.status())->request_id, "REQ-1");
  EXPECT_EQ(server.request_count(), 1);  // not retried
}

TEST_F(SqsAgainstFakeServer, ErrorCodeFromHeaderWhenBodyHasNone) {
  HttpTestServer server([](const TestRequest&) {
    TestResponse r = TestResponse::Status(400, "");
    r.headers = {{"x-amzn-query-error", "ReceiptHandleIsInvalid;Sender"}};
    return r;
  });
  auto client = Client(server);
  Status s = client->DeleteMessage(kQueue, "bogus");
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  EXPECT_EQ(SqsErrorCode(s), "ReceiptHandleIsInvalid");
}

TEST_F(SqsAgainstFakeServer, AccessDeniedIsPermissionDenied) {
  HttpTestServer server(
      [](const TestRequest&) { return JsonError(403, "AccessDeniedException", "no"); });
  auto client = Client(server);
  auto r = client->ReceiveMessage({kQueue, 1, 0});
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied) << r.status().ToString();
}

TEST_F(SqsAgainstFakeServer, ThrottlingIsRetriedThenSucceeds) {
  int calls = 0;
  HttpTestServer server([&](const TestRequest&) {
    if (++calls < 3) return JsonError(400, "ThrottlingException", "slow down");
    return JsonOk({{"MessageId", "m"}});
  });
  auto client = Client(server);
  // Throttling means the message was not taken: even a send may be repeated.
  auto r = client->SendMessage({kQueue, "b"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(server.request_count(), 3);
  EXPECT_GT(clock_.total_slept(), Clock::Duration::zero());
}

TEST_F(SqsAgainstFakeServer, ServerErrorsGiveUpAsUnavailable) {
  HttpTestServer server([](const TestRequest&) { return TestResponse::Status(500, "oops"); });
  auto client = Client(server, 4);
  auto r = client->ReceiveMessage({kQueue, 1, 0});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsUnavailable()) << r.status().ToString();
  EXPECT_EQ(server.request_count(), 4);
}

TEST_F(SqsAgainstFakeServer, SendIsNotRepeatedAfterAConnectionDropsMidRequest) {
  HttpTestServer server([](const TestRequest&) {
    TestResponse r;
    r.action = TestResponse::Action::kClose;
    return r;
  });
  auto client = Client(server);
  auto send = client->SendMessage({kQueue, "b"});
  EXPECT_FALSE(send.ok());
  EXPECT_EQ(server.request_count(), 1);  // the queue may hold it: a retry could duplicate it
  auto del = client->DeleteMessage(kQueue, "rh");
  EXPECT_FALSE(del.ok());
  EXPECT_EQ(server.request_count(), 1 + 3);  // deleting twice is harmless
}

TEST_F(SqsAgainstFakeServer, NonJsonAnswerIsAnError) {
  HttpTestServer server([](const TestRequest&) { return TestResponse::Ok("<html>proxy</html>"); });
  auto client = Client(server);
  auto r = client->GetQueueUrl("q");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unexpected answer"), std::string::npos);
}

TEST_F(SqsAgainstFakeServer, MessageWithoutReceiptHandleIsRejected) {
  HttpTestServer server([](const TestRequest&) {
    return JsonOk({{"Messages", {{{"MessageId", "a"}, {"Body", "x"}}}}});
  });
  auto client = Client(server);
  EXPECT_FALSE(client->ReceiveMessage({kQueue, 1, 0}).ok());
}

TEST(SqsEndpoint, ExplicitThenServiceVariableThenGeneric) {
  auto env = [](std::map<std::string, std::string> vars) -> EnvLookup {
    return [vars](const std::string& n) -> std::optional<std::string> {
      auto it = vars.find(n);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  };
  // The shared resolution of s3/endpoints.h, for SQS (no profile here).
  auto sqs = [](const std::string& explicit_url, const EnvLookup& e) {
    return *ConfiguredEndpointUrl("sqs", explicit_url, {}, e);
  };
  EXPECT_EQ(sqs("http://a", env({{"AWS_ENDPOINT_URL_SQS", "http://b"}})), "http://a");
  EXPECT_EQ(sqs("", env({{"AWS_ENDPOINT_URL_SQS", "http://b"}, {"AWS_ENDPOINT_URL", "http://c"}})),
            "http://b");
  EXPECT_EQ(sqs("", env({{"AWS_ENDPOINT_URL", "http://c"}})), "http://c");
  EXPECT_EQ(sqs("", env({})), "");
}

TEST(SqsEndpoint, RegionFromQueueUrl) {
  EXPECT_EQ(RegionFromQueueUrl("https://sqs.eu-west-1.amazonaws.com/123/q"), "eu-west-1");
  EXPECT_EQ(RegionFromQueueUrl("https://sqs.cn-north-1.amazonaws.com.cn/123/q"), "cn-north-1");
  EXPECT_EQ(RegionFromQueueUrl("http://127.0.0.1:5000/123456789012/q"), "");
  EXPECT_EQ(RegionFromQueueUrl("https://queue.amazonaws.com/123/q"), "");
  EXPECT_EQ(RegionFromQueueUrl("garbage"), "");
}

}  // namespace
}  // namespace thaw::s3
