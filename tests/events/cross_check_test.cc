// Cross-check against a parser we did not write: tests/events/cross_check.py reads the same
// fixtures with Python's json, gzip and urllib and lists the events it finds; ours must match
// kind, bucket, key, version id and event id, in order.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "events/message.h"
#include "support/test_env.h"
#include "test_util.h"

namespace thaw::events {
namespace {

using nlohmann::json;

TEST(CrossCheck, PythonFindsTheSameEvents) {
  ASSERT_EQ(thaw::testing::RunCommand("python3 -c 'import json, gzip, urllib.parse'"), 0)
      << "python3 is needed for this test";
  thaw::testing::TempDir tmp;
  std::vector<std::string> files = {
      "eventbridge_cloudtrail_getobject.json",
      "cloudtrail_log.json",
      "s3_notification_restore.json",
      "eventbridge_restore_completed.json",
      "eventbridge_restore_initiated.json",
      "eventbridge_restore_expired.json",
      "sns_s3_notification.json",
      "s3_test_event.json",
      "sqs_batch.json",
      "access.log",
  };
  std::vector<std::string> paths;
  for (const std::string& f : files) paths.push_back(testing::DataDir() + "/" + f);
  paths.push_back(tmp.WriteFile("cloudtrail_log.json.gz",
                                testing::Gzip(testing::Fixture("cloudtrail_log.json"))));
  paths.push_back(tmp.WriteFile("access.log.gz", testing::Gzip(testing::Fixture("access.log"))));

  std::string command = "python3 " + thaw::testing::SourceDir() + "/tests/events/cross_check.py";
  for (const std::string& p : paths) command += " '" + p + "'";
  std::string out;
  ASSERT_EQ(thaw::testing::RunCommand(command, &out), 0) << out;
  json expected = json::parse(out, nullptr, false);
  ASSERT_FALSE(expected.is_discarded()) << out;

  size_t total = 0;
  for (const std::string& path : paths) {
    Result<Parsed> p = ParseMessage(testing::ReadFile(path));
    ASSERT_TRUE(p.ok()) << path << ": " << p.status().ToString();
    json ours = json::array();
    for (const Event& e : p->events) {
      ours.push_back(
          {std::string(EventKindName(e.kind)), e.bucket, e.key, e.version_id, e.event_id});
    }
    ASSERT_TRUE(expected.contains(path)) << path;
    EXPECT_EQ(ours, expected[path])
        << path << "\nours:   " << ours.dump() << "\npython: " << expected[path].dump();
    total += ours.size();
  }
  EXPECT_GE(total, 20u);  // the comparison is not vacuous
}

}  // namespace
}  // namespace thaw::events
