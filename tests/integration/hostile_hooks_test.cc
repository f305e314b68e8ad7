// Completion hooks are where bucket-controlled bytes meet a shell and a file path. The hostile-key
// corpus (tests/support/hostile_keys.h) arrives as S3 restore-completed notifications through
// each command that runs hooks, with moto as S3 and SQS: `thaw serve` (an SQS queue, shell form,
// as an operator would write `--on-restored "echo {path} >> out"`), `thaw scan` (a log directory,
// both forms) and `thaw lambda` (a fake Runtime API, the exec form from THAW_ON_RESTORED_EXEC).
// In every case: no command but the template's runs (each shell-breaking key tries to create a
// canary file), the hook sees the exact key in its argument and in THAW_KEY, and a key that is
// not a plain path below the mapping gets no hook at all, logged and counted.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "integration/moto_client.h"
#include "integration/thaw_cli.h"
#include "s3/sqs_client.h"
#include "support/fake_runtime_api.h"
#include "support/hostile_keys.h"
#include "support/process.h"

namespace thaw::testing {
namespace {

using nlohmann::json;
using Record = std::vector<std::string>;

// S3 event notifications carry keys form-encoded ('+' for a space).
std::string FormEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// One S3 notification with an ObjectRestore:Completed record per key.
std::string Completions(const std::vector<std::string>& keys) {
  json records = json::array();
  int seq = 0;
  for (const auto& k : keys) {
    records.push_back(
        {{"eventVersion", "2.1"},
         {"eventSource", "aws:s3"},
         {"awsRegion", "us-east-1"},
         {"eventTime", "2026-01-01T00:00:00.000Z"},
         {"eventName", "ObjectRestore:Completed"},
         {"s3",
          {{"s3SchemaVersion", "1.0"},
           {"bucket", {{"name", "lab"}, {"arn", "arn:aws:s3:::lab"}}},
           {"object",
            {{"key", FormEncode(k)}, {"size", 1}, {"sequencer", std::to_string(++seq)}}}}},
         {"glacierEventData",
          {{"restoreEventData",
            {{"lifecycleRestorationExpiryTime", "2030-01-01T00:00:00.000Z"},
             {"lifecycleRestoreStorageClass", "GLACIER"}}}}}});
  }
  return json{{"Records", records}}.dump();
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

class HostileHooksTest : public MotoTest {
 protected:
  void SetUp() override {
    MotoTest::SetUp();
    for (const auto& k : HostileKeys(canary_)) {
      std::string key = "data/" + k.name;
      keys_.push_back(key);
      if (k.path_safe) {
        want_.insert({key, key, "/data/" + k.name, "/data/" + k.name});
      } else {
        ++unsafe_;
      }
    }
  }

  // The hook in both forms: arguments {key} and {path}, then THAW_KEY and THAW_PATH.
  std::string ShellHook() const {
    return "printf '%s\\0' {key} \"$THAW_KEY\" {path} \"$THAW_PATH\" >> " + out_;
  }
  std::vector<std::string> ExecHook() const {
    return {"sh",   "-c",    "printf '%s\\0' \"$1\" \"$THAW_KEY\" \"$2\" \"$THAW_PATH\" >> " + out_,
            "hook", "{key}", "{path}"};
  }

  std::map<std::string, std::string> Env() const {
    return {{"AWS_ACCESS_KEY_ID", "testing"},
            {"AWS_SECRET_ACCESS_KEY", "testing"},
            {"AWS_CONFIG_FILE", "/nonexistent"},
            {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"},
            {"AWS_EC2_METADATA_DISABLED", "true"},
            {"HOME", dir_.path()},
            {"AWS_REGION", "us-east-1"}};
  }

  // Runs argv to its end (at most 120 s); returns its exit code.
  int RunToEnd(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& log) {
    ChildProcess p(argv, env, log);
    for (int i = 0; i < 2400 && p.running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    int st = p.Kill(SIGKILL);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }

  void ExpectOnlyTheTemplateRan(const std::string& log) {
    EXPECT_FALSE(std::filesystem::exists(canary_)) << "a key's bytes ran as a command";
    EXPECT_EQ(ReadHookRecords(out_), want_) << "log: " << log;
    std::string text = Slurp(log);
    size_t warned = 0;
    for (size_t p = text.find("hook: not run for"); p != std::string::npos;
         p = text.find("hook: not run for", p + 1)) {
      ++warned;
    }
    EXPECT_EQ(warned, unsafe_) << text;
  }

  TempDir dir_;
  std::string canary_ = dir_.path() + "/canary";
  std::string out_ = dir_.path() + "/hook.out";
  std::string state_ = dir_.path() + "/state";
  std::vector<std::string> keys_;
  std::multiset<Record> want_;
  size_t unsafe_ = 0;
};

TEST_F(HostileHooksTest, ScanRunsBothHookFormsWithKeysAsDataOnly) {
  TempDir logs;
  logs.WriteFile("completed.json", Completions(keys_));
  std::vector<std::string> base = {
      ThawBinary(),      "scan",  logs.path(),           "--state-dir", state_, "--endpoint-url",
      moto_->endpoint(), "--map", "/data=s3://lab/data", "--log-level", "info"};
  std::vector<std::string> shell = base;
  shell.insert(shell.end(), {"--on-restored", ShellHook()});
  std::string log = dir_.path() + "/scan.log";
  ASSERT_EQ(RunToEnd(shell, Env(), log), 0) << Slurp(log);
  ExpectOnlyTheTemplateRan(log);

  // The exec form, on a fresh checkpoint, with options after the hook's ';'.
  std::filesystem::remove(out_);
  std::vector<std::string> exec = {ThawBinary(), "scan", logs.path(), "--on-restored-exec"};
  for (const auto& a : ExecHook()) exec.push_back(a);
  exec.insert(exec.end(), {";", "--state-dir", state_ + "2", "--endpoint-url", moto_->endpoint(),
                           "--map", "/data=s3://lab/data", "--log-level", "info"});
  std::string log2 = dir_.path() + "/scan2.log";
  ASSERT_EQ(RunToEnd(exec, Env(), log2), 0) << Slurp(log2);
  ExpectOnlyTheTemplateRan(log2);
}

TEST_F(HostileHooksTest, ServeRunsTheShellHookWithKeysAsDataOnlyAndCountsUnsafeKeys) {
  s3::SqsConfig config;
  config.endpoint_url = moto_->endpoint();
  auto sqs = s3::MakeSqsClient(config, s3::MakeStaticProvider({"testing", "testing", "", {}, "t"}));
  auto queue = sqs->CreateQueue("thaw-events");
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  // A few keys a message, as S3 batches notification records.
  for (size_t i = 0; i < keys_.size(); i += 4) {
    std::vector<std::string> some(keys_.begin() + i, keys_.begin() + std::min(keys_.size(), i + 4));
    auto sent = sqs->SendMessage({*queue, Completions(some)});
    ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  }
  int metrics_port = FreePort();
  std::string log = dir_.path() + "/serve.log";
  ChildProcess serve({ThawBinary(),
                      "serve",
                      "--queue-url",
                      *queue,
                      "--sqs-endpoint-url",
                      moto_->endpoint(),
                      "--endpoint-url",
                      moto_->endpoint(),
                      "--state-dir",
                      state_,
                      "--wait-time",
                      "1",
                      "--log-level",
                      "info",
                      "--metrics-listen",
                      "127.0.0.1:" + std::to_string(metrics_port),
                      "--map",
                      "/data=s3://lab/data",
                      "--on-restored",
                      ShellHook()},
                     Env(), log);
  ASSERT_TRUE(WaitForPort(metrics_port, 20000)) << Slurp(log);
  std::string metrics;
  for (int i = 0; i < 600; ++i) {
    RunCommand("curl -s http://127.0.0.1:" + std::to_string(metrics_port) + "/metrics", &metrics);
    if (metrics.find("thaw_hooks_run_total " + std::to_string(want_.size()) + "\n") !=
        std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(metrics.find("thaw_hooks_unsafe_keys_total " + std::to_string(unsafe_) + "\n"),
            std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("thaw_hooks_failed_total 0\n"), std::string::npos) << metrics;
  serve.Kill(SIGTERM);
  ExpectOnlyTheTemplateRan(log);
}

TEST_F(HostileHooksTest, LambdaRunsTheExecHookFromItsEnvironmentBeforeAnswering) {
  FakeRuntimeApi api;
  api.Queue("inv-1", Completions(keys_));
  std::map<std::string, std::string> env = Env();
  env.insert({{"AWS_LAMBDA_RUNTIME_API", api.address()},
              {"AWS_ENDPOINT_URL_S3", moto_->endpoint()},
              {"THAW_STATE_DIR", state_},
              {"THAW_ON_RESTORED_EXEC", json(ExecHook()).dump()},
              {"THAW_MAP", "/elsewhere=s3://other/x; /data=s3://lab/data"}});
  std::string log = dir_.path() + "/lambda.log";
  ASSERT_EQ(RunToEnd({ThawBinary(), "lambda", "--max-invocations", "1"}, env, log), 0)
      << Slurp(log);
  auto posts = api.posts();
  ASSERT_NE(api.Find(posts, "inv-1", "response"), nullptr) << Slurp(log);
  ExpectOnlyTheTemplateRan(log);
  // The function's /tmp (its state dir) holds the journal and nothing named after a key.
  for (const auto& e : std::filesystem::recursive_directory_iterator(state_)) {
    std::string name = e.path().filename().string();
    EXPECT_TRUE(name == "journal.db" || name == "journal.db-wal" || name == "journal.db-shm")
        << e.path();
  }
}

TEST_F(HostileHooksTest, BadHookConfigurationIsAClearError) {
  auto run = [&](const std::string& args) {
    return RunThaw("scan " + dir_.path() + " --state-dir " + state_ + " " + args, moto_->endpoint(),
                   dir_.path());
  };
  ThawRun both = run("--on-restored true --on-restored-exec true");
  EXPECT_EQ(both.rc, 2) << both.err;
  EXPECT_NE(both.err.find("not both"), std::string::npos) << both.err;
  ThawRun relative = run("--on-restored 'true {path}' --map data=s3://lab/data");
  EXPECT_NE(relative.rc, 0);
  EXPECT_NE(relative.err.find("absolute"), std::string::npos) << relative.err;
  ThawRun no_map = run("--on-restored-exec echo {path}");
  EXPECT_NE(no_map.rc, 0);
  EXPECT_NE(no_map.err.find("--map"), std::string::npos) << no_map.err;
  EXPECT_FALSE(std::filesystem::exists(state_ + "/journal.db")) << "no partial work";
}

}  // namespace
}  // namespace thaw::testing
