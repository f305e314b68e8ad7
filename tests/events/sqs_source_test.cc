// SqsSource (the loop of `thaw serve`) against an in-memory SQS and a real Engine on a FakeClock:
// a message is deleted only once its events are journaled, unreadable and too-often-received
// messages are dead-lettered (and deleted only once the copy is sent), failures are released
// for redelivery, and the heartbeat extends the visibility of messages still being worked on.
#include "events/sqs_source.h"

#include <gtest/gtest.h>

#include <future>

#include "restore/engine_test_util.h"

namespace thaw::events {
namespace {

using restore::testing::EngineFixture;
using restore::testing::Eventually;

// A queue in memory: what was received, deleted, released and dead-lettered.
class FakeSqs : public s3::SqsClient {
 public:
  struct Msg {
    std::string id, body;
    int receive_count = 1;
  };
  std::vector<Msg> inbox;
  std::vector<std::string> deleted;
  std::map<std::string, int> visibility;  // receipt -> last timeout set
  int visibility_batches = 0;
  std::vector<s3::SendMessageRequest> dead_letters;
  bool fail_dead_letter = false;
  std::function<void(const std::string& receipt)> on_delete;
  mutable std::mutex mu;

  Result<s3::SendMessageResult> SendMessage(const s3::SendMessageRequest& r) override {
    std::lock_guard<std::mutex> g(mu);
    if (fail_dead_letter) return Status::Unavailable("dlq down");
    dead_letters.push_back(r);
    return s3::SendMessageResult{"dl-" + std::to_string(dead_letters.size()), ""};
  }
  Result<s3::BatchResult> SendMessageBatch(const std::string&,
                                           const std::vector<s3::SendMessageBatchEntry>&) override {
    return Status::Unimplemented("");
  }
  Result<std::vector<s3::SqsMessage>> ReceiveMessage(const s3::ReceiveMessageRequest& r) override {
    std::lock_guard<std::mutex> g(mu);
    std::vector<s3::SqsMessage> out;
    while (!inbox.empty() && static_cast<int>(out.size()) < r.max_messages) {
      Msg m = inbox.front();
      inbox.erase(inbox.begin());
      s3::SqsMessage sm;
      sm.message_id = m.id;
      sm.receipt_handle = "rh-" + m.id;
      sm.body = m.body;
      sm.receive_count = m.receive_count;
      out.push_back(sm);
    }
    return out;
  }
  Status DeleteMessage(const std::string&, const std::string& receipt) override {
    std::lock_guard<std::mutex> g(mu);
    deleted.push_back(receipt);
    return Status::Ok();
  }
  Result<s3::BatchResult> DeleteMessageBatch(const std::string&,
                                             const std::vector<s3::ReceiptEntry>& e) override {
    s3::BatchResult r;
    for (const auto& x : e) {
      if (on_delete) on_delete(x.receipt_handle);
      std::lock_guard<std::mutex> g(mu);
      deleted.push_back(x.receipt_handle);
      r.successful.push_back(x.id);
    }
    return r;
  }
  Status ChangeMessageVisibility(const std::string&, const std::string& receipt,
                                 int seconds) override {
    std::lock_guard<std::mutex> g(mu);
    visibility[receipt] = seconds;
    return Status::Ok();
  }
  Result<s3::BatchResult> ChangeMessageVisibilityBatch(
      const std::string&, const std::vector<s3::VisibilityEntry>& e) override {
    std::lock_guard<std::mutex> g(mu);
    ++visibility_batches;
    s3::BatchResult r;
    for (const auto& x : e) {
      visibility[x.receipt_handle] = x.visibility_timeout_seconds;
      r.successful.push_back(x.id);
    }
    return r;
  }
  Result<std::string> GetQueueUrl(const std::string&, const std::string&) override {
    return std::string("q");
  }
  Result<std::string> CreateQueue(const std::string&,
                                  const std::map<std::string, std::string>&) override {
    return std::string("q");
  }
  Result<std::map<std::string, std::string>> GetQueueAttributes(
      const std::string&, const std::vector<std::string>&) override {
    return std::map<std::string, std::string>{};
  }
};

std::string Wanted(const std::string& key) {
  return R"({"Records":[{"eventSource":"s3.amazonaws.com","eventName":"GetObject",)"
         R"("errorCode":"InvalidObjectState","eventID":")" +
         key + R"(","requestParameters":{"bucketName":"bkt","key":")" + key + R"("}}]})";
}

class SqsSourceTest : public EngineFixture {
 protected:
  void SetUp() override {
    engine_ = Open(Options(), PolicyWithDefaults(s3::RestoreTier::kBulk, 5));
    ASSERT_NE(engine_, nullptr);
    options_.queue_url = "q";
    options_.dead_letter_url = "dlq";
    options_.max_receives = 3;
  }
  std::unique_ptr<restore::Engine> engine_;
  FakeSqs sqs_;
  SqsSourceOptions options_;
};

TEST_F(SqsSourceTest, DeletesOnlyAfterTheEventsAreJournaled) {
  for (int i = 0; i < 12; ++i) {
    std::string key = "k" + std::to_string(i);
    s3_.AddObject("bkt", key, "x", "GLACIER");
    sqs_.inbox.push_back({"m" + std::to_string(i), Wanted(key)});
  }
  int journaled_at_delete = 0;
  sqs_.on_delete = [&](const std::string& receipt) {
    std::string key = "k" + receipt.substr(std::string("rh-m").size());
    journaled_at_delete += engine_->Query({"bkt", key, ""}).ok();
  };
  SqsSource source(sqs_, *engine_, clock_, options_);
  auto first = source.PollOnce();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 10);
  auto second = source.PollOnce();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 2);
  EXPECT_EQ(sqs_.deleted.size(), 12u);
  EXPECT_EQ(journaled_at_delete, 12);
  EXPECT_EQ(source.counters().restores_submitted.load(), 12u);
  EXPECT_TRUE(sqs_.dead_letters.empty());
  EXPECT_TRUE(Eventually([&] { return s3_.Count(s3::Operation::kRestore) == 12; }));
}

TEST_F(SqsSourceTest, UnreadableMessageIsDeadLetteredWithTheReasonThenDeleted) {
  sqs_.inbox.push_back({"bad", "{\"Records\": ["});
  SqsSource source(sqs_, *engine_, clock_, options_);
  ASSERT_TRUE(source.PollOnce().ok());
  ASSERT_EQ(sqs_.dead_letters.size(), 1u);
  EXPECT_EQ(sqs_.dead_letters[0].queue_url, "dlq");
  EXPECT_EQ(sqs_.dead_letters[0].body, "{\"Records\": [");
  EXPECT_NE(sqs_.dead_letters[0].message_attributes.at("thaw-reason").find("INVALID_ARGUMENT"),
            std::string::npos);
  EXPECT_EQ(sqs_.deleted, std::vector<std::string>{"rh-bad"});
}

TEST_F(SqsSourceTest, BodiesLargerThanSqsAllowsAreCountedAndSetAsideUnparsed) {
  s3_.AddObject("bkt", "big", "x", "GLACIER");
  // A valid event followed by padding past SQS's 1 MiB: not from SQS, so never read.
  std::string body = Wanted("big") + std::string(1u << 20, ' ') + "\xC3\xA9";
  sqs_.inbox.push_back({"huge", body});
  SqsSource source(sqs_, *engine_, clock_, options_);
  ASSERT_TRUE(source.PollOnce().ok());
  EXPECT_EQ(source.counters().oversized.load(), 1u);
  EXPECT_EQ(source.counters().restores_submitted.load(), 0u);
  EXPECT_FALSE(engine_->Query({"bkt", "big", ""}).ok());
  ASSERT_EQ(sqs_.dead_letters.size(), 1u);
  EXPECT_NE(sqs_.dead_letters[0].message_attributes.at("thaw-reason").find("refused unparsed"),
            std::string::npos);
  // The queue would refuse the whole body: a head of it goes, with the original size.
  EXPECT_EQ(sqs_.dead_letters[0].body.size(), 64u * 1024);
  EXPECT_EQ(sqs_.dead_letters[0].message_attributes.at("thaw-truncated-from-bytes"),
            std::to_string(body.size()));
  EXPECT_EQ(sqs_.deleted, std::vector<std::string>{"rh-huge"});
}

TEST_F(SqsSourceTest, MessageStaysWhenTheDeadLetterQueueRefuses) {
  sqs_.inbox.push_back({"bad", "not json"});
  sqs_.fail_dead_letter = true;
  SqsSource source(sqs_, *engine_, clock_, options_);
  ASSERT_TRUE(source.PollOnce().ok());
  EXPECT_TRUE(sqs_.deleted.empty());
  EXPECT_EQ(sqs_.visibility.count("rh-bad"), 1u);  // released for another try
  EXPECT_EQ(source.counters().dead_letter_errors.load(), 1u);
}

TEST_F(SqsSourceTest, TransientFailureIsReleasedThenDeadLetteredAtMaxReceives) {
  s3_.AddObject("bkt", "k", "x", "GLACIER");
  engine_->Shutdown();  // Submit now fails (not a parse error)
  sqs_.inbox.push_back({"m", Wanted("k"), 1});
  SqsSource source(sqs_, *engine_, clock_, options_);
  ASSERT_TRUE(source.PollOnce().ok());
  EXPECT_TRUE(sqs_.deleted.empty());
  EXPECT_TRUE(sqs_.dead_letters.empty());
  EXPECT_EQ(sqs_.visibility.at("rh-m"), 5);  // back soon
  sqs_.inbox.push_back({"m", Wanted("k"), 3});
  ASSERT_TRUE(source.PollOnce().ok());
  ASSERT_EQ(sqs_.dead_letters.size(), 1u);
  EXPECT_NE(sqs_.dead_letters[0].message_attributes.at("thaw-reason").find("failed 3 times"),
            std::string::npos);
  EXPECT_EQ(sqs_.deleted, std::vector<std::string>{"rh-m"});
}

TEST_F(SqsSourceTest, TooManyReceivesIsSetAsideWithoutHandling) {
  s3_.AddObject("bkt", "k", "x", "GLACIER");
  sqs_.inbox.push_back({"m", Wanted("k"), 4});
  SqsSource source(sqs_, *engine_, clock_, options_);
  ASSERT_TRUE(source.PollOnce().ok());
  ASSERT_EQ(sqs_.dead_letters.size(), 1u);
  EXPECT_FALSE(engine_->Query({"bkt", "k", ""}).ok());  // never submitted
}

TEST_F(SqsSourceTest, HeartbeatExtendsVisibilityWhileAMessageIsWorkedOn) {
  s3_.AddObject("bkt", "k", "x", "GLACIER");
  sqs_.inbox.push_back({"m", Wanted("k")});
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> in_dispatch{false};
  options_.visibility_timeout_seconds = 60;
  options_.on_dispatched = [&](const DispatchOutcome&) {
    in_dispatch = true;
    released.wait();
  };
  SqsSource source(sqs_, *engine_, clock_, options_);
  auto poll = std::async(std::launch::async, [&] { return source.PollOnce(); });
  ASSERT_TRUE(Eventually([&] { return in_dispatch.load(); }));
  // 45 s later a third of the 60 s is left: the heartbeat renews.
  clock_.Advance(std::chrono::seconds(45));
  EXPECT_TRUE(Eventually([&] {
    std::lock_guard<std::mutex> g(sqs_.mu);
    return sqs_.visibility_batches >= 1;
  }));
  {
    std::lock_guard<std::mutex> g(sqs_.mu);
    EXPECT_EQ(sqs_.visibility.at("rh-m"), 60);
    EXPECT_TRUE(sqs_.deleted.empty());
  }
  release.set_value();
  ASSERT_TRUE(poll.get().ok());
  EXPECT_EQ(sqs_.deleted, std::vector<std::string>{"rh-m"});
  EXPECT_GE(source.counters().visibility_extended.load(), 1u);
}

}  // namespace
}  // namespace thaw::events
