// HandleLambdaEvent: which payloads become which answers (batchItemFailures, summaries,
// errors), with a fake sink that records what it was asked to do and fails on command.
#include "events/lambda_handler.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "events/test_util.h"

namespace thaw::events {
namespace {

using testing::Fixture;

class FakeSink : public EventSink {
 public:
  std::vector<Status> Apply(std::span<const Event* const> events,
                            Clock::TimePoint deadline) override {
    last_deadline = deadline;
    std::vector<Status> out;
    for (const Event* e : events) {
      seen.push_back(*e);
      out.push_back(fail_keys.count(e->key) ? Status::Unavailable("SlowDown") : Status::Ok());
    }
    return out;
  }
  std::vector<Event> seen;
  std::set<std::string> fail_keys;
  Clock::TimePoint last_deadline{};
};

const Clock::TimePoint kDeadline{std::chrono::seconds(1700000100)};

std::vector<std::string> FailedIds(const std::string& answer) {
  auto j = nlohmann::json::parse(answer);
  std::vector<std::string> ids;
  for (const auto& item : j.at("batchItemFailures")) ids.push_back(item.at("itemIdentifier"));
  return ids;
}

// An SQS batch record around `body`.
nlohmann::json SqsRecord(const std::string& id, const std::string& body) {
  return {{"messageId", id},
          {"receiptHandle", "rh-" + id},
          {"body", body},
          {"attributes", {{"ApproximateReceiveCount", "1"}}},
          {"messageAttributes", nlohmann::json::object()},
          {"eventSource", "aws:sqs"},
          {"eventSourceARN", "arn:aws:sqs:us-east-1:111122223333:thaw-events"},
          {"awsRegion", "us-east-1"}};
}

TEST(LambdaHandler, EventBridgeCloudTrailEventIsApplied) {
  FakeSink sink;
  auto r = HandleLambdaEvent(Fixture("eventbridge_cloudtrail_getobject.json"), sink, kDeadline);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].kind, EventKind::kRestoreWanted);
  EXPECT_EQ(sink.seen[0].bucket, "archive-bucket");
  EXPECT_EQ(sink.seen[0].key, "data/2019/run 42/results.parquet");
  EXPECT_EQ(sink.last_deadline, kDeadline);
  auto j = nlohmann::json::parse(*r);
  EXPECT_EQ(j["events"], 1);
}

TEST(LambdaHandler, RestoreCompletedEventIsApplied) {
  FakeSink sink;
  auto r = HandleLambdaEvent(Fixture("eventbridge_restore_completed.json"), sink, kDeadline);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].kind, EventKind::kRestoreCompleted);
  EXPECT_EQ(sink.seen[0].key, "photos/2019/IMG 0001.CR2");
}

TEST(LambdaHandler, SqsBatchReportsOnlyThePoisonMessage) {
  FakeSink sink;
  auto r = HandleLambdaEvent(Fixture("sqs_batch.json"), sink, kDeadline);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  // Message 3 has a truncated body; the others (a CloudTrail event, an SNS-wrapped restore
  // notification, an S3 test event) are fine.
  EXPECT_EQ(FailedIds(*r), std::vector<std::string>{"3a5b0c8e-1111-4c1e-9d9f-0123456789ab"});
  ASSERT_EQ(sink.seen.size(), 2u);
  EXPECT_EQ(sink.seen[0].key, "data/2020/second.parquet");
  EXPECT_EQ(sink.seen[1].kind, EventKind::kRestoreCompleted);
}

TEST(LambdaHandler, SqsBatchReportsMessagesWhoseEventsFailed) {
  FakeSink sink;
  sink.fail_keys = {"data/2020/second.parquet"};
  auto r = HandleLambdaEvent(Fixture("sqs_batch.json"), sink, kDeadline);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(FailedIds(*r), (std::vector<std::string>{"059f36b4-87a3-44ab-83d2-661975830a7d",
                                                     "3a5b0c8e-1111-4c1e-9d9f-0123456789ab"}));
}

TEST(LambdaHandler, SqsMessageWithMalformedRecordIsPoisonAndNotApplied) {
  // A CloudTrail InvalidObjectState record without a key: relevant but unreadable.
  nlohmann::json bad_record = {{"eventSource", "s3.amazonaws.com"},
                               {"eventName", "GetObject"},
                               {"errorCode", "InvalidObjectState"},
                               {"eventID", "e-1"},
                               {"requestParameters", {{"bucketName", "b"}}}};
  nlohmann::json good_record = bad_record;
  good_record["eventID"] = "e-2";
  good_record["requestParameters"]["key"] = "k";
  nlohmann::json batch = {
      {"Records",
       {SqsRecord("m-bad", bad_record.dump()), SqsRecord("m-good", good_record.dump())}}};
  FakeSink sink;
  auto r = HandleLambdaEvent(batch.dump(), sink, kDeadline);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(FailedIds(*r), std::vector<std::string>{"m-bad"});
  ASSERT_EQ(sink.seen.size(), 1u);
  EXPECT_EQ(sink.seen[0].key, "k");
}

TEST(LambdaHandler, AllGoodSqsBatchAnswersEmptyFailureList) {
  FakeSink sink;
  nlohmann::json batch = {{"Records", {SqsRecord("m1", Fixture("s3_test_event.json"))}}};
  auto r = HandleLambdaEvent(batch.dump(), sink, kDeadline);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, R"({"batchItemFailures":[]})");
}

TEST(LambdaHandler, UnreadablePayloadIsAnInvalidEventError) {
  FakeSink sink;
  for (const std::string payload : {"{\"detail-type\":", "not json at all", "[1,2,3]", ""}) {
    auto r = HandleLambdaEvent(payload, sink, kDeadline);
    ASSERT_FALSE(r.ok()) << payload;
    EXPECT_EQ(LambdaErrorType(r.status()), kInvalidEventError) << r.status().ToString();
  }
  EXPECT_TRUE(sink.seen.empty());
}

TEST(LambdaHandler, DirectEventWithMalformedRecordIsAnError) {
  FakeSink sink;
  nlohmann::json event = nlohmann::json::parse(Fixture("eventbridge_cloudtrail_getobject.json"));
  event["detail"]["requestParameters"]["key"] = 42;
  auto r = HandleLambdaEvent(event.dump(), sink, kDeadline);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(LambdaErrorType(r.status()), kInvalidEventError);
  EXPECT_TRUE(sink.seen.empty());
}

TEST(LambdaHandler, DirectEventWhoseRestoreFailedIsARetryableError) {
  FakeSink sink;
  sink.fail_keys = {"data/2019/run 42/results.parquet"};
  auto r = HandleLambdaEvent(Fixture("eventbridge_cloudtrail_getobject.json"), sink, kDeadline);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(LambdaErrorType(r.status()), kEventFailedError);
  EXPECT_NE(r.status().message().find("results.parquet"), std::string::npos);
}

TEST(LambdaHandler, IrrelevantEventIsAnsweredWithoutAction) {
  FakeSink sink;
  nlohmann::json event = nlohmann::json::parse(Fixture("eventbridge_cloudtrail_getobject.json"));
  event["detail"].erase("errorCode");  // a successful GetObject
  auto r = HandleLambdaEvent(event.dump(), sink, kDeadline);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(sink.seen.empty());
  EXPECT_EQ(nlohmann::json::parse(*r)["ignored"], 1);
}

}  // namespace
}  // namespace thaw::events
