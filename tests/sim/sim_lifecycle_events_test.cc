// Unit tests of the sim's lifecycle rules (parsing, due dates, the class order) and of the event
// renderers (CloudTrail, EventBridge, S3 notifications, access logs) read back with thaw's parsers.
#include <gtest/gtest.h>

#include "common/time_format.h"
#include "events/gzip.h"
#include "events/message.h"
#include "sim/events_out.h"
#include "sim/lifecycle.h"
#include "sim/s3_error.h"

namespace thaw::sim {
namespace {

Clock::TimePoint T(const char* iso) {
  return *ParseIso8601(iso);
}

std::string Code(const Status& s) {
  return ToS3Error(s).code;
}

TEST(Lifecycle, ParsesFiltersAndRefusesBadRules) {
  auto rules = ParseLifecycle(
      "<LifecycleConfiguration><Rule><ID>a</ID><Status>Enabled</Status><Filter><And>"
      "<Prefix>logs/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></And></Filter>"
      "<Transition><Days>3</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>"
      "<Rule><Status>Disabled</Status><Filter><Tag><Key>x</Key><Value>y</Value></Tag></Filter>"
      "</Rule></LifecycleConfiguration>");
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].prefix, "logs/");
  EXPECT_EQ((*rules)[0].tags.at("k"), "v");
  EXPECT_EQ((*rules)[0].transitions[0].days, 3);
  EXPECT_FALSE((*rules)[1].enabled);
  EXPECT_EQ(Code(ParseLifecycle("<nope/>").status()), "MalformedXML");
  EXPECT_EQ(Code(ParseLifecycle("<LifecycleConfiguration><Rule><Status>On</Status></Rule>"
                                "</LifecycleConfiguration>")
                     .status()),
            "MalformedXML");
  EXPECT_EQ(Code(ParseLifecycle("<LifecycleConfiguration><Rule><Status>Enabled</Status>"
                                "<Transition><Days>1</Days><StorageClass>STANDARD</StorageClass>"
                                "</Transition></Rule></LifecycleConfiguration>")
                     .status()),
            "InvalidArgument");
  EXPECT_EQ(Code(ParseLifecycle("<LifecycleConfiguration><Rule><Status>Enabled</Status>"
                                "<Transition><Days>-1</Days><StorageClass>GLACIER</StorageClass>"
                                "</Transition></Rule></LifecycleConfiguration>")
                     .status()),
            "InvalidArgument");
}

TEST(Lifecycle, DueAtCreationPlusDaysRoundedToMidnightAndOnlyDownTheOrder) {
  LifecycleRule r;
  r.prefix = "logs/";
  r.transitions = {{1, "GLACIER"}, {0, "STANDARD_IA"}, {30, "DEEP_ARCHIVE"}};
  std::vector<LifecycleRule> rules = {r};
  ArchiveState standard;
  auto created = T("2024-03-01T10:00:00Z");
  // Days 0: the next midnight.
  EXPECT_EQ(DueTransition(rules, "logs/a", {}, created, standard, T("2024-03-01T23:59:59Z")),
            std::nullopt);
  EXPECT_EQ(DueTransition(rules, "logs/a", {}, created, standard, T("2024-03-02T00:00:00Z")),
            "STANDARD_IA");
  // Days 1: 2024-03-02T10:00 rounded up to 03-03 00:00; the colder class wins.
  EXPECT_EQ(DueTransition(rules, "logs/a", {}, created, standard, T("2024-03-02T23:00:00Z")),
            "STANDARD_IA");
  EXPECT_EQ(DueTransition(rules, "logs/a", {}, created, standard, T("2024-03-03T00:00:00Z")),
            "GLACIER");
  EXPECT_EQ(DueTransition(rules, "other/a", {}, created, standard, T("2025-01-01T00:00:00Z")),
            std::nullopt);
  ArchiveState deep;
  deep.storage_class = "DEEP_ARCHIVE";
  EXPECT_EQ(DueTransition(rules, "logs/a", {}, created, deep, T("2025-01-01T00:00:00Z")),
            std::nullopt);  // never back up
  rules[0].tags = {{"tier", "cold"}};
  EXPECT_EQ(DueTransition(rules, "logs/a", {}, created, standard, T("2025-01-01T00:00:00Z")),
            std::nullopt);
  EXPECT_EQ(DueTransition(rules, "logs/a", {{"tier", "cold"}}, created, standard,
                          T("2025-01-01T00:00:00Z")),
            "DEEP_ARCHIVE");
  ArchiveState restored;
  restored.storage_class = "GLACIER";
  restored.restore = ArchiveState::Restore::kRestored;
  ApplyTransition(restored, "DEEP_ARCHIVE");
  EXPECT_EQ(restored.storage_class, "DEEP_ARCHIVE");
  EXPECT_EQ(restored.restore, ArchiveState::Restore::kNone);
}

TEST(Lifecycle, TaggingHeaderIsFormEncoded) {
  auto tags = ParseTagging("a=1&b%20c=x+y&empty=");
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(tags->at("a"), "1");
  EXPECT_EQ(tags->at("b c"), "x y");
  EXPECT_EQ(tags->at("empty"), "");
  EXPECT_FALSE(ParseTagging("=v").ok());
}

ApiCallRecord FailedGet() {
  ApiCallRecord r;
  r.op = "GetObject";
  r.bucket = "bkt";
  r.key = "a b/c+d.txt";
  r.method = "GET";
  r.target = "/bkt/a%20b/c%2Bd.txt";
  r.host = "127.0.0.1:9000";
  r.user_agent = "test agent";
  r.remote_ip = "127.0.0.1";
  r.access_key = "thawsim";
  r.status = 403;
  r.error_code = "InvalidObjectState";
  r.error_message = "The operation is not valid for the object's storage class";
  r.request_id = "REQ1";
  r.bytes_sent = 243;
  r.object_size = 10;
  r.time = T("2024-04-10T08:15:30Z");
  return r;
}

TEST(EventRenderers, CloudTrailLogAndEventBridgeReadBackAsRestoreWanted) {
  EventsOptions o;
  ApiCallRecord r = FailedGet();
  std::string record = RenderCloudTrailRecord(r, o);
  auto gz = Gzip("{\"Records\":[" + record + "]}");
  ASSERT_TRUE(gz.ok());
  ASSERT_TRUE(events::IsGzip(*gz));
  auto log = events::ParseCloudTrailLog(*gz);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  ASSERT_EQ(log->events.size(), 1u);
  EXPECT_EQ(log->events[0].kind, events::EventKind::kRestoreWanted);
  EXPECT_EQ(log->events[0].bucket, "bkt");
  EXPECT_EQ(log->events[0].request_id, "REQ1");
  auto bridge = events::ParseMessage(WrapEventBridgeApiCall(record, r, o));
  ASSERT_TRUE(bridge.ok()) << bridge.status().ToString();
  ASSERT_EQ(bridge->events.size(), 1u);
  // The same record in both channels: one eventID for de-duplication.
  EXPECT_EQ(bridge->events[0].event_id, log->events[0].event_id);
  // A successful read is not a restore request.
  r.status = 200;
  r.error_code.clear();
  auto ok = events::ParseMessage(RenderEventBridgeApiCall(r, o));
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->events.empty());
}

TEST(EventRenderers, AccessLogLineHasAwsFieldsAndErrorCode) {
  EventsOptions o;
  std::string line = RenderAccessLogLine(FailedGet(), o);
  EXPECT_NE(line.find(" [10/Apr/2024:08:15:30 +0000] "), std::string::npos) << line;
  EXPECT_NE(line.find(" REST.GET.OBJECT a%20b/c%2Bd.txt \"GET /bkt/a%20b/c%2Bd.txt HTTP/1.1\" "
                      "403 InvalidObjectState 243 10 "),
            std::string::npos)
      << line;
  auto parsed = events::ParseAccessLog(line + "\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->events.size(), 1u);
  EXPECT_EQ(parsed->events[0].key, "a b/c+d.txt");
}

TEST(EventRenderers, RestoreNotificationsInBothShapes) {
  EventsOptions o;
  RestoreEventRecord e;
  e.kind = RestoreEventRecord::Kind::kCompleted;
  e.bucket = "bkt";
  e.key = "a b/c+d.txt";
  e.size = 10;
  e.etag = "\"abc\"";
  e.storage_class = "DEEP_ARCHIVE";
  e.expiry = T("2024-04-12T00:00:00Z");
  e.request_id = "REQ2";
  e.time = T("2024-04-10T12:00:00Z");
  for (const std::string& msg : {RenderS3Notification(e, o), RenderEventBridgeRestore(e, o)}) {
    auto parsed = events::ParseMessage(msg);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << msg;
    ASSERT_EQ(parsed->events.size(), 1u) << msg;
    const events::Event& ev = parsed->events[0];
    EXPECT_EQ(ev.kind, events::EventKind::kRestoreCompleted);
    EXPECT_TRUE(ev.key == e.key || ev.alternate_key == e.key) << ev.key;
  }
  EXPECT_NE(RenderS3Notification(e, o).find("\"key\":\"a+b/c%2Bd.txt\""), std::string::npos);
  e.kind = RestoreEventRecord::Kind::kDelete;
  auto expired = events::ParseMessage(RenderEventBridgeRestore(e, o));
  ASSERT_TRUE(expired.ok());
  EXPECT_EQ(expired->events.at(0).kind, events::EventKind::kRestoreExpired);
}

TEST(EventWriter, FullQueueDropsInsteadOfBlockingAndStopFlushes) {
  EventsOptions o;
  o.queue_limit = 2;
  o.flush_interval = std::chrono::hours(1);
  std::vector<std::string> sent;
  std::mutex mu;
  o.sender = [&](const std::vector<std::string>& bodies) {
    std::lock_guard<std::mutex> lock(mu);
    sent.insert(sent.end(), bodies.begin(), bodies.end());
    return Status::Ok();
  };
  auto w = EventWriter::Start(o);
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 1000; ++i) (*w)->Post(FailedGet());
  (*w)->Stop();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(sent.size() + (*w)->dropped(), 1000u);
  EXPECT_GE(sent.size(), 1u);
}

}  // namespace
}  // namespace thaw::sim
