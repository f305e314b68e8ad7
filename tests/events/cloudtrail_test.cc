// CloudTrail records, alone, on EventBridge and in log files (plain and gzip): which records
// become restore requests, what they carry, the key rule, and typed handling of wrong types.
#include "events/cloudtrail.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "events/message.h"
#include "test_util.h"

namespace thaw::events {
namespace {

using nlohmann::json;
using testing::Fixture;
using testing::Gzip;
using testing::Summary;

json FixtureJson(const std::string& name) {
  return json::parse(Fixture(name));
}

Parsed MustParse(const std::string& bytes) {
  Result<Parsed> r = ParseMessage(bytes);
  if (!r.ok()) ADD_FAILURE() << r.status().ToString();
  return r.ok() ? *r : Parsed{};
}

TEST(CloudTrail, EventBridgeInvalidObjectStateIsARestoreRequest) {
  Parsed p = MustParse(Fixture("eventbridge_cloudtrail_getobject.json"));
  EXPECT_EQ(p.format, Format::kEventBridgeCloudTrail);
  ASSERT_EQ(p.events.size(), 1u);
  const Event& e = p.events[0];
  EXPECT_EQ(e.kind, EventKind::kRestoreWanted);
  EXPECT_EQ(e.format, Format::kEventBridgeCloudTrail);
  EXPECT_EQ(e.bucket, "archive-bucket");
  EXPECT_EQ(e.key, "data/2019/run 42/results.parquet");
  EXPECT_FALSE(e.alternate_key.has_value());
  EXPECT_EQ(e.version_id, "");
  EXPECT_EQ(e.event_id, "3f6a2c1e-5b7d-4e8a-9c0f-1a2b3c4d5e6f");
  EXPECT_EQ(e.request_id, "8R2B9QZ5Y7EXAMPLE");
  EXPECT_EQ(e.account_id, "111122223333");
  EXPECT_EQ(e.region, "us-east-1");
  ASSERT_TRUE(e.time.has_value());
  EXPECT_EQ(FormatIso8601(*e.time, false), "2024-04-10T08:15:30Z");
  EXPECT_EQ(e.event_name, "GetObject");
  EXPECT_EQ(e.error_code, "InvalidObjectState");
  EXPECT_EQ(e.principal, "arn:aws:sts::111122223333:assumed-role/analytics/analytics-job");
  EXPECT_EQ(e.message_id, "");
  EXPECT_EQ(p.IgnoredTotal(), 0u);
  EXPECT_EQ(p.records_seen, 1u);
}

TEST(CloudTrail, BareRecordIsAccepted) {
  json detail = FixtureJson("eventbridge_cloudtrail_getobject.json")["detail"];
  Result<Parsed> p = ParseCloudTrailEvent(detail.dump());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->format, Format::kCloudTrailRecord);
  ASSERT_EQ(p->events.size(), 1u);
  EXPECT_EQ(p->events[0].format, Format::kCloudTrailRecord);
  EXPECT_EQ(p->events[0].key, "data/2019/run 42/results.parquet");
}

void ExpectMixedLog(const Parsed& p) {
  EXPECT_EQ(p.format, Format::kCloudTrailLog);
  EXPECT_EQ(p.records_seen, 10u);
  ASSERT_EQ(p.events.size(), 4u) << ::testing::PrintToString(Summary(p));
  EXPECT_EQ(p.events[0].key, "data/2019/run 42/results.parquet");
  EXPECT_EQ(p.events[1].event_name, "HeadObject");
  EXPECT_EQ(p.events[1].key, "logs/2018/app.log.gz");
  EXPECT_EQ(p.events[1].version_id, "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY");
  EXPECT_EQ(p.events[2].bucket, "other-bucket");
  EXPECT_EQ(p.events[2].key, "reports/Q1%202024+draft.pdf");
  EXPECT_EQ(p.events[2].alternate_key, "reports/Q1 2024+draft.pdf");
  EXPECT_EQ(p.events[3].key, "data/üñíçødé/Ω.txt");
  for (const Event& e : p.events) {
    EXPECT_EQ(e.format, Format::kCloudTrailLog);
    EXPECT_FALSE(e.event_id.empty());
  }
  EXPECT_EQ(p.IgnoredCount(IgnoreReason::kSucceeded), 1u);
  EXPECT_EQ(p.IgnoredCount(IgnoreReason::kOtherError), 2u);  // AccessDenied, NoSuchKey
  EXPECT_EQ(p.IgnoredCount(IgnoreReason::kOtherEvent), 3u);  // PutObject, RestoreObject, EC2
  EXPECT_EQ(p.IgnoredCount(IgnoreReason::kMalformed), 0u);
  ASSERT_EQ(p.ignored.size(), 6u);
  EXPECT_EQ(p.ignored[0].reason, IgnoreReason::kSucceeded);
  EXPECT_EQ(p.ignored[0].event_id, "b7e1a3f0-0000-4000-8000-000000000002");
  EXPECT_EQ(p.ignored[1].detail, "errorCode AccessDenied");
  EXPECT_EQ(p.ignored[2].detail, "eventName PutObject");
  EXPECT_EQ(p.ignored[3].detail, "eventName RestoreObject");
  EXPECT_EQ(p.ignored[4].detail, "eventSource ec2.amazonaws.com");
}

TEST(CloudTrail, PlainLogFileWithMixedRecords) {
  Result<Parsed> p = ParseCloudTrailLog(Fixture("cloudtrail_log.json"));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ExpectMixedLog(*p);
}

TEST(CloudTrail, GzipLogFileGivesTheSameResult) {
  std::string gz = Gzip(Fixture("cloudtrail_log.json"));
  Result<Parsed> p = ParseCloudTrailLog(gz);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ExpectMixedLog(*p);
  Result<Parsed> generic = ParseMessage(gz);
  ASSERT_TRUE(generic.ok()) << generic.status().ToString();
  ExpectMixedLog(*generic);
}

// gzip log files are inflated into a buffer kept per thread: a larger file before, a smaller
// one after, a corrupt one in between and a multi-member one (the zlib path) must leave no
// trace of each other.
TEST(CloudTrail, GzipLogFilesInSequenceShareNoBytes) {
  std::string log = Fixture("cloudtrail_log.json");
  std::string big = "{\"Records\":[" + std::string(200000, ' ') + "]}";
  std::string small = "{\"Records\":[]}";
  Result<Parsed> p = ParseCloudTrailLog(Gzip(big));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->records_seen, 0u);
  p = ParseCloudTrailLog(Gzip(small));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->records_seen, 0u);
  std::string truncated = Gzip(log);
  truncated.resize(truncated.size() / 2);
  EXPECT_FALSE(ParseCloudTrailLog(truncated).ok());
  p = ParseCloudTrailLog(Gzip(log));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ExpectMixedLog(*p);
  std::string half = log.substr(0, log.size() / 2);
  p = ParseCloudTrailLog(Gzip(half) + Gzip(log.substr(half.size())));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ExpectMixedLog(*p);
  p = ParseCloudTrailLog(Gzip(small));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->records_seen, 0u);
}

TEST(CloudTrail, EmptyLogFile) {
  Result<Parsed> p = ParseCloudTrailLog("{\"Records\":[]}");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->format, Format::kCloudTrailLog);
  EXPECT_TRUE(p->events.empty());
  EXPECT_EQ(p->records_seen, 0u);
}

TEST(CloudTrail, LogParserRefusesOtherShapes) {
  for (const char* name : {"eventbridge_cloudtrail_getobject.json", "s3_test_event.json",
                           "sns_s3_notification.json"}) {
    Result<Parsed> p = ParseCloudTrailLog(Fixture(name));
    ASSERT_FALSE(p.ok()) << name;
    EXPECT_EQ(ParseErrorKindOf(p.status()), ParseErrorKind::kUnknownShape) << name;
  }
  // S3 notification records in a Records array are not CloudTrail records.
  Result<Parsed> p = ParseCloudTrailLog(Fixture("s3_notification_restore.json"));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->events.empty());
  EXPECT_EQ(p->IgnoredCount(IgnoreReason::kUnknownShape), 5u);
}

TEST(CloudTrail, KeyRule) {
  auto k = [](std::string_view raw) { return DecodeCloudTrailKey(raw); };
  EXPECT_EQ(k("a b+c").key, "a b+c");
  EXPECT_FALSE(k("a b+c").alternate);
  EXPECT_EQ(k("Q1%202024+draft").key, "Q1%202024+draft");
  EXPECT_EQ(k("Q1%202024+draft").alternate, "Q1 2024+draft");  // '+' is not a space here
  EXPECT_EQ(k("%41").alternate, "A");
  EXPECT_FALSE(k("100%").alternate);  // not a valid escape: verbatim only
  EXPECT_FALSE(k("50%off%zz").alternate);
  EXPECT_FALSE(k("%00").alternate == std::nullopt);  // decodes to a NUL byte: still a reading
}

TEST(CloudTrail, EnvelopeFillsWhatTheDetailLacks) {
  json ev = FixtureJson("eventbridge_cloudtrail_getobject.json");
  ev["detail"].erase("eventID");
  ev["detail"].erase("recipientAccountId");
  ev["detail"].erase("awsRegion");
  ev["detail"]["userIdentity"].erase("accountId");
  ev["account"] = "444455556666";
  ev["region"] = "eu-west-1";
  Parsed p = MustParse(ev.dump());
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].event_id, "6f1c9d2e-8a7b-4c3d-9e0f-112233445566");
  EXPECT_EQ(p.events[0].account_id, "444455556666");
  EXPECT_EQ(p.events[0].region, "eu-west-1");
}

TEST(CloudTrail, VersionIdIsCarried) {
  json ev = FixtureJson("eventbridge_cloudtrail_getobject.json");
  ev["detail"]["requestParameters"]["versionId"] = "v1.abc";
  Parsed p = MustParse(ev.dump());
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].version_id, "v1.abc");
}

struct Mutation {
  const char* name;
  std::function<void(json&)> apply;
  IgnoreReason expected;
};

TEST(CloudTrail, WrongTypesAndMissingFieldsAreTyped) {
  std::vector<Mutation> cases = {
      {"key is a number", [](json& d) { d["requestParameters"]["key"] = 5; },
       IgnoreReason::kMalformed},
      {"bucket is an object",
       [](json& d) { d["requestParameters"]["bucketName"] = json::object(); },
       IgnoreReason::kMalformed},
      {"versionId is an array",
       [](json& d) { d["requestParameters"]["versionId"] = json::array(); },
       IgnoreReason::kMalformed},
      {"eventName is a number", [](json& d) { d["eventName"] = 1; }, IgnoreReason::kMalformed},
      {"errorCode is true", [](json& d) { d["errorCode"] = true; }, IgnoreReason::kMalformed},
      {"eventSource is a list", [](json& d) { d["eventSource"] = json::array({"s3"}); },
       IgnoreReason::kMalformed},
      {"key missing", [](json& d) { d["requestParameters"].erase("key"); },
       IgnoreReason::kMalformed},
      {"key empty", [](json& d) { d["requestParameters"]["key"] = ""; }, IgnoreReason::kMalformed},
      {"requestParameters a string", [](json& d) { d["requestParameters"] = "x"; },
       IgnoreReason::kMalformed},
      {"requestParameters null", [](json& d) { d["requestParameters"] = nullptr; },
       IgnoreReason::kMalformed},
      {"errorCode null", [](json& d) { d["errorCode"] = nullptr; }, IgnoreReason::kSucceeded},
      {"other error", [](json& d) { d["errorCode"] = "SlowDown"; }, IgnoreReason::kOtherError},
      {"irrelevant record with bad key",
       [](json& d) {
         d["eventName"] = "PutObject";
         d["requestParameters"]["key"] = 5;
       },
       IgnoreReason::kOtherEvent},
  };
  json base = FixtureJson("eventbridge_cloudtrail_getobject.json");
  for (const Mutation& m : cases) {
    json ev = base;
    m.apply(ev["detail"]);
    Result<Parsed> p = ParseMessage(ev.dump());
    ASSERT_TRUE(p.ok()) << m.name << ": " << p.status().ToString();
    EXPECT_TRUE(p->events.empty()) << m.name;
    ASSERT_EQ(p->ignored.size(), 1u) << m.name;
    EXPECT_EQ(p->ignored[0].reason, m.expected) << m.name << ": " << p->ignored[0].detail;
    EXPECT_EQ(p->ignored[0].event_id, "3f6a2c1e-5b7d-4e8a-9c0f-1a2b3c4d5e6f") << m.name;
    EXPECT_EQ(p->HasMalformed(), m.expected == IgnoreReason::kMalformed) << m.name;
  }
}

TEST(CloudTrail, InformativeFieldsOfTheWrongTypeAreDropped) {
  json ev = FixtureJson("eventbridge_cloudtrail_getobject.json");
  ev["detail"]["eventTime"] = 1712736930;
  ev["time"] = false;
  ev["detail"]["userIdentity"]["arn"] = json::array();
  Parsed p = MustParse(ev.dump());
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_FALSE(p.events[0].time.has_value());
  EXPECT_EQ(p.events[0].principal, "");
}

TEST(CloudTrail, UnparseableTimeLeavesTimeEmpty) {
  json ev = FixtureJson("eventbridge_cloudtrail_getobject.json");
  ev["detail"]["eventTime"] = "yesterday";
  Parsed p = MustParse(ev.dump());
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_FALSE(p.events[0].time.has_value());
}

TEST(CloudTrail, StructuralWrongTypesAreErrors) {
  json ev = FixtureJson("eventbridge_cloudtrail_getobject.json");
  ev["detail"] = "not an object";
  Result<Parsed> p = ParseMessage(ev.dump());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ParseErrorKindOf(p.status()), ParseErrorKind::kWrongType);

  Result<Parsed> records = ParseMessage("{\"Records\":{\"eventName\":\"GetObject\"}}");
  ASSERT_FALSE(records.ok());
  EXPECT_EQ(ParseErrorKindOf(records.status()), ParseErrorKind::kWrongType);
  EXPECT_EQ(records.status().code(), StatusCode::kInvalidArgument);
}

TEST(CloudTrail, RecordsThatAreNotObjectsAreIgnored) {
  Result<Parsed> p = ParseCloudTrailLog("{\"Records\":[1,\"x\",null,[],{}]}");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->records_seen, 5u);
  EXPECT_EQ(p->IgnoredCount(IgnoreReason::kUnknownShape), 5u);
}

TEST(CloudTrail, MissingDetailIsMalformed) {
  json ev = FixtureJson("eventbridge_cloudtrail_getobject.json");
  ev.erase("detail");
  Parsed p = MustParse(ev.dump());
  EXPECT_TRUE(p.events.empty());
  EXPECT_TRUE(p.HasMalformed());
}

TEST(CloudTrail, OtherEventBridgeEventsAreIgnored) {
  json ev = FixtureJson("eventbridge_restore_completed.json");
  ev["detail-type"] = "Object Created";
  Parsed p = MustParse(ev.dump());
  EXPECT_EQ(p.format, Format::kEventBridgeOther);
  ASSERT_EQ(p.ignored.size(), 1u);
  EXPECT_EQ(p.ignored[0].reason, IgnoreReason::kOtherEvent);
  EXPECT_EQ(p.ignored[0].detail, "detail-type \"Object Created\" from aws.s3");
}

TEST(CloudTrail, EscapedStringsAreDecoded) {
  json ev = FixtureJson("eventbridge_cloudtrail_getobject.json");
  ev["detail"]["requestParameters"]["key"] = "quote\" back\\slash tab\t nul-free \u00e9";
  Parsed p = MustParse(ev.dump());
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].key, "quote\" back\\slash tab\t nul-free \u00e9");
}

}  // namespace
}  // namespace thaw::events
