// S3 restore events: notifications (Post/Completed/Delete, form-encoded keys), their
// EventBridge shapes, SNS envelopes around them, and the s3:TestEvent.
#include "events/s3_notification.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "events/message.h"
#include "test_util.h"

namespace thaw::events {
namespace {

using nlohmann::json;
using testing::Fixture;

Parsed MustParse(const std::string& bytes) {
  Result<Parsed> r = ParseS3Notification(bytes);
  if (!r.ok()) ADD_FAILURE() << r.status().ToString();
  return r.ok() ? *r : Parsed{};
}

std::string Iso(const std::optional<TimePoint>& t) {
  return t ? FormatIso8601(*t, false) : "-";
}

TEST(S3Notification, RestoreEventKinds) {
  EXPECT_EQ(RestoreKindFromEventName("ObjectRestore:Post"), EventKind::kRestoreInitiated);
  EXPECT_EQ(RestoreKindFromEventName("s3:ObjectRestore:Completed"), EventKind::kRestoreCompleted);
  EXPECT_EQ(RestoreKindFromEventName("ObjectRestore:Delete"), EventKind::kRestoreExpired);
  EXPECT_FALSE(RestoreKindFromEventName("ObjectCreated:Put"));
  EXPECT_FALSE(RestoreKindFromEventName("ObjectRestore:*"));
  EXPECT_EQ(RestoreKindFromDetailType("Object Restore Initiated"), EventKind::kRestoreInitiated);
  EXPECT_EQ(RestoreKindFromDetailType("Object Restore Expired"), EventKind::kRestoreExpired);
  EXPECT_FALSE(RestoreKindFromDetailType("Object Created"));
}

TEST(S3Notification, PostCompletedDeleteWithFormEncodedKeys) {
  Parsed p = MustParse(Fixture("s3_notification_restore.json"));
  EXPECT_EQ(p.format, Format::kS3Notification);
  ASSERT_EQ(p.events.size(), 4u);
  const Event& post = p.events[0];
  EXPECT_EQ(post.kind, EventKind::kRestoreInitiated);
  EXPECT_EQ(post.format, Format::kS3Notification);
  EXPECT_EQ(post.bucket, "archive-bucket");
  EXPECT_EQ(post.key, "photos/red flower.jpg");
  EXPECT_FALSE(post.alternate_key);
  EXPECT_EQ(post.event_id, "restore-initiated:REQPOST000000001:0055AED6DCD9028101");
  EXPECT_EQ(post.request_id, "REQPOST000000001");
  EXPECT_EQ(post.region, "us-west-2");
  EXPECT_EQ(Iso(post.time), "2024-04-10T12:00:00Z");
  EXPECT_EQ(post.size_bytes, 1048576u);
  EXPECT_FALSE(post.restore_expiry);
  EXPECT_EQ(post.event_name, "ObjectRestore:Post");

  const Event& done = p.events[1];
  EXPECT_EQ(done.kind, EventKind::kRestoreCompleted);
  EXPECT_EQ(Iso(done.restore_expiry), "2024-04-12T00:00:00Z");
  EXPECT_EQ(done.storage_class, "DEEP_ARCHIVE");

  EXPECT_EQ(p.events[2].kind, EventKind::kRestoreExpired);
  EXPECT_EQ(p.events[2].storage_class, "DEEP_ARCHIVE");

  const Event& versioned = p.events[3];
  EXPECT_EQ(versioned.key, "data/a+b (copy).csv");  // %2B is a plus, + is a space
  EXPECT_EQ(versioned.version_id, "Ki3.o8Tb0LdWmRD6CxJQm5p5hGxWxGHm");
  EXPECT_EQ(versioned.storage_class, "GLACIER");

  ASSERT_EQ(p.ignored.size(), 1u);
  EXPECT_EQ(p.ignored[0].reason, IgnoreReason::kOtherEvent);
  EXPECT_EQ(p.ignored[0].detail, "eventName ObjectCreated:Put");
}

TEST(S3Notification, EventBridgeRestoreCompleted) {
  Parsed p = MustParse(Fixture("eventbridge_restore_completed.json"));
  EXPECT_EQ(p.format, Format::kEventBridgeS3);
  ASSERT_EQ(p.events.size(), 1u);
  const Event& e = p.events[0];
  EXPECT_EQ(e.kind, EventKind::kRestoreCompleted);
  EXPECT_EQ(e.bucket, "archive-bucket");
  EXPECT_EQ(e.key, "photos/2019/IMG 0001.CR2");
  EXPECT_FALSE(e.alternate_key);
  EXPECT_EQ(e.version_id, "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e");
  EXPECT_EQ(e.event_id, "restore-completed:N4N7GDK58NMKJ12R:617f08299329d189");
  EXPECT_EQ(e.account_id, "111122223333");
  EXPECT_EQ(e.region, "ca-central-1");
  EXPECT_EQ(Iso(e.time), "2024-04-11T03:20:00Z");
  EXPECT_EQ(Iso(e.restore_expiry), "2024-04-13T00:00:00Z");
  EXPECT_EQ(e.storage_class, "GLACIER");
  EXPECT_EQ(e.size_bytes, 5242880u);
}

TEST(S3Notification, EventBridgeInitiatedAndExpired) {
  Parsed initiated = MustParse(Fixture("eventbridge_restore_initiated.json"));
  ASSERT_EQ(initiated.events.size(), 1u);
  EXPECT_EQ(initiated.events[0].kind, EventKind::kRestoreInitiated);
  Parsed expired = MustParse(Fixture("eventbridge_restore_expired.json"));
  ASSERT_EQ(expired.events.size(), 1u);
  EXPECT_EQ(expired.events[0].kind, EventKind::kRestoreExpired);
  EXPECT_EQ(expired.events[0].storage_class, "DEEP_ARCHIVE");
}

TEST(S3Notification, EventBridgeKeyKeepsTheVerbatimReading) {
  json ev = json::parse(Fixture("eventbridge_restore_completed.json"));
  ev["detail"]["object"]["key"] = "c++/a+b.txt";
  Parsed p = MustParse(ev.dump());
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].key, "c  /a b.txt");
  EXPECT_EQ(p.events[0].alternate_key, "c++/a+b.txt");
  // A '%' that does not decode leaves only the verbatim reading.
  ev["detail"]["object"]["key"] = "100%.txt";
  p = MustParse(ev.dump());
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].key, "100%.txt");
  EXPECT_FALSE(p.events[0].alternate_key);
}

TEST(S3Notification, SameOccurrenceHasTheSameIdOnBothPaths) {
  json ev = json::parse(Fixture("eventbridge_restore_completed.json"));
  json n = json::parse(Fixture("s3_notification_restore.json"));
  json& rec = n["Records"][1];
  ev["detail"]["request-id"] = rec["responseElements"]["x-amz-request-id"];
  ev["detail"]["object"]["sequencer"] = rec["s3"]["object"]["sequencer"];
  Parsed a = MustParse(ev.dump());
  Parsed b = MustParse(n.dump());
  ASSERT_EQ(a.events.size(), 1u);
  EXPECT_EQ(a.events[0].event_id, b.events[1].event_id);
}

TEST(S3Notification, SnsEnvelopeIsUnwrapped) {
  Parsed p = MustParse(Fixture("sns_s3_notification.json"));
  EXPECT_EQ(p.format, Format::kSnsEnvelope);
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].format, Format::kS3Notification);
  EXPECT_EQ(p.events[0].kind, EventKind::kRestoreCompleted);
  EXPECT_EQ(p.events[0].key, "videos/cat video \u2713.mp4");
}

TEST(S3Notification, LambdaSnsEventIsUnwrapped) {
  json envelope = json::parse(Fixture("sns_s3_notification.json"));
  json lambda = {{"Records",
                  {{{"EventSource", "aws:sns"},
                    {"EventVersion", "1.0"},
                    {"EventSubscriptionArn", "arn:aws:sns:us-west-2:111122223333:thaw-restores:1"},
                    {"Sns", envelope}}}}};
  Parsed p = MustParse(lambda.dump());
  EXPECT_EQ(p.format, Format::kSnsEnvelope);
  ASSERT_EQ(p.events.size(), 1u);
  EXPECT_EQ(p.events[0].key, "videos/cat video \u2713.mp4");
}

TEST(S3Notification, SnsWithBrokenMessageFailsTheEnvelope) {
  json envelope = json::parse(Fixture("sns_s3_notification.json"));
  envelope["Message"] = "{\"Records\":[";
  Result<Parsed> p = ParseS3Notification(envelope.dump());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ParseErrorKindOf(p.status()), ParseErrorKind::kBadJson);
}

TEST(S3Notification, SnsHousekeepingIsIgnored) {
  json envelope = json::parse(Fixture("sns_s3_notification.json"));
  envelope["Type"] = "SubscriptionConfirmation";
  Parsed p = MustParse(envelope.dump());
  EXPECT_TRUE(p.events.empty());
  EXPECT_EQ(p.IgnoredCount(IgnoreReason::kTestEvent), 1u);
}

TEST(S3Notification, TestEventIsIgnored) {
  Parsed p = MustParse(Fixture("s3_test_event.json"));
  EXPECT_EQ(p.format, Format::kS3TestEvent);
  EXPECT_TRUE(p.events.empty());
  ASSERT_EQ(p.ignored.size(), 1u);
  EXPECT_EQ(p.ignored[0].reason, IgnoreReason::kTestEvent);
}

TEST(S3Notification, BadKeysAndTypesAreMalformed) {
  json base = json::parse(Fixture("s3_notification_restore.json"));
  std::vector<std::pair<const char*, std::function<void(json&)>>> cases = {
      {"bad escape", [](json& r) { r["s3"]["object"]["key"] = "a%zzb"; }},
      {"key number", [](json& r) { r["s3"]["object"]["key"] = 7; }},
      {"bucket missing", [](json& r) { r["s3"]["bucket"].erase("name"); }},
      {"s3 not object", [](json& r) { r["s3"] = "x"; }},
      {"versionId object", [](json& r) { r["s3"]["object"]["versionId"] = json::object(); }},
      {"eventName number", [](json& r) { r["eventName"] = 3; }},
  };
  for (auto& [name, mutate] : cases) {
    json n = base;
    json& rec = n["Records"][1];
    mutate(rec);
    Result<Parsed> p = ParseMessage(n.dump());
    ASSERT_TRUE(p.ok()) << name << ": " << p.status().ToString();
    EXPECT_EQ(p->events.size(), 3u) << name;
    EXPECT_EQ(p->IgnoredCount(IgnoreReason::kMalformed), 1u) << name;
  }
}

TEST(S3Notification, InformativeFieldsOfTheWrongTypeAreDropped) {
  json n = json::parse(Fixture("s3_notification_restore.json"));
  json& rec = n["Records"][1];
  rec["s3"]["object"]["size"] = "1048576";  // AWS's own documentation template shows a string
  rec["glacierEventData"]["restoreEventData"]["lifecycleRestorationExpiryTime"] = 0;
  Parsed p = MustParse(n.dump());
  ASSERT_EQ(p.events.size(), 4u);
  EXPECT_FALSE(p.events[1].size_bytes);
  EXPECT_FALSE(p.events[1].restore_expiry);
  EXPECT_EQ(p.events[1].storage_class, "DEEP_ARCHIVE");
  rec["s3"]["object"]["size"] = -1;
  EXPECT_FALSE(MustParse(n.dump()).events[1].size_bytes);
  rec["s3"]["object"]["size"] = 1e300;
  EXPECT_FALSE(MustParse(n.dump()).events[1].size_bytes);
}

TEST(S3Notification, CompatibleStoresEventSource) {
  json n = json::parse(Fixture("s3_notification_restore.json"));
  for (json& r : n["Records"]) r["eventSource"] = "minio:s3";
  n["Records"][1]["eventName"] = "s3:ObjectRestore:Completed";
  Parsed p = MustParse(n.dump());
  EXPECT_EQ(p.events.size(), 4u);
  EXPECT_EQ(p.events[1].kind, EventKind::kRestoreCompleted);
}

TEST(S3Notification, OtherShapesAreRefused) {
  Result<Parsed> p = ParseS3Notification(Fixture("eventbridge_cloudtrail_getobject.json"));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(ParseErrorKindOf(p.status()), ParseErrorKind::kUnknownShape);
}

}  // namespace
}  // namespace thaw::events
