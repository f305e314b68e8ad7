// Internal to the s3 module: bucket region discovery as botocore's S3RegionRedirectorv2 does it.
// S3 answers a request for a bucket of another region than the one it was signed for (or sent to)
// with 301 PermanentRedirect, 400 AuthorizationHeaderMalformed naming the <Region>, a bare 400 or
// 301 to HEAD, or 307 TemporaryRedirect; the client learns the region, re-signs, retries once and
// remembers the region for the bucket.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "s3/http.h"

namespace thaw::s3::internal {

struct RegionAnswer {
  // The answer is one of S3's wrong-region answers (botocore's rules: 301/302/307 of any
  // operation, PermanentRedirect, AuthorizationHeaderMalformed with a Region,
  // IllegalLocationConstraintException outside CreateBucket, 301/400 to HeadObject, 301/400 to
  // HeadBucket with x-amz-bucket-region).
  bool wrong_region = false;
  bool temporary = false;  // 307: DNS not yet settled; worth one retry even in the same region
  // The bucket's region when the answer names it (x-amz-bucket-region, then the error's
  // <Region>); "" : ask HeadBucket, whose answers always carry x-amz-bucket-region.
  std::string region;
};

// Classifies an answer with status >= 300 to `operation` ("HeadObject", "CreateBucket", ...).
RegionAnswer ClassifyRegionAnswer(const HttpResponse& response, std::string_view operation);

// Regions learnt per bucket, for the life of the client. Thread-safe.
class BucketRegionCache {
 public:
  std::optional<std::string> Get(const std::string& bucket) const;
  void Put(const std::string& bucket, const std::string& region);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> regions_;  // guarded by mu_
};

}  // namespace thaw::s3::internal
