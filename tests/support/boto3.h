// Drives boto3 (a client we did not write) from C++ tests: runs Python code with `s3`, a boto3
// S3 client bound to `endpoint` with the test credentials and path-style addressing.
#pragma once

#include <string>

namespace thaw::testing {

// Returns the script's stdout+stderr; sets *rc to its exit code.
std::string RunBoto3(const std::string& endpoint, const std::string& body, int* rc = nullptr);

}  // namespace thaw::testing
