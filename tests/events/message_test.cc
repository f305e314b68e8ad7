// The generic entry point: shape detection, Lambda SQS batches with per-message failures,
// nesting, limits, and damaged input (truncated at every byte, trailing content, non-objects).
#include "events/message.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_util.h"

namespace thaw::events {
namespace {

using nlohmann::json;
using testing::Fixture;
using testing::Gzip;
using testing::Summary;

const std::vector<std::string> kJsonFixtures = {
    "eventbridge_cloudtrail_getobject.json",
    "cloudtrail_log.json",
    "s3_notification_restore.json",
    "eventbridge_restore_completed.json",
    "eventbridge_restore_initiated.json",
    "eventbridge_restore_expired.json",
    "sns_s3_notification.json",
    "s3_test_event.json",
    "sqs_batch.json",
};

TEST(Message, RecognisesEveryFixture) {
  const std::vector<std::pair<std::string, Format>> expected = {
      {"eventbridge_cloudtrail_getobject.json", Format::kEventBridgeCloudTrail},
      {"cloudtrail_log.json", Format::kCloudTrailLog},
      {"s3_notification_restore.json", Format::kS3Notification},
      {"eventbridge_restore_completed.json", Format::kEventBridgeS3},
      {"sns_s3_notification.json", Format::kSnsEnvelope},
      {"s3_test_event.json", Format::kS3TestEvent},
      {"sqs_batch.json", Format::kSqsBatch},
      {"access.log", Format::kAccessLog},
  };
  for (const auto& [name, format] : expected) {
    Result<Parsed> p = ParseMessage(Fixture(name));
    ASSERT_TRUE(p.ok()) << name << ": " << p.status().ToString();
    EXPECT_EQ(p->format, format) << name << ": " << FormatName(p->format);
  }
}

TEST(Message, SqsBatchReportsEachMessage) {
  Result<Parsed> r = ParseMessage(Fixture("sqs_batch.json"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Parsed& p = *r;
  ASSERT_EQ(p.sqs_messages.size(), 4u);
  EXPECT_EQ(p.sqs_messages[0].message_id, "059f36b4-87a3-44ab-83d2-661975830a7d");
  EXPECT_EQ(p.sqs_messages[0].event_source_arn, "arn:aws:sqs:us-east-1:111122223333:thaw-events");
  EXPECT_TRUE(p.sqs_messages[0].status.ok());
  EXPECT_TRUE(p.sqs_messages[1].status.ok());
  EXPECT_FALSE(p.sqs_messages[2].status.ok());  // a body cut short
  EXPECT_EQ(ParseErrorKindOf(p.sqs_messages[2].status), ParseErrorKind::kBadJson);
  EXPECT_TRUE(p.sqs_messages[3].status.ok());  // the test event: nothing to do, but fine

  ASSERT_EQ(p.events.size(), 2u) << ::testing::PrintToString(Summary(p));
  EXPECT_EQ(p.events[0].kind, EventKind::kRestoreWanted);
  EXPECT_EQ(p.events[0].format, Format::kEventBridgeCloudTrail);
  EXPECT_EQ(p.events[0].key, "data/2020/second.parquet");
  EXPECT_EQ(p.events[0].event_id, "c8f1a3f0-0000-4000-8000-00000000000a");
  EXPECT_EQ(p.events[0].message_id, "059f36b4-87a3-44ab-83d2-661975830a7d");
  EXPECT_EQ(p.events[1].kind, EventKind::kRestoreCompleted);
  EXPECT_EQ(p.events[1].key, "videos/cat video \u2713.mp4");
  EXPECT_EQ(p.events[1].message_id, "2e1424d4-f796-459a-8184-9c92662be6da");
  ASSERT_EQ(p.ignored.size(), 1u);
  EXPECT_EQ(p.ignored[0].reason, IgnoreReason::kTestEvent);
  EXPECT_EQ(p.ignored[0].message_id, "4b6c1d9f-2222-4d2f-8e8f-123456789abc");
}

TEST(Message, FailedSqsMessageLeavesNoPartialResults) {
  // The second message's body has one good record and then breaks: nothing of it may remain.
  json good = json::parse(Fixture("eventbridge_cloudtrail_getobject.json"));
  std::string log = Fixture("cloudtrail_log.json");
  std::string broken = log.substr(0, log.size() - 3);
  json batch = {{"Records",
                 {{{"messageId", "m1"}, {"eventSource", "aws:sqs"}, {"body", good.dump()}},
                  {{"messageId", "m2"}, {"eventSource", "aws:sqs"}, {"body", broken}},
                  {{"messageId", "m3"}, {"eventSource", "aws:sqs"}, {"body", 17}},
                  {{"messageId", "m4"}, {"eventSource", "aws:sqs"}}}}};
  Result<Parsed> p = ParseMessage(batch.dump());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->sqs_messages.size(), 4u);
  EXPECT_TRUE(p->sqs_messages[0].status.ok());
  EXPECT_FALSE(p->sqs_messages[1].status.ok());
  EXPECT_EQ(ParseErrorKindOf(p->sqs_messages[2].status), ParseErrorKind::kWrongType);
  EXPECT_EQ(ParseErrorKindOf(p->sqs_messages[3].status), ParseErrorKind::kWrongType);
  ASSERT_EQ(p->events.size(), 1u);
  EXPECT_EQ(p->events[0].message_id, "m1");
  EXPECT_EQ(p->IgnoredTotal(), 0u);
}

TEST(Message, SqsBodyMayBeGzipOrAnAccessLog) {
  json batch = {
      {"Records",
       {{{"messageId", "log"}, {"eventSource", "aws:sqs"}, {"body", Fixture("access.log")}}}}};
  Result<Parsed> p = ParseMessage(batch.dump());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->events.size(), 3u);
  EXPECT_EQ(p->events[0].message_id, "log");
}

TEST(Message, NestingIsBounded) {
  // SNS envelopes inside SNS envelopes: AWS never does this; past max_nesting it is refused.
  std::string doc = Fixture("s3_notification_restore.json");
  for (int i = 0; i < 6; ++i) {
    doc = json{{"Type", "Notification"}, {"MessageId", std::to_string(i)}, {"Message", doc}}.dump();
  }
  Result<Parsed> p = ParseMessage(doc);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ParseErrorKindOf(p.status()), ParseErrorKind::kTooDeep);
  Limits deep;
  deep.max_nesting = 6;
  Result<Parsed> ok = ParseMessage(doc, deep);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->events.size(), 4u);
}

TEST(Message, SqsBatchInsideAMessageIsNotABatch) {
  json inner = json::parse(Fixture("sqs_batch.json"));
  json outer = {
      {"Records", {{{"messageId", "x"}, {"eventSource", "aws:sqs"}, {"body", inner.dump()}}}}};
  Result<Parsed> p = ParseMessage(outer.dump());
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->sqs_messages.size(), 1u);
  EXPECT_TRUE(p->events.empty());
  EXPECT_EQ(p->IgnoredCount(IgnoreReason::kUnknownShape), 4u);
}

TEST(Message, InputSizeLimits) {
  Limits small;
  small.max_input_bytes = 1000;
  Result<Parsed> p = ParseMessage(Fixture("cloudtrail_log.json"), small);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ParseErrorKindOf(p.status()), ParseErrorKind::kTooLarge);
  EXPECT_EQ(p.status().code(), StatusCode::kResourceExhausted);

  // A small gzip that inflates past max_document_bytes.
  Limits doc_limit;
  doc_limit.max_document_bytes = 4096;
  Result<Parsed> gz = ParseMessage(Gzip(Fixture("cloudtrail_log.json")), doc_limit);
  ASSERT_FALSE(gz.ok());
  EXPECT_EQ(ParseErrorKindOf(gz.status()), ParseErrorKind::kTooLarge);
  Result<Parsed> plain = ParseMessage(Fixture("cloudtrail_log.json"), doc_limit);
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(ParseErrorKindOf(plain.status()), ParseErrorKind::kTooLarge);
}

TEST(Message, GzipBombIsStopped) {
  // ~64 MiB of whitespace after a valid object compresses to ~64 KiB.
  std::string doc = "{\"Records\":[]}" + std::string(64u << 20, ' ');
  Limits limits;
  limits.max_document_bytes = 8u << 20;
  Result<Parsed> p = ParseMessage(Gzip(doc, 9), limits);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ParseErrorKindOf(p.status()), ParseErrorKind::kTooLarge);
}

// A CloudTrail record asking for `key` (a failed read of an archived object).
std::string WantedRecord(const std::string& key) {
  return R"({"Records":[{"eventSource":"s3.amazonaws.com","eventName":"GetObject",)"
         R"("errorCode":"InvalidObjectState","eventID":"e1","requestParameters":)"
         R"({"bucketName":"bkt","key":")" +
         key + R"("}}]})";
}

TEST(Message, KeysLongerThanS3AllowsAreMalformedRecords) {
  // 1,024 bytes is S3's limit: such a key is acted on, one byte more is a forged record.
  Result<Parsed> fits = ParseMessage(WantedRecord(std::string(1024, 'k')));
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(fits->events.size(), 1u);
  Result<Parsed> over = ParseMessage(WantedRecord(std::string(1025, 'k')));
  ASSERT_TRUE(over.ok()) << over.status().ToString();
  EXPECT_TRUE(over->events.empty());
  EXPECT_TRUE(over->HasMalformed());
  ASSERT_EQ(over->ignored.size(), 1u);
  EXPECT_NE(over->ignored[0].detail.find("longer than S3's 1,024"), std::string::npos)
      << over->ignored[0].detail;
  // The same in an S3 notification (keys URL-encoded there: 3 bytes per byte, decoded first).
  json n = json::parse(Fixture("s3_notification_restore.json"));
  const size_t events = ParseMessage(n.dump())->events.size();
  ASSERT_GE(events, 1u);
  n["Records"][0]["s3"]["object"]["key"] = std::string(1024, 'a');
  ASSERT_EQ(ParseMessage(n.dump())->events.size(), events);
  std::string encoded;
  for (int i = 0; i < 342; ++i) encoded += "%C3%A9";  // 684 bytes once decoded
  n["Records"][0]["s3"]["object"]["key"] = encoded + std::string(341, 'a');  // 1,025 decoded
  Result<Parsed> note = ParseMessage(n.dump());
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->events.size(), events - 1);  // the other records still count
  EXPECT_TRUE(note->HasMalformed());
}

TEST(Message, SqsBodiesLargerThanSqsAllowsFailAloneUnread) {
  Limits limits;
  json batch = {{"Records",
                 {{{"messageId", "big"},
                   {"eventSource", "aws:sqs"},
                   // Would be a valid event if it were read: it must not be.
                   {"body", WantedRecord("a") + std::string((1u << 20), ' ')}},
                  {{"messageId", "ok"}, {"eventSource", "aws:sqs"}, {"body", WantedRecord("b")}}}}};
  Result<Parsed> p = ParseMessage(batch.dump(), limits);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->sqs_messages.size(), 2u);
  EXPECT_EQ(ParseErrorKindOf(p->sqs_messages[0].status), ParseErrorKind::kTooLarge);
  EXPECT_NE(p->sqs_messages[0].status.message().find("over SQS's maximum of 1048576"),
            std::string::npos)
      << p->sqs_messages[0].status.ToString();
  EXPECT_TRUE(p->sqs_messages[1].status.ok());
  ASSERT_EQ(p->events.size(), 1u) << ::testing::PrintToString(Summary(*p));
  EXPECT_EQ(p->events[0].key, "b");
  EXPECT_EQ(p->events[0].message_id, "ok");
}

TEST(Message, EventBridgeEventsLargerThanPutEventsAllowsAreRefused) {
  json e = json::parse(Fixture("eventbridge_cloudtrail_getobject.json"));
  e["detail"]["padding"] = std::string(200u << 10, 'x');
  Result<Parsed> fits = ParseMessage(e.dump());
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(fits->events.size(), 1u);
  e["detail"]["padding"] = std::string(256u << 10, 'x');
  Result<Parsed> over = ParseMessage(e.dump());
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(ParseErrorKindOf(over.status()), ParseErrorKind::kTooLarge);
  EXPECT_NE(over.status().message().find("over EventBridge's maximum of 262144"), std::string::npos)
      << over.status().ToString();
}

TEST(Message, AGigabyteGzipBombLogFileStopsAtTheDefaultLimit) {
  // 1 GiB of zeros, compressed as a stream (never held whole): about 1 MiB of gzip.
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string zeros(1u << 20, '\0'), bomb(2u << 20, '\0');
  zs.next_out = reinterpret_cast<Bytef*>(bomb.data());
  zs.avail_out = static_cast<uInt>(bomb.size());
  for (int i = 0; i < 1024; ++i) {
    zs.next_in = reinterpret_cast<Bytef*>(zeros.data());
    zs.avail_in = static_cast<uInt>(zeros.size());
    ASSERT_EQ(deflate(&zs, i == 1023 ? Z_FINISH : Z_NO_FLUSH), i == 1023 ? Z_STREAM_END : Z_OK);
  }
  bomb.resize(zs.total_out);
  deflateEnd(&zs);
  ASSERT_LT(bomb.size(), 2u << 20);
  Result<Parsed> p = ParseCloudTrailLog(bomb);  // default Limits: 128 MiB inflated at most
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ParseErrorKindOf(p.status()), ParseErrorKind::kTooLarge);
  EXPECT_NE(p.status().message().find("inflates to more than 134217728 bytes"), std::string::npos)
      << p.status().ToString();
}

TEST(Message, RecordLimit) {
  Limits limits;
  limits.max_records = 9;
  Result<Parsed> p = ParseCloudTrailLog(Fixture("cloudtrail_log.json"), limits);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ParseErrorKindOf(p.status()), ParseErrorKind::kTooManyRecords);
  limits.max_records = 10;
  EXPECT_TRUE(ParseCloudTrailLog(Fixture("cloudtrail_log.json"), limits).ok());
}

TEST(Message, IgnoredDetailsAreCappedButCounted) {
  Limits limits;
  limits.max_ignored_kept = 2;
  Result<Parsed> p = ParseCloudTrailLog(Fixture("cloudtrail_log.json"), limits);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->ignored.size(), 2u);
  EXPECT_EQ(p->IgnoredTotal(), 6u);
}

TEST(Message, MalformedDocuments) {
  const std::vector<std::string> cases = {
      "",
      "   \n ",
      "{",
      "}",
      "[]",
      "[{\"eventName\":\"GetObject\"}]",
      "\"Records\"",
      "42",
      "null",
      "{}",
      "{\"Records\":null}",
      "{\"Records\":[]} {\"Records\":[]}",
      "{\"Records\":[]}]",
      "{\"Records\":[{\"eventSource\":\"s3.amazonaws.com\",}]}",
      "{\"Records\":[{\"eventSource\":\"s3.amazonaws.com\"]}",
      "{\"a\":tru}",
      "{\"detail-type\":\"x\",\"detail\":{\"eventName\":\"\\uZZZZ\"}}",
      "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"x\":\"\xff\xfe\"}",
      std::string("{\"Records\":[\0]}", 15),
      "\x1f\x8b\x08\x00garbage",
  };
  for (const std::string& c : cases) {
    Result<Parsed> p = ParseMessage(c);
    ASSERT_FALSE(p.ok()) << "accepted: " << c;
    EXPECT_TRUE(ParseErrorKindOf(p.status()).has_value()) << c << ": " << p.status().ToString();
  }
}

TEST(Message, LeadingWhitespaceAndByteOrderMark) {
  std::string doc = Fixture("eventbridge_cloudtrail_getobject.json");
  for (const std::string& prefix : {std::string("\n\t  "), std::string("\xEF\xBB\xBF")}) {
    Result<Parsed> p = ParseMessage(prefix + doc);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->events.size(), 1u);
  }
}

TEST(Message, DuplicateMembersDoNotConfuse) {
  // The last value of a repeated member wins, as in most JSON readers (Python's included).
  Result<Parsed> p = ParseMessage(
      "{\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"PutObject\",\"eventName\":"
      "\"GetObject\",\"errorCode\":\"InvalidObjectState\",\"requestParameters\":{\"bucketName\":"
      "\"b\",\"key\":\"k1\",\"key\":\"k2\"}}");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->events.size(), 1u);
  EXPECT_EQ(p->events[0].key, "k2");
}

TEST(Message, EscapedMemberNamesAreRecognised) {
  // Names are matched in place unless they contain a backslash; then they are unescaped.
  Result<Parsed> p = ParseMessage(
      "{\"eventSource\":\"s3.amazonaws.com\",\"event\\u004eame\":\"GetObject\",\"errorCode\":"
      "\"InvalidObjectState\",\"requestParameters\":{\"bucket\\u004eame\":\"b\",\"key\":\"k\"},"
      "\"x\\\"y\":1}");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->events.size(), 1u);
  EXPECT_EQ(p->events[0].bucket, "b");
}

TEST(Message, DeeplyNestedUnknownMembersAreSkipped) {
  std::string deep(5000, '[');
  deep += std::string(5000, ']');
  json ev = json::parse(Fixture("eventbridge_cloudtrail_getobject.json"));
  std::string doc = ev.dump();
  doc.insert(1, "\"junk\":" + deep + ",");
  Result<Parsed> p = ParseMessage(doc);
  // simdjson refuses depth over 1024 as a typed error; it must never crash.
  if (p.ok()) {
    EXPECT_EQ(p->events.size(), 1u);
  } else {
    EXPECT_TRUE(ParseErrorKindOf(p.status()).has_value()) << p.status().ToString();
  }
}

// Every prefix of every fixture (and of its gzip) parses to a typed error or to a result no
// larger than the whole document's: never a crash, never an invented event.
TEST(Message, EveryTruncationIsSafe) {
  for (const std::string& name : kJsonFixtures) {
    std::string doc = Fixture(name);
    Result<Parsed> whole = ParseMessage(doc);
    ASSERT_TRUE(whole.ok()) << name;
    for (size_t cut = 0; cut < doc.size(); ++cut) {
      Result<Parsed> p = ParseMessage(std::string_view(doc).substr(0, cut));
      if (!p.ok()) {
        EXPECT_TRUE(ParseErrorKindOf(p.status()).has_value())
            << name << " cut at " << cut << ": " << p.status().ToString();
        continue;
      }
      // Only trailing whitespace can be cut from a JSON document and still parse.
      EXPECT_EQ(Summary(*p), Summary(*whole)) << name << " cut at " << cut;
    }
    std::string gz = Gzip(doc);
    for (size_t cut = 0; cut < gz.size(); ++cut) {
      Result<Parsed> p = ParseMessage(std::string_view(gz).substr(0, cut));
      EXPECT_FALSE(p.ok()) << name << " gzip cut at " << cut;
    }
  }
}

}  // namespace
}  // namespace thaw::events
