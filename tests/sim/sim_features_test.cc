// thaw sim's Expedited switch, bucket lifecycle and event output, driven as a user runs them:
// the real binary, boto3 scripts (tests/sim/py), the emitted files read back with Python's json
// and with thaw's own event parsers (src/events).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "events/message.h"
#include "sim/sim_harness.h"

namespace thaw::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(SimFeatures, ExpeditedUnavailableAnswers503AndSwitchesAtRunTime) {
  TempDir dir;
  Sim sim(dir.path() + "/data", {"--expedited", "unavailable"});
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  EXPECT_NE(RunPy(sim, "expedited.py").find("ok"), std::string::npos);
}

TEST(SimFeatures, BadExpeditedSettingIsRefusedAtStart) {
  std::string out;
  int rc = RunCommand(ThawBinary() + " sim --listen 127.0.0.1:0 --expedited often 2>&1", &out);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("expedited"), std::string::npos) << out;
}

TEST(SimFeatures, LifecycleTransitionsOnTheSimClockAndPersist) {
  TempDir dir;
  std::string data = dir.path() + "/data";
  {
    Sim sim(data);
    ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
    EXPECT_NE(RunPy(sim, "lifecycle.py", "setup").find("ok"), std::string::npos);
    EXPECT_EQ(sim.Stop(), 0);
  }
  Sim again(data);
  ASSERT_FALSE(again.endpoint().empty()) << again.Log();
  EXPECT_NE(RunPy(again, "lifecycle.py", "check").find("ok"), std::string::npos);
}

TEST(SimFeatures, EventsDirHoldsCloudTrailNotificationsAndAccessLogsInAwsFormats) {
  TempDir dir;
  std::string events_dir = dir.path() + "/events";
  {
    Sim sim(dir.path() + "/data", {"--events-dir", events_dir});
    ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
    EXPECT_NE(RunPy(sim, "events_traffic.py").find("ok"), std::string::npos);
    EXPECT_EQ(sim.Stop(), 0);  // flushes the open log files
  }
  // Python's json and gzip (not our parser).
  std::string out;
  int rc = RunCommand(
      "python3 " + SourceDir() + "/tests/sim/py/events_check.py " + events_dir + " 2>&1", &out);
  EXPECT_EQ(rc, 0) << out;

  // thaw's own parsers read the same files as thaw's event sources will.
  const std::string key = "dir/a b+c.bin";
  int wanted = 0, trail_records = 0;
  for (const auto& e : fs::recursive_directory_iterator(events_dir + "/AWSLogs")) {
    if (!e.is_regular_file()) continue;
    auto parsed = events::ParseCloudTrailLog(ReadAll(e.path()));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    trail_records += static_cast<int>(parsed->records_seen);
    for (const events::Event& ev : parsed->events) {
      EXPECT_EQ(ev.kind, events::EventKind::kRestoreWanted);
      EXPECT_EQ(ev.bucket, "evb");
      EXPECT_TRUE(ev.key == key || ev.alternate_key == key) << ev.key;
      ++wanted;
    }
  }
  EXPECT_EQ(wanted, 1);
  EXPECT_GE(trail_records, 8);

  std::vector<events::EventKind> bridge_kinds, note_kinds;
  for (const char* file : {"eventbridge.jsonl", "s3-notifications.jsonl"}) {
    std::ifstream in(events_dir + "/" + file);
    std::string line;
    while (std::getline(in, line)) {
      auto parsed = events::ParseMessage(line);
      ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << line;
      for (const events::Event& ev : parsed->events) {
        EXPECT_EQ(ev.bucket, "evb");
        EXPECT_TRUE(ev.key == key || ev.alternate_key == key) << ev.key;
        (std::string(file) == "eventbridge.jsonl" ? bridge_kinds : note_kinds).push_back(ev.kind);
      }
    }
  }
  using K = events::EventKind;
  std::vector<K> restore_cycle = {K::kRestoreInitiated, K::kRestoreCompleted, K::kRestoreExpired};
  EXPECT_EQ(note_kinds, restore_cycle);
  std::vector<K> bridge_expected = {K::kRestoreWanted, K::kRestoreInitiated, K::kRestoreCompleted,
                                    K::kRestoreExpired};
  EXPECT_EQ(bridge_kinds, bridge_expected);

  int failed_reads = 0;
  for (const auto& e : fs::directory_iterator(events_dir + "/access-logs")) {
    auto parsed = events::ParseAccessLog(ReadAll(e.path()));
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    for (const events::Event& ev : parsed->events) {
      EXPECT_EQ(ev.kind, K::kRestoreWanted);
      EXPECT_EQ(ev.key, key);
      ++failed_reads;
    }
  }
  EXPECT_EQ(failed_reads, 1);
}

TEST(SimClients, Boto3DefaultPresignedUrlsUseSigV2AndWorkWithCurl) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  EXPECT_NE(RunPy(sim, "presign_v2.py").find("ok"), std::string::npos);
}

TEST(SimClients, RcloneCopiesBothWaysWithMatchingChecksums) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  EXPECT_NE(RunPy(sim, "foreign_clients.py", "rclone").find("ok"), std::string::npos);
}

// A real FUSE mount (root and /dev/fuse, as CI has); the script unmounts in a finally.
TEST(SimClients, S3fsMountReadsMatchChecksums) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  EXPECT_NE(RunPy(sim, "foreign_clients.py", "s3fs").find("ok"), std::string::npos);
}

TEST(SimFeatures, EventsSqsSendsEventBridgeEventsAndNotificationsToMoto) {
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  std::string queue_url;
  std::string py = "python3 " + SourceDir() + "/tests/sim/py/sqs_queue.py " + moto.endpoint();
  ASSERT_EQ(RunCommand(py + " create sim-events 2>&1", &queue_url), 0) << queue_url;
  queue_url = std::string(Trim(queue_url));
  TempDir dir;
  {
    Sim sim(dir.path() + "/data", {"--events-sqs", queue_url});
    ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
    EXPECT_NE(RunPy(sim, "events_traffic.py").find("ok"), std::string::npos);
    EXPECT_EQ(sim.Stop(), 0) << sim.Log();
  }
  // 8 CloudTrail data events + 3 EventBridge restore events + 3 S3 notifications.
  std::string bodies_file = dir.path() + "/bodies.jsonl", out;
  EXPECT_EQ(RunCommand(py + " drain " + queue_url + " " + bodies_file + " 14 2>&1", &out), 0)
      << out;
  std::ifstream in(bodies_file);
  std::string line;
  int restore_events = 0, wanted = 0;
  while (std::getline(in, line)) {
    auto parsed = events::ParseMessage(line);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString() << "\n" << line;
    for (const events::Event& ev : parsed->events) {
      if (ev.kind == events::EventKind::kRestoreWanted)
        ++wanted;
      else
        ++restore_events;
    }
  }
  EXPECT_EQ(wanted, 1);
  EXPECT_EQ(restore_events, 6);
}

}  // namespace
}  // namespace thaw::testing
