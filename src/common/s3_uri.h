// `s3://bucket/key-or-prefix` as users type it on the command line.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace thaw {

struct S3Uri {
  std::string bucket;
  std::string key;  // may be empty (whole bucket) or a prefix; never URL-encoded

  std::string ToString() const { return "s3://" + bucket + (key.empty() ? "" : "/" + key); }
};

// Parses "s3://bucket", "s3://bucket/", "s3://bucket/a/b". The key is taken verbatim (S3 keys
// may contain any character, including spaces, '%' and '+').
Result<S3Uri> ParseS3Uri(std::string_view text);

}  // namespace thaw
