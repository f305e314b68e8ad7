// The dispatcher against a real Engine on a FakeClock and a MockS3Client: which events become
// restores (with the policy's tier and days, source event), which complete tracking, which are
// ignored, and that duplicates, replays, out-of-order events and bad messages are harmless.
#include "events/dispatch.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "events/message.h"
#include "restore/engine_test_util.h"
#include "test_util.h"

namespace thaw::events {
namespace {

using restore::ObjectRef;
using restore::Source;
using restore::State;
using restore::testing::EngineFixture;
using restore::testing::Eventually;
using thaw::events::testing::Fixture;

// A CloudTrail record as EventBridge delivers it, for `bucket`/`key`.
std::string GetObjectFailed(const std::string& bucket, const std::string& key,
                            const std::string& event_id,
                            const std::string& error = "InvalidObjectState") {
  return R"({"version":"0","id":"eb-)" + event_id +
         R"(","detail-type":"AWS API Call via CloudTrail","source":"aws.s3",
  "account":"111122223333","time":"2024-04-10T08:15:30Z","region":"us-east-1","resources":[],
  "detail":{"eventVersion":"1.09","eventTime":"2024-04-10T08:15:30Z",
  "eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1",
  "errorCode":")" +
         error + R"(","requestParameters":{"bucketName":")" + bucket + R"(","key":")" + key +
         R"("},"requestID":"R1","eventID":")" + event_id +
         R"(","eventType":"AwsApiCall","eventCategory":"Data"}})";
}

std::string RestoreCompleted(const std::string& bucket, const std::string& key) {
  return R"({"Records":[{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
  "eventTime":"2024-04-11T03:20:00.000Z","eventName":"ObjectRestore:Completed",
  "s3":{"s3SchemaVersion":"1.0","bucket":{"name":")" +
         bucket + R"(","arn":"arn:aws:s3:::)" + bucket + R"("},"object":{"key":")" + key +
         R"(","size":5,"sequencer":"0061"}},
  "glacierEventData":{"restoreEventData":{"lifecycleRestorationExpiryTime":"2030-01-02T00:00:00.000Z",
  "lifecycleRestoreStorageClass":"GLACIER"}}}]})";
}

class DispatchTest : public EngineFixture {
 protected:
  void SetUp() override {
    engine_ = Open(Options(), PolicyWithDefaults(s3::RestoreTier::kBulk, 5));
    ASSERT_NE(engine_, nullptr);
  }
  std::unique_ptr<restore::Engine> engine_;
};

TEST_F(DispatchTest, InvalidObjectStateBecomesAnEventRestoreWithThePolicysTier) {
  s3_.AddObject("bkt", "a/b.bin", "12345", "GLACIER");
  auto out = Dispatch(GetObjectFailed("bkt", "a/b.bin", "e1"), *engine_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->restores_submitted, 1);
  ASSERT_EQ(out->handles.size(), 1u);
  EXPECT_TRUE(out->poison.empty());
  EXPECT_TRUE(StateIs(out->handles[0], State::kInProgress));

  auto rec = engine_->Query({"bkt", "a/b.bin", ""});
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->source, Source::kEvent);
  auto sent = s3_.RestoreRequests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].tier, s3::RestoreTier::kBulk);
  EXPECT_EQ(sent[0].days, 5);
}

TEST_F(DispatchTest, DuplicatesAndReplaysSendOneRestore) {
  s3_.AddObject("bkt", "k", "x", "DEEP_ARCHIVE");
  std::string msg = GetObjectFailed("bkt", "k", "e1");
  for (int i = 0; i < 5; ++i) {
    auto out = Dispatch(msg, *engine_);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->restores_submitted, 1);
    ASSERT_TRUE(StateIs(out->handles[0], State::kInProgress));
  }
  // A different event id for the same object (another reader failing) is still one restore.
  ASSERT_TRUE(Dispatch(GetObjectFailed("bkt", "k", "e2"), *engine_).ok());
  EXPECT_EQ(s3_.Count(s3::Operation::kRestore), 1);
}

TEST_F(DispatchTest, CompletionNotificationCompletesTracking) {
  s3_.AddObject("bkt", "k", "x", "GLACIER");
  auto out = Dispatch(GetObjectFailed("bkt", "k", "e1"), *engine_);
  ASSERT_TRUE(out.ok());
  auto handle = out->handles.at(0);
  ASSERT_TRUE(StateIs(handle, State::kInProgress));

  s3_.CompleteRestore("bkt", "k");
  auto done = Dispatch(RestoreCompleted("bkt", "k"), *engine_);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->completions, 1);
  ASSERT_EQ(done->completed.size(), 1u);
  EXPECT_EQ(done->completed[0].object, (ObjectRef{"bkt", "k", ""}));
  EXPECT_TRUE(StateIs(handle, State::kRestored));
  auto rec = engine_->Query({"bkt", "k", ""});
  ASSERT_TRUE(rec.ok());
  ASSERT_TRUE(rec->restore_expiry.has_value());
}

TEST_F(DispatchTest, CompletionBeforeTheRequestAndForUnknownObjectsIsHarmless) {
  s3_.AddObject("bkt", "k", "x", "GLACIER");
  auto done = Dispatch(RestoreCompleted("bkt", "never-seen"), *engine_);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->completions, 1);
  // Out of order: the completion of a restore someone else started, then the old failure.
  s3_.AddObject("bkt", "restored-elsewhere", "x", "GLACIER");
  ASSERT_TRUE(
      s3_.RestoreObject({"bkt", "restored-elsewhere", "", s3::RestoreTier::kBulk, 30}).ok());
  s3_.CompleteRestore("bkt", "restored-elsewhere");
  ASSERT_TRUE(Dispatch(RestoreCompleted("bkt", "restored-elsewhere"), *engine_).ok());
  auto late = Dispatch(GetObjectFailed("bkt", "restored-elsewhere", "old"), *engine_);
  ASSERT_TRUE(late.ok());
  ASSERT_EQ(late->handles.size(), 1u);
  // HEAD shows a readable copy with 30 days left: nothing is sent again.
  EXPECT_TRUE(Eventually([&] { return restore::IsTerminal(late->handles[0]->Snapshot().state); }));
  EXPECT_EQ(s3_.Count(s3::Operation::kRestore), 1);
}

TEST_F(DispatchTest, OtherRecordsAreIgnoredWithAReason) {
  auto out = Dispatch(GetObjectFailed("bkt", "k", "e1", "AccessDenied"), *engine_);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->restores_submitted, 0);
  EXPECT_EQ(out->ignored, 1u);
  ASSERT_EQ(out->ignored_by_reason.size(), 1u);
  EXPECT_EQ(out->ignored_by_reason[0].first, "ignored.other-error");

  auto initiated = Dispatch(Fixture("eventbridge_restore_initiated.json"), *engine_);
  ASSERT_TRUE(initiated.ok()) << initiated.status().ToString();
  EXPECT_EQ(initiated->completions, 0);
  EXPECT_EQ(initiated->ignored, 1u);
  EXPECT_EQ(s3_.TotalCalls(), 0);
}

TEST_F(DispatchTest, UnreadableMessageIsAPermanentError) {
  auto out = Dispatch("{\"Records\": [", *engine_);
  ASSERT_FALSE(out.ok());
  EXPECT_TRUE(IsPermanent(out.status()));
  EXPECT_FALSE(IsPermanent(Status::Unavailable("journal busy")));
}

TEST_F(DispatchTest, MalformedRecordDispatchesTheRestAndMarksPoison) {
  s3_.AddObject("bkt", "good", "x", "GLACIER");
  std::string log = R"({"Records":[
    {"eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"InvalidObjectState",
     "eventID":"g1","requestParameters":{"bucketName":"bkt","key":"good"}},
    {"eventSource":"s3.amazonaws.com","eventName":"GetObject","errorCode":"InvalidObjectState",
     "eventID":"g2","requestParameters":{"bucketName":"bkt"}}]})";
  auto out = Dispatch(log, *engine_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->restores_submitted, 1);
  EXPECT_FALSE(out->poison.empty());
}

TEST_F(DispatchTest, SubmitFailureIsRetryableError) {
  s3_.AddObject("bkt", "k", "x", "GLACIER");
  engine_->Shutdown();
  auto out = Dispatch(GetObjectFailed("bkt", "k", "e1"), *engine_);
  ASSERT_FALSE(out.ok());
  EXPECT_FALSE(IsPermanent(out.status()));
}

TEST_F(DispatchTest, LambdaSqsBatchReportsOnlyTheBadMessage) {
  std::string good = GetObjectFailed("bkt", "k", "e1");
  nlohmann::json batch = {
      {"Records",
       {{{"messageId", "m-good"}, {"body", good}, {"eventSource", "aws:sqs"}},
        {{"messageId", "m-bad"}, {"body", "{not json"}, {"eventSource", "aws:sqs"}}}}};
  s3_.AddObject("bkt", "k", "x", "GLACIER");
  auto out = Dispatch(batch.dump(), *engine_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->restores_submitted, 1);
  EXPECT_EQ(out->failed_message_ids, std::vector<std::string>{"m-bad"});
}

TEST_F(DispatchTest, AlternateKeyIsTriedWhenTheLiteralKeyDoesNotExist) {
  // CloudTrail key "a%20b": the literal key does not exist, the decoded one does.
  s3_.AddObject("bkt", "a b", "x", "GLACIER");
  auto out = Dispatch(GetObjectFailed("bkt", "a%20b", "e1"), *engine_);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_TRUE(Eventually([&] { return s3_.Count(s3::Operation::kRestore) == 1; }));
  auto sent = s3_.RestoreRequests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].key, "a b");
}

}  // namespace
}  // namespace thaw::events
