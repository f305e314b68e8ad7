// Parsing of s3:// URIs (see s3_uri.h).
#include "common/s3_uri.h"

#include "common/strings.h"

namespace thaw {

Result<S3Uri> ParseS3Uri(std::string_view text) {
  constexpr std::string_view kScheme = "s3://";
  if (!StartsWith(text, kScheme)) {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not an S3 URI (expected s3://BUCKET[/KEY])");
  }
  std::string_view rest = text.substr(kScheme.size());
  size_t slash = rest.find('/');
  S3Uri uri;
  uri.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) uri.key = std::string(rest.substr(slash + 1));
  if (uri.bucket.empty()) {
    return Status::InvalidArgument("'" + std::string(text) + "' names no bucket");
  }
  if (uri.bucket.size() > 255) return Status::InvalidArgument("bucket name too long");
  for (char c : uri.bucket) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_';
    if (!ok) {
      return Status::InvalidArgument("invalid character in bucket name '" + uri.bucket + "'");
    }
  }
  return uri;
}

}  // namespace thaw
