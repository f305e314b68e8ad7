// Crash safety of `thaw restore`: the real binary is killed with SIGKILL at random moments of
// a 2,000-object restore against moto and restarted with the same --state-dir, several times,
// then run to the end. moto's request log then proves the journal's promise: every archived
// object got exactly one RestoreObject, answered 202, and no readable object got any. (moto
// completes restores at once, so a duplicate would show as a second POST answered 200.)
// Before each restart the test waits until moto has answered everything the killed process
// sent (its connections closed): a request still queued in a slow moto would otherwise look
// to the restarted process like one that never arrived, whatever the resend grace.
// Days is 3: a restored copy expiring within the engine's renew margin (24 h) is restored again
// on purpose, and moto's expiry for Days=1 is exactly 24 h away.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <random>
#include <thread>

#include "integration/moto_client.h"
#include "integration/thaw_cli.h"
#include "support/process.h"

namespace thaw::testing {
namespace {

constexpr int kArchived = 2000;
constexpr int kReadable = 100;
constexpr int kKills = 6;

class RestoreCrashTest : public MotoTest {};

TEST_F(RestoreCrashTest, KilledAndRestartedRestoreSendsEachObjectExactlyOnce) {
  int rc = 0;
  std::string out = RunBoto3(
      moto_->endpoint(),
      "import concurrent.futures as cf\n"
      "c = boto3.client('s3', endpoint_url=s3.meta.endpoint_url, region_name='us-east-1',\n"
      "    aws_access_key_id='testing', aws_secret_access_key='testing',\n"
      "    config=Config(s3={'addressing_style': 'path'}, max_pool_connections=16))\n"
      "c.create_bucket(Bucket='crashbkt')\n"
      "def put(i):\n"
      "    cls = 'GLACIER' if i < " +
          std::to_string(kArchived) +
          " else 'STANDARD'\n"
          "    c.put_object(Bucket='crashbkt', Key='k/%05d' % i, Body=b'x', StorageClass=cls)\n"
          "with cf.ThreadPoolExecutor(8) as ex: list(ex.map(put, range(" +
          std::to_string(kArchived + kReadable) + ")))\n",
      &rc);
  ASSERT_EQ(rc, 0) << out;

  TempDir home;
  std::string state = home.path() + "/state";
  std::vector<std::string> argv = {ThawBinary(),
                                   "restore",
                                   "s3://crashbkt/k",
                                   "--recursive",
                                   "--tier",
                                   "Bulk",
                                   "--days",
                                   "3",
                                   "--state-dir",
                                   state,
                                   "--endpoint-url",
                                   moto_->endpoint(),
                                   "--quiet",
                                   "--max-rate",
                                   "0"};
  std::map<std::string, std::string> env = {
      {"AWS_ACCESS_KEY_ID", "testing"},      {"AWS_SECRET_ACCESS_KEY", "testing"},
      {"AWS_CONFIG_FILE", "/nonexistent"},   {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"},
      {"AWS_EC2_METADATA_DISABLED", "true"}, {"HOME", home.path()}};
  unsigned seed =
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> delay_ms(300, 3000);
  int killed_mid_run = 0;
  for (int i = 0; i < kKills; ++i) {
    ChildProcess thaw(argv, env, home.path() + "/run" + std::to_string(i) + ".log");
    int ms = delay_ms(rng);
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    if (thaw.running()) {
      thaw.Kill(SIGKILL);
      ++killed_mid_run;
    }
    // The dead process may have sent requests moto has not handled yet (under load moto can
    // take longer than the engine's resend grace). The next run must start from what moto
    // did with them: wait until moto has closed every connection of the dead process, which it
    // does only once it answered (and logged) the request under way on it.
    ASSERT_TRUE(WaitForServerConnectionsClosed(moto_->port(), 120000))
        << "moto still holds connections of the killed thaw after 120 s";
    // A connection the dead process reset is gone at once, whether or not moto's thread has
    // finished the request read from it: also wait until moto's log has stopped growing.
    int sent = TotalCalls(MotoRestoreCalls(moto_->log_path()));
    for (int settled = 0; settled < 120; ++settled) {
      std::this_thread::sleep_for(std::chrono::seconds(2));
      int now = TotalCalls(MotoRestoreCalls(moto_->log_path()));
      if (now == sent) break;
      sent = now;
    }
    std::cerr << "kill " << i << " after " << ms << " ms: " << sent << " restores sent so far\n";
  }
  EXPECT_GE(killed_mid_run, kKills - 1) << "seed " << seed;

  ThawRun last = RunThaw(
      "restore s3://crashbkt/k --recursive --tier Bulk --days 3 --quiet --max-rate 0 --json "
      "--state-dir " +
          state,
      moto_->endpoint(), home.path());
  ASSERT_EQ(last.rc, 0) << last.err << "\nseed " << seed;
  nlohmann::json j = last.Json();
  EXPECT_EQ(j["failed"], 0) << last.out;
  EXPECT_EQ(j["archived"], kArchived);

  auto calls = MotoRestoreCalls(moto_->log_path());
  int exactly_once = 0;
  for (int i = 0; i < kArchived + kReadable; ++i) {
    char path[64];
    std::snprintf(path, sizeof path, "/crashbkt/k/%05d", i);
    auto it = calls.find(path);
    if (i >= kArchived) {
      EXPECT_TRUE(it == calls.end()) << path << " is readable but got a RestoreObject";
      continue;
    }
    ASSERT_TRUE(it != calls.end()) << path << " never got a RestoreObject; seed " << seed;
    int accepted = it->second.count(202) ? it->second.at(202) : 0;
    int total = 0;
    for (const auto& [status, n] : it->second) total += n;
    EXPECT_EQ(accepted, 1) << path << "; seed " << seed;
    EXPECT_EQ(total, 1) << path << " got " << total << " RestoreObject calls; seed " << seed;
    if (accepted == 1 && total == 1) ++exactly_once;
  }
  EXPECT_EQ(exactly_once, kArchived) << "seed " << seed;
  EXPECT_EQ(calls.size(), static_cast<size_t>(kArchived));
}

}  // namespace
}  // namespace thaw::testing
