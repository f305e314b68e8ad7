// Completion hooks: commands run and retried until they succeed or are given up, a hanging
// command killed at its timeout, the same object hooked once, and a hostile-key corpus run
// through both hook forms: no command but the template's runs, the hook sees the exact key in
// its argument and its environment, and no path leaves the mapping (hook_command_test.cc has the
// expansion rules).
#include "events/hooks.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "support/hostile_keys.h"
#include "support/test_env.h"

namespace thaw::events {
namespace {

HookOptions Options(std::string command) {
  HookOptions o;
  o.command.shell = std::move(command);
  o.retry_delay = std::chrono::seconds(0);
  o.timeout = std::chrono::seconds(30);
  return o;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(HookRunner, RunsOncePerObjectAndRetriesFailures) {
  thaw::testing::TempDir dir;
  std::string out = dir.path() + "/out";
  std::string attempts = dir.path() + "/attempts";
  // Fails on the first run of each object, succeeds on the second.
  HookOptions o = Options("echo x >> " + attempts + "; [ $(wc -l < " + attempts +
                          ") -ge 2 ] && echo {key} >> " + out);
  HookRunner runner(o, Clock::Real());
  runner.Enqueue({{"b", "k1", ""}, ""});
  runner.Enqueue({{"b", "k1", ""}, ""});  // de-duplicated
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
  failing.Enqueue({{"b", "k", ""}, ""});
  ASSERT_TRUE(failing.WaitIdle(std::chrono::seconds(60)));
  EXPECT_EQ(failing.Stats().failed, 2u);
  EXPECT_EQ(failing.Stats().abandoned, 1u);

  HookOptions h = Options("sleep 600");
  h.timeout = std::chrono::seconds(1);
  h.max_attempts = 1;
  HookRunner hanging(h, Clock::Real());
  hanging.Enqueue({{"b", "k", ""}, ""});
  ASSERT_TRUE(hanging.WaitIdle(std::chrono::seconds(60)));
  EXPECT_EQ(hanging.Stats().abandoned, 1u);
}

TEST(HookRunner, PathCommandSkipsUnmappedObjects) {
  HookOptions o = Options("true {path}");
  o.maps = {*ParsePathMap("/a=s3://b/x")};
  HookRunner runner(o, Clock::Real());
  runner.Enqueue({{"c", "k", ""}, ""});
  EXPECT_EQ(runner.Stats().skipped, 1u);
  EXPECT_EQ(runner.Stats().queued, 0u);
}

TEST(HookRunner, UnsafeKeysAreCountedAndNotRun) {
  thaw::testing::TempDir dir;
  HookOptions o = Options("touch " + dir.path() + "/ran");
  o.maps = {*ParsePathMap("/data=s3://b/data")};
  HookRunner runner(o, Clock::Real());
  runner.Enqueue({{"b", "data/../../etc/shadow", ""}, ""});
  ASSERT_TRUE(runner.WaitIdle(std::chrono::seconds(60)));
  EXPECT_EQ(runner.Stats().unsafe, 1u);
  EXPECT_EQ(runner.Stats().queued, 0u);
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/ran"));
}

void RunCorpus(const HookTemplate& tmpl, const std::string& out, const std::string& canary) {
  HookOptions o;
  o.command = tmpl;
  o.maps = {*ParsePathMap("/data=s3://lab/data")};
  o.workers = 1;  // one writer: records cannot interleave
  o.max_attempts = 1;
  HookRunner runner(o, Clock::Real());
  std::multiset<std::vector<std::string>> want;
  uint64_t unsafe = 0;
  for (const auto& k : thaw::testing::HostileKeys(canary)) {
    std::string key = "data/" + k.name;
    runner.Enqueue({{"lab", key, ""}, "GLACIER"});
    if (k.path_safe) {
      want.insert({key, key, "/data/" + k.name, "/data/" + k.name});
    } else {
      ++unsafe;
    }
  }
  ASSERT_TRUE(runner.WaitIdle(std::chrono::seconds(120)));
  EXPECT_EQ(runner.Stats().failed, 0u);
  EXPECT_EQ(runner.Stats().unsafe, unsafe);
  EXPECT_EQ(thaw::testing::ReadHookRecords(out), want);
  EXPECT_FALSE(std::filesystem::exists(canary)) << "a key's bytes ran as a command";
}

TEST(HookRunner, HostileKeysReachTheShellFormOnlyAsData) {
  thaw::testing::TempDir dir;
  std::string out = dir.path() + "/out";
  HookTemplate t;
  t.shell = "printf '%s\\0' {key} \"$THAW_KEY\" {path} \"$THAW_PATH\" >> " + out;
  RunCorpus(t, out, dir.path() + "/canary");
}

TEST(HookRunner, HostileKeysReachTheExecFormOnlyAsData) {
  thaw::testing::TempDir dir;
  std::string out = dir.path() + "/out";
  HookTemplate t;
  t.argv = {"sh",   "-c",    "printf '%s\\0' \"$1\" \"$THAW_KEY\" \"$2\" \"$THAW_PATH\" >> " + out,
            "hook", "{key}", "{path}"};
  RunCorpus(t, out, dir.path() + "/canary");
}

TEST(HookRunner, HookGetsNoInheritedDescriptorsAndNoStdin) {
  thaw::testing::TempDir dir;
  std::string out = dir.path() + "/fds";
  int opened = ::open((dir.path() + "/held").c_str(), O_CREAT | O_WRONLY, 0600);
  int fd = ::fcntl(opened, F_DUPFD, 100);  // not CLOEXEC; far from the fds `ls` opens
  ::close(opened);
  ASSERT_GE(fd, 100);
  HookOptions o = Options("ls /proc/self/fd > " + out + "; read x || echo eof >> " + out);
  HookRunner runner(o, Clock::Real());
  runner.Enqueue({{"b", "k", ""}, ""});
  ASSERT_TRUE(runner.WaitIdle(std::chrono::seconds(60)));
  ::close(fd);
  std::string got = Slurp(out);
  // 0, 1, 2 and the fd `ls` opened for /proc/self/fd (3); never the one held here.
  EXPECT_EQ(got.find("\n" + std::to_string(fd) + "\n"), std::string::npos) << got;
  EXPECT_NE(got.find("eof"), std::string::npos) << "stdin is /dev/null";
}

}  // namespace
}  // namespace thaw::events
