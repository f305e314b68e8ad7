// Regression run of every fuzz target over its committed corpus (tests/fuzz/corpus/<parser>/),
// so that inputs the fuzzers found (crashers included) are replayed by every g++ build, with
// the fuzz targets' invariants reported as test failures.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_util.h"

// Report invariant violations to gtest instead of aborting (see fuzz_targets.h).
#define THAW_FUZZ_CHECK(cond) EXPECT_TRUE(cond) << #cond << " in " << ::thaw::events::CurrentInput()

namespace thaw::events {
inline std::string& CurrentInput() {
  static std::string name;
  return name;
}
}  // namespace thaw::events

#include "fuzz/fuzz_targets.h"

namespace thaw::events {
namespace {

namespace fs = std::filesystem;

void RunCorpus(const std::string& target, void (*fn)(const uint8_t*, size_t)) {
  fs::path dir = fs::path(thaw::testing::SourceDir()) / "tests/fuzz/corpus" / target;
  ASSERT_TRUE(fs::is_directory(dir)) << dir;
  int n = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    CurrentInput() = entry.path().string();
    std::string data = testing::ReadFile(entry.path().string());
    fn(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    ++n;
  }
  EXPECT_GT(n, 0) << "empty corpus " << dir;
}

TEST(FuzzCorpus, Message) {
  RunCorpus("message", fuzz::FuzzMessage);
}
TEST(FuzzCorpus, CloudTrailLog) {
  RunCorpus("cloudtrail_log", fuzz::FuzzCloudTrailLog);
}
TEST(FuzzCorpus, CloudTrailEvent) {
  RunCorpus("cloudtrail_event", fuzz::FuzzCloudTrailEvent);
}
TEST(FuzzCorpus, S3Notification) {
  RunCorpus("s3_notification", fuzz::FuzzS3Notification);
}
TEST(FuzzCorpus, AccessLog) {
  RunCorpus("access_log", fuzz::FuzzAccessLog);
}
TEST(FuzzCorpus, Gzip) {
  RunCorpus("gzip", fuzz::FuzzGzip);
}

}  // namespace
}  // namespace thaw::events
