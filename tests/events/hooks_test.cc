// Completion hooks: placeholder expansion with shell quoting and path mapping, commands run and
// retried until they succeed or are given up, a hanging command killed at its timeout, and the
// same object hooked once.
#include "events/hooks.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/test_env.h"

namespace thaw::events {
namespace {

HookOptions Options(std::string command) {
  HookOptions o;
  o.command = std::move(command);
  o.retry_delay = std::chrono::seconds(0);
  o.timeout = std::chrono::seconds(30);
  return o;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(PathMap, Parses) {
  auto m = ParsePathMap("/fsx/data/=s3://bucket/prefix");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->local, "/fsx/data");
  EXPECT_EQ(m->bucket, "bucket");
  EXPECT_EQ(m->prefix, "prefix/");
  EXPECT_FALSE(ParsePathMap("/fsx/data").ok());
  EXPECT_FALSE(ParsePathMap("/fsx=http://x").ok());
}

TEST(HookRunner, ExpandsWithQuotingAndTheLongestMapping) {
  HookOptions o = Options("cmd {bucket} {key} {path}");
  o.maps = {*ParsePathMap("/a=s3://b/x"), *ParsePathMap("/deep=s3://b/x/y")};
  HookRunner runner(o, Clock::Real());
  EXPECT_EQ(runner.Expand({"b", "x/y/it's here", ""}),
            "cmd 'b' 'x/y/it'\\''s here' '/deep/it'\\''s here'");
  EXPECT_EQ(runner.Expand({"b", "x/z", ""}), "cmd 'b' 'x/z' '/a/z'");
  EXPECT_EQ(runner.Expand({"other", "x/z", ""}), std::nullopt);
}

TEST(HookRunner, RunsOncePerObjectAndRetriesFailures) {
  thaw::testing::TempDir dir;
  std::string out = dir.path() + "/out";
  std::string attempts = dir.path() + "/attempts";
  // Fails on the first run of each object, succeeds on the second.
  HookOptions o = Options("echo x >> " + attempts + "; [ $(wc -l < " + attempts +
                          ") -ge 2 ] && echo {key} >> " + out);
  HookRunner runner(o, Clock::Real());
  runner.Enqueue({"b", "k1", ""});
  runner.Enqueue({"b", "k1", ""});  // de-duplicated
  ASSERT_TRUE(runner.WaitIdle(std::chrono::seconds(60)));
  EXPECT_EQ(Slurp(out), "k1\n");
  HookStats s = runner.Stats();
  EXPECT_EQ(s.succeeded, 1u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.queued, 0u);
}

TEST(HookRunner, GivesUpAfterMaxAttemptsAndKillsHangingCommands) {
  HookOptions o = Options("exit 3");
  o.max_attempts = 2;
  HookRunner failing(o, Clock::Real());
  failing.Enqueue({"b", "k", ""});
  ASSERT_TRUE(failing.WaitIdle(std::chrono::seconds(60)));
  EXPECT_EQ(failing.Stats().failed, 2u);
  EXPECT_EQ(failing.Stats().abandoned, 1u);

  HookOptions h = Options("sleep 600");
  h.timeout = std::chrono::seconds(1);
  h.max_attempts = 1;
  HookRunner hanging(h, Clock::Real());
  hanging.Enqueue({"b", "k", ""});
  ASSERT_TRUE(hanging.WaitIdle(std::chrono::seconds(60)));
  EXPECT_EQ(hanging.Stats().abandoned, 1u);
}

TEST(HookRunner, PathCommandSkipsUnmappedObjects) {
  HookOptions o = Options("true {path}");
  o.maps = {*ParsePathMap("/a=s3://b/x")};
  HookRunner runner(o, Clock::Real());
  runner.Enqueue({"c", "k", ""});
  EXPECT_EQ(runner.Stats().skipped, 1u);
  EXPECT_EQ(runner.Stats().queued, 0u);
}

}  // namespace
}  // namespace thaw::events
