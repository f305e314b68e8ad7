// Our SQS client against moto_server (a JSON-protocol SQS we did not write), with boto3 as the
// other client on the same queues: what we send boto3 receives, what boto3 sends we receive,
// receive counts, visibility changes, batch deletes and typed errors. moto verifies SigV4 here
// (INITIAL_NO_AUTH_ACTION_COUNT=0), so a wrong secret must fail.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "s3/sqs_client.h"
#include "support/boto3.h"
#include "support/process.h"

namespace thaw::testing {
namespace {

std::unique_ptr<s3::SqsClient> MakeSqs(const std::string& endpoint,
                                       const std::string& secret = "testing") {
  s3::SqsConfig config;
  config.endpoint_url = endpoint;
  config.region = "us-east-1";
  config.retry.base_delay = std::chrono::milliseconds(10);
  s3::Credentials creds{"testing", secret, "", {}, "test"};
  return s3::MakeSqsClient(config, s3::MakeStaticProvider(creds));
}

// Python prelude: `sqs`, a boto3 SQS client on the same moto.
std::string Boto3Sqs(const std::string& code) {
  return "sqs = boto3.client('sqs', endpoint_url=s3.meta.endpoint_url, region_name='us-east-1',\n"
         "    aws_access_key_id='testing', aws_secret_access_key='testing')\n" +
         code;
}

class SqsMotoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    moto_ = std::make_unique<MotoServer>();
    ASSERT_TRUE(moto_->ok()) << "moto_server did not start; log: " << moto_->log_path();
    sqs_ = MakeSqs(moto_->endpoint());
    auto url = sqs_->CreateQueue("events", {{"VisibilityTimeout", "30"}});
    ASSERT_TRUE(url.ok()) << url.status().ToString();
    url_ = *url;
  }
  std::string Python(const std::string& code) {
    int rc = 0;
    std::string out = RunBoto3(moto_->endpoint(), Boto3Sqs(code), &rc);
    EXPECT_EQ(rc, 0) << out;
    return out;
  }

  std::unique_ptr<MotoServer> moto_;
  std::unique_ptr<s3::SqsClient> sqs_;
  std::string url_;
};

TEST_F(SqsMotoTest, WhatWeSendBoto3Receives) {
  auto one = sqs_->SendMessage({url_, "{\"k\":\"caf\\u00e9 \xc3\xa9\"}"});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_FALSE(one->message_id.empty());
  std::vector<s3::SendMessageBatchEntry> batch;
  for (int i = 0; i < 10; ++i)
    batch.push_back({"e" + std::to_string(i), "body-" + std::to_string(i)});
  auto many = sqs_->SendMessageBatch(url_, batch);
  ASSERT_TRUE(many.ok()) << many.status().ToString();
  EXPECT_EQ(many->successful.size(), 10u);
  EXPECT_TRUE(many->failed.empty());

  std::string out = Python(
      "bodies = []\n"
      "for _ in range(10):\n"
      "    r = sqs.receive_message(QueueUrl='" +
      url_ +
      "', MaxNumberOfMessages=10)\n"
      "    bodies += [m['Body'] for m in r.get('Messages', [])]\n"
      "    if len(bodies) >= 11: break\n"
      "print(json.dumps(sorted(bodies)))\n");
  auto bodies = nlohmann::json::parse(out.substr(out.find('[')));
  ASSERT_EQ(bodies.size(), 11u) << out;
  EXPECT_EQ(bodies[0], "body-0");
  EXPECT_EQ(bodies[10], "{\"k\":\"caf\\u00e9 \xc3\xa9\"}");
}

TEST_F(SqsMotoTest, WhatBoto3SendsWeReceiveAndDelete) {
  Python(
      "for i in range(3):\n"
      "    sqs.send_message(QueueUrl='" +
      url_ +
      "', MessageBody='m%d' % i,\n"
      "        MessageAttributes={'origin': {'DataType': 'String', 'StringValue': 'boto3'}})\n");
  std::vector<s3::SqsMessage> got;
  for (int i = 0; i < 10 && got.size() < 3; ++i) {
    s3::ReceiveMessageRequest req{url_, 10, 1, 30};
    req.message_attribute_names = {"All"};
    auto r = sqs_->ReceiveMessage(req);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    got.insert(got.end(), r->begin(), r->end());
  }
  ASSERT_EQ(got.size(), 3u);
  for (const auto& m : got) {
    EXPECT_EQ(m.receive_count, 1);
    EXPECT_EQ(m.message_attributes.at("origin"), "boto3");
    EXPECT_EQ(m.body.substr(0, 1), "m");
  }
  std::vector<s3::ReceiptEntry> entries;
  for (size_t i = 0; i < got.size(); ++i)
    entries.push_back({"d" + std::to_string(i), got[i].receipt_handle});
  auto del = sqs_->DeleteMessageBatch(url_, entries);
  ASSERT_TRUE(del.ok()) << del.status().ToString();
  EXPECT_EQ(del->successful.size(), 3u);
  auto attrs = sqs_->GetQueueAttributes(
      url_, {"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"});
  ASSERT_TRUE(attrs.ok()) << attrs.status().ToString();
  EXPECT_EQ(attrs->at("ApproximateNumberOfMessages"), "0");
  EXPECT_EQ(attrs->at("ApproximateNumberOfMessagesNotVisible"), "0");
}

TEST_F(SqsMotoTest, ReleasedMessageComesBackWithAHigherReceiveCount) {
  ASSERT_TRUE(sqs_->SendMessage({url_, "again"}).ok());
  auto first = sqs_->ReceiveMessage({url_, 1, 1, 30});
  ASSERT_TRUE(first.ok() && first->size() == 1u) << first.status().ToString();
  // Hidden for 30 s: nothing now.
  auto hidden = sqs_->ReceiveMessage({url_, 1, 0});
  ASSERT_TRUE(hidden.ok());
  EXPECT_TRUE(hidden->empty());
  ASSERT_TRUE(sqs_->ChangeMessageVisibility(url_, (*first)[0].receipt_handle, 0).ok());
  auto second = sqs_->ReceiveMessage({url_, 1, 1, 30});
  ASSERT_TRUE(second.ok() && second->size() == 1u) << second.status().ToString();
  EXPECT_EQ((*second)[0].message_id, (*first)[0].message_id);
  EXPECT_EQ((*second)[0].receive_count, 2);
  auto batch = sqs_->ChangeMessageVisibilityBatch(
      url_, {{"a", (*second)[0].receipt_handle, 60}, {"b", "not-a-handle", 60}});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->successful, std::vector<std::string>{"a"});
  ASSERT_EQ(batch->failed.size(), 1u);
  EXPECT_EQ(batch->failed[0].id, "b");
  EXPECT_EQ(batch->failed[0].code, "ReceiptHandleIsInvalid");
  ASSERT_TRUE(sqs_->DeleteMessage(url_, (*second)[0].receipt_handle).ok());
}

TEST_F(SqsMotoTest, TypedErrors) {
  auto missing = sqs_->GetQueueUrl("no-such-queue");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound()) << missing.status().ToString();
  EXPECT_EQ(s3::SqsErrorCode(missing.status()), "QueueDoesNotExist");
  auto found = sqs_->GetQueueUrl("events");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, url_);
  Status bad = sqs_->DeleteMessage(url_, "bogus");
  EXPECT_TRUE(bad.IsInvalidArgument()) << bad.ToString();
  EXPECT_EQ(s3::SqsErrorCode(bad), "ReceiptHandleIsInvalid");
}

TEST(SqsMotoAuth, SignatureIsVerifiedForServiceSqs) {
  // moto checks signatures once INITIAL_NO_AUTH_ACTION_COUNT unauthenticated calls are used up;
  // boto3 spends them creating an IAM user with full access and an access key.
  MotoServer moto(std::map<std::string, std::string>{{"INITIAL_NO_AUTH_ACTION_COUNT", "4"}});
  ASSERT_TRUE(moto.ok()) << moto.log_path();
  int rc = 0;
  std::string out = RunBoto3(
      moto.endpoint(),
      "iam = boto3.client('iam', endpoint_url='" + moto.endpoint() +
          "', region_name='us-east-1', aws_access_key_id='testing', "
          "aws_secret_access_key='testing')\n"
          "iam.create_user(UserName='thaw')\n"
          "iam.put_user_policy(UserName='thaw', PolicyName='all', PolicyDocument=json.dumps("
          "{'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', "
          "'Resource': '*'}]}))\n"
          "k = iam.create_access_key(UserName='thaw')['AccessKey']\n"
          "print(k['AccessKeyId'], k['SecretAccessKey'])",
      &rc);
  ASSERT_EQ(rc, 0) << out;
  std::string akid = out.substr(0, out.find(' '));
  std::string secret = out.substr(out.find(' ') + 1);
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();

  auto make = [&](const std::string& key_secret) {
    s3::SqsConfig config;
    config.endpoint_url = moto.endpoint();
    config.retry.max_attempts = 1;
    s3::Credentials creds{akid, key_secret, "", {}, "test"};
    return s3::MakeSqsClient(config, s3::MakeStaticProvider(creds));
  };
  auto good = make(secret)->CreateQueue("signed");
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  auto bad = make(secret + "x")->GetQueueUrl("signed");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kPermissionDenied) << bad.status().ToString();
}

}  // namespace
}  // namespace thaw::testing
