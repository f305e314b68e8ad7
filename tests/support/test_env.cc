// Test environment helpers (see test_env.h).
#include "test_env.h"

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace thaw::testing {
namespace fs = std::filesystem;

namespace {
std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::string(v) : fallback;
}
}  // namespace

std::string SourceDir() {
  return EnvOr("THAW_SOURCE_DIR", THAW_SOURCE_DIR_DEFAULT);
}
std::string ThawBinary() {
  return EnvOr("THAW_BINARY", THAW_BINARY_DEFAULT);
}
std::string SigV4SuiteDir() {
  return EnvOr("THAW_SIGV4_SUITE", SourceDir() + "/tests/data/sigv4");
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "thaw-test-XXXXXX").string();
  char* p = mkdtemp(tmpl.data());
  path_ = p ? std::string(p) : tmpl;
}

TempDir::~TempDir() {
  // THAW_TEST_KEEP_TMP=1 keeps every test's files (logs of killed processes, journals) to look
  // at after a failure.
  if (!EnvOr("THAW_TEST_KEEP_TMP", "").empty()) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
}

std::string TempDir::WriteFile(const std::string& name, const std::string& content) const {
  fs::path full = fs::path(path_) / name;
  fs::create_directories(full.parent_path());
  std::ofstream out(full, std::ios::binary);
  out << content;
  return full.string();
}

int RunCommand(const std::string& command, std::string* stdout_text) {
  FILE* f = popen(command.c_str(), "r");
  if (!f) return -1;
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  int rc = pclose(f);
  if (stdout_text) *stdout_text = out;
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace thaw::testing
