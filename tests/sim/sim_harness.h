// The pieces the sim's process tests share: a running `thaw sim` child process, the aws CLI
// environment, boto3 and Python test scripts (tests/sim/py) run against it.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "support/boto3.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {

// A running `thaw sim` on a free port with the test credentials (testing/testing, as RunBoto3).
class Sim {
 public:
  Sim(const std::string& data_dir, const std::vector<std::string>& extra = {}) {
    static int instance = 0;
    log_ = data_dir + "." + std::to_string(++instance) + ".log";  // never an old banner
    std::vector<std::string> argv = {ThawBinary(),   "sim",     "--data-dir",   data_dir,
                                     "--access-key", "testing", "--secret-key", "testing"};
    // `extra` may choose the address (the listening tests); by default any free loopback port.
    if (std::find(extra.begin(), extra.end(), "--listen") == extra.end()) {
      argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
    }
    argv.insert(argv.end(), extra.begin(), extra.end());
    proc_ = std::make_unique<ChildProcess>(argv, std::map<std::string, std::string>{}, log_);
    for (int i = 0; i < 200 && endpoint_.empty(); ++i) {
      std::ifstream in(log_);
      std::string line;
      while (std::getline(in, line)) {
        const std::string marker = "thaw sim listening on ";
        size_t at = line.find(marker);
        if (at != std::string::npos) {
          std::string rest = line.substr(at + marker.size());
          endpoint_ = rest.substr(0, rest.find(' '));
        }
      }
      if (endpoint_.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  const std::string& endpoint() const { return endpoint_; }
  int port() const { return std::stoi(endpoint_.substr(endpoint_.rfind(':') + 1)); }
  bool running() { return proc_->running(); }
  // SIGTERM; returns the exit code, or 128 + signal when the sim died of a signal (a crash).
  int Stop() {
    int st = proc_->Kill(SIGTERM);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  std::string Log() const {
    std::ifstream in(log_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

 private:
  std::string log_;
  std::string endpoint_;
  std::unique_ptr<ChildProcess> proc_;
};

inline std::string AwsEnv() {
  return "env AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1 "
         "AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent "
         "AWS_EC2_METADATA_DISABLED=true ";
}

inline std::string Boto(const Sim& sim, const std::string& body) {
  int rc = -1;
  std::string out = RunBoto3(sim.endpoint(), body, &rc);
  EXPECT_EQ(rc, 0) << out;
  return out;
}

// Runs tests/sim/py/<script> with the sim's endpoint as first argument; expects exit 0.
inline std::string RunPy(const Sim& sim, const std::string& script, const std::string& args = "") {
  std::string out;
  int rc = RunCommand("python3 " + SourceDir() + "/tests/sim/py/" + script + " " + sim.endpoint() +
                          " " + args + " 2>&1",
                      &out);
  EXPECT_EQ(rc, 0) << out;
  return out;
}

}  // namespace thaw::testing
