// JSON lines (`thaw sim --events-dir`'s eventbridge.jsonl and s3-notifications.jsonl): told apart
// from single documents, each line read as a message of its own, and a bad line counted as
// malformed with its line number while the others still count.
#include "events/json_lines.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "events/test_util.h"

namespace thaw::events {
namespace {

using testing::Fixture;

std::string OneLine(const std::string& fixture) {
  return nlohmann::json::parse(Fixture(fixture)).dump();
}

TEST(JsonLines, AreToldApartFromDocuments) {
  std::string a = OneLine("eventbridge_cloudtrail_getobject.json");
  std::string b = OneLine("eventbridge_restore_completed.json");
  EXPECT_TRUE(LooksLikeJsonLines(a + "\n" + b + "\n"));
  EXPECT_TRUE(LooksLikeJsonLines("\n  " + a + "\r\n" + b));
  EXPECT_FALSE(LooksLikeJsonLines(a + "\n")) << "one document with a newline";
  EXPECT_FALSE(LooksLikeJsonLines(Fixture("cloudtrail_log.json"))) << "pretty-printed";
  EXPECT_FALSE(LooksLikeJsonLines(Fixture("access.log")));
  EXPECT_FALSE(LooksLikeJsonLines("{\"Records\": [\n{}]}\n"));
}

TEST(JsonLines, EachLineIsAMessageAndABadLineIsCountedNotFatal) {
  std::string text = OneLine("eventbridge_cloudtrail_getobject.json") + "\n" +
                     "{\"detail-type\": \"AWS API Call via Cloud\n" +  // torn line
                     "\n" + OneLine("eventbridge_restore_completed.json") + "\n" +
                     OneLine("s3_notification_restore.json") + "\n";
  auto parsed = ParseJsonLines(text);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->format, Format::kJsonLines);
  ASSERT_GE(parsed->events.size(), 3u);
  EXPECT_EQ(parsed->events[0].kind, EventKind::kRestoreWanted);
  EXPECT_EQ(parsed->events[0].format, Format::kEventBridgeCloudTrail);
  EXPECT_EQ(parsed->events[1].kind, EventKind::kRestoreCompleted);
  EXPECT_EQ(parsed->IgnoredCount(IgnoreReason::kMalformed), 1u);
  ASSERT_FALSE(parsed->ignored.empty());
  EXPECT_EQ(parsed->ignored[0].detail.rfind("line 2: ", 0), 0u) << parsed->ignored[0].detail;
}

TEST(JsonLines, RecordLimitHolds) {
  std::string line = OneLine("eventbridge_cloudtrail_getobject.json") + "\n";
  Limits limits;
  limits.max_records = 3;
  std::string text;
  for (int i = 0; i < 5; ++i) text += line;
  auto parsed = ParseJsonLines(text, limits);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(ParseErrorKindOf(parsed.status()), ParseErrorKind::kTooManyRecords);
}

}  // namespace
}  // namespace thaw::events
