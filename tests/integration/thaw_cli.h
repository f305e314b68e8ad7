// Running the real `thaw` binary from integration tests with an isolated environment: static
// test credentials, no shared AWS files, no instance metadata, and HOME pointing at a test
// directory (so no user config or state leaks in). Also moto log helpers for the restore tests.
#pragma once

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "support/test_env.h"

namespace thaw::testing {

struct ThawRun {
  int rc = -1;
  std::string out;
  std::string err;
  nlohmann::json Json() const { return nlohmann::json::parse(out, nullptr, false); }
};

// The environment prefix for a thaw command line (an `env ...` invocation).
inline std::string ThawEnv(const std::string& home) {
  return "env AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
         "AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent "
         "AWS_EC2_METADATA_DISABLED=true XDG_STATE_HOME= XDG_CONFIG_HOME= HOME=" +
         home + " ";
}

// Runs `thaw ARGS --endpoint-url ENDPOINT` with HOME=`home`; stdout and stderr captured.
inline ThawRun RunThaw(const std::string& args, const std::string& endpoint,
                       const std::string& home) {
  TempDir dir;
  std::string err_path = dir.path() + "/stderr";
  std::string cmd = ThawEnv(home) + ThawBinary() + " " + args +
                    (endpoint.empty() ? "" : " --endpoint-url " + endpoint) + " 2>" + err_path;
  ThawRun r;
  r.rc = RunCommand(cmd, &r.out);
  std::ifstream in(err_path);
  r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return r;
}

// Non-empty lines of `text` parsed as JSON.
inline std::vector<nlohmann::json> JsonLines(const std::string& text) {
  std::vector<nlohmann::json> v;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) v.push_back(nlohmann::json::parse(text.substr(start, end - start)));
    start = end + 1;
  }
  return v;
}

// RestoreObject requests in moto's log (werkzeug writes `"POST /bucket/key?restore HTTP/1.1"
// 202 -`), by path and by status: path -> status -> count.
inline std::map<std::string, std::map<int, int>> MotoRestoreCalls(const std::string& log_path) {
  std::map<std::string, std::map<int, int>> calls;
  std::ifstream in(log_path);
  static const std::regex re(R"re("POST (/[^ ?]+)\?restore[^ ]* HTTP/1\.1" (\d+))re");
  std::string line;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_search(line, m, re)) ++calls[m[1]][std::stoi(m[2])];
  }
  return calls;
}

inline int TotalCalls(const std::map<std::string, std::map<int, int>>& calls) {
  int n = 0;
  for (const auto& [path, by_status] : calls) {
    for (const auto& [status, count] : by_status) n += count;
  }
  return n;
}

}  // namespace thaw::testing
