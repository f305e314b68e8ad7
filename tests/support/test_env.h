// Where tests find things outside themselves: the source tree, the built `thaw`, AWS's SigV4
// suite. ctest sets THAW_* variables (tests/CMakeLists.txt); defaults work from the build dir.
#pragma once

#include <string>

namespace thaw::testing {

std::string SourceDir();      // THAW_SOURCE_DIR
std::string ThawBinary();     // THAW_BINARY
std::string SigV4SuiteDir();  // THAW_SIGV4_SUITE, else SourceDir()/tests/data/sigv4

// A fresh directory under $TMPDIR removed (recursively) by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  // Writes `content` to path()/name (creating parent directories) and returns the full path.
  std::string WriteFile(const std::string& name, const std::string& content) const;

 private:
  std::string path_;
};

// A curl command line (ending in a space) that signs its request for a `thaw sim` started with
// the test credentials (testing/testing), as the sim's /_thaw/ admin paths require. curl 7.88
// signs a body only when told its hash header; UNSIGNED-PAYLOAD is S3's "body not signed".
inline std::string SimAdminCurl() {
  return "curl -sf --aws-sigv4 aws:amz:us-east-1:s3 --user testing:testing "
         "-H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' ";
}

// Runs a shell command, returns its exit code and (optionally) captures stdout.
int RunCommand(const std::string& command, std::string* stdout_text = nullptr);

}  // namespace thaw::testing
