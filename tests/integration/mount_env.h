// What the mount integration tests share: a `thaw sim` on a free port (time-scaled so restores
// take seconds), an S3 client of ours to fill it quickly, optionally a counting proxy
// (restore_proxy.py) in front of it, and a real `thaw mount --foreground` process whose
// destructor always unmounts (lazily) and kills it, so a failing test never leaves a hung mount.
#pragma once

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "s3/client.h"
#include "s3/credentials.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {

inline std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Polls `pred` every 20 ms until it holds or `timeout_ms` passes.
template <typename Pred>
bool PollFor(Pred pred, int timeout_ms) {
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

inline std::map<std::string, std::string> TestAwsEnv(const std::string& home) {
  return {{"AWS_ACCESS_KEY_ID", "testing"},
          {"AWS_SECRET_ACCESS_KEY", "testing"},
          {"AWS_DEFAULT_REGION", "us-east-1"},
          {"AWS_CONFIG_FILE", "/nonexistent"},
          {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"},
          {"AWS_EC2_METADATA_DISABLED", "true"},
          {"HOME", home},
          {"XDG_STATE_HOME", ""},
          {"XDG_CONFIG_HOME", ""}};
}

class SimServer {
 public:
  explicit SimServer(const std::vector<std::string>& extra = {}) {
    log_ = dir_.path() + "/sim.log";
    std::vector<std::string> argv = {
        ThawBinary(),          "sim",          "--listen", "127.0.0.1:0",  "--data-dir",
        dir_.path() + "/data", "--access-key", "testing",  "--secret-key", "testing"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{}, log_);
    PollFor(
        [&] {
          std::string text = ReadAll(log_);
          const std::string marker = "thaw sim listening on ";
          size_t at = text.find(marker);
          if (at == std::string::npos) return false;
          std::string rest = text.substr(at + marker.size());
          endpoint_ = rest.substr(0, rest.find(' '));
          return true;
        },
        20000);
  }
  const std::string& endpoint() const { return endpoint_; }
  std::string Log() const { return ReadAll(log_); }  // one line per request with --log-level debug
  int port() const { return std::stoi(endpoint_.substr(endpoint_.rfind(':') + 1)); }

 private:
  TempDir dir_;
  std::string log_;
  std::string endpoint_;
  std::unique_ptr<ChildProcess> proc_;
};

inline std::unique_ptr<s3::S3Client> MakeTestClient(const std::string& endpoint) {
  s3::ClientConfig config;
  config.endpoint_url = endpoint;
  config.force_path_style = true;
  s3::Credentials creds;
  creds.access_key_id = "testing";
  creds.secret_access_key = "testing";
  return s3::MakeHttpClient(config, s3::MakeStaticProvider(creds));
}

// Random bytes, reproducible by seed.
inline std::string RandomBytes(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  uint64_t x = seed * 6364136223846793005ull + 1442695040888963407ull;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = static_cast<char>(x & 0xff);
  }
  return s;
}

inline void Put(s3::S3Client& client, const std::string& bucket, const std::string& key,
                std::string data, const std::string& storage_class = "") {
  s3::PutObjectRequest put;
  put.bucket = bucket;
  put.key = key;
  put.body = s3::HttpBody::FromString(std::move(data));
  put.storage_class = storage_class;
  auto r = client.PutObject(put);
  ASSERT_TRUE(r.ok()) << key << ": " << r.status().ToString();
}

// `thaw mount URI <tmp mountpoint> --foreground ...` against `endpoint`.
class MountProcess {
 public:
  // `env` is added to (and overrides) TestAwsEnv, e.g. to mount with a profile.
  MountProcess(const std::string& endpoint, const std::string& uri,
               const std::vector<std::string>& extra = {}, const std::string& state_dir = "",
               const std::map<std::string, std::string>& env = {}) {
    mountpoint_ = dir_.path() + "/mnt";
    std::string home = dir_.path() + "/home";
    RunCommand("mkdir -p " + mountpoint_ + " " + home);
    log_ = dir_.path() + "/mount.log";
    std::vector<std::string> argv = {ThawBinary(),
                                     "mount",
                                     uri,
                                     mountpoint_,
                                     "--foreground",
                                     "--endpoint-url",
                                     endpoint,
                                     "--poll-interval",
                                     "1s",
                                     "--state-dir",
                                     state_dir.empty() ? dir_.path() + "/state" : state_dir};
    argv.insert(argv.end(), extra.begin(), extra.end());
    std::map<std::string, std::string> full_env = TestAwsEnv(home);
    for (const auto& [name, value] : env) full_env[name] = value;
    proc_ = std::make_unique<ChildProcess>(argv, full_env, log_);
    mounted_ =
        PollFor(
            [&] {
              return ReadAll(log_).find("mounted s3://") != std::string::npos || !proc_->running();
            },
            30000) &&
        proc_->running();
  }
  ~MountProcess() { Stop(); }

  // Unmounts the way a user would (thaw unmount), falling back to a lazy detach; then makes
  // sure the process is gone. Returns true when `thaw unmount` itself worked.
  bool Stop() {
    if (proc_ == nullptr) return true;
    bool clean = RunCommand(ThawBinary() + " unmount " + mountpoint_ + " 2>/dev/null") == 0;
    if (!clean) umount2(mountpoint_.c_str(), MNT_DETACH);
    if (!PollFor([&] { return !proc_->running(); }, 10000)) proc_->Kill(SIGKILL);
    proc_.reset();
    return clean;
  }
  void Signal(int sig) { ::kill(proc_->pid(), sig); }
  bool running() { return proc_ && proc_->running(); }

  bool mounted() const { return mounted_; }
  const std::string& path() const { return mountpoint_; }
  std::string Log() const { return ReadAll(log_); }
  const std::string& dir() const { return dir_.path(); }

 private:
  TempDir dir_;
  std::string mountpoint_;
  std::string log_;
  bool mounted_ = false;
  std::unique_ptr<ChildProcess> proc_;
};

}  // namespace thaw::testing
