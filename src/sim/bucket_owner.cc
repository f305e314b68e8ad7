// x-amz-expected-bucket-owner: a client names the account it expects to own the bucket, so that
// a request never lands in somebody else's bucket of the same name. The sim has one account (the
// one its STS GetCallerIdentity answers, --account-id), which owns every bucket; any other
// account is 403 AccessDenied, as S3 answers it. A missing bucket stays 404 NoSuchBucket.
#include "common/strings.h"
#include "sim/s3_error.h"
#include "sim/service.h"

namespace thaw::sim {

Status Service::CheckExpectedOwner(const Call& call) {
  auto owned_by_other = [&](const std::string& header, const std::string& bucket) {
    const std::string* expected = call.req.headers.Find(header);
    if (!expected || bucket.empty() || *expected == account_id_) return false;
    return store_.GetBucket(bucket).ok();
  };
  if (owned_by_other("x-amz-expected-bucket-owner", call.route.bucket)) {
    return S3Err("AccessDenied");
  }
  // CopyObject / UploadPartCopy: the source bucket's owner.
  std::string source = call.req.headers.Get("x-amz-copy-source");
  if (!source.empty()) {
    std::string_view s = source;
    if (StartsWith(s, "/")) s.remove_prefix(1);
    std::string bucket(s.substr(0, s.find('/')));
    if (owned_by_other("x-amz-source-expected-bucket-owner", bucket)) {
      return S3Err("AccessDenied");
    }
  }
  return Status::Ok();
}

}  // namespace thaw::sim
