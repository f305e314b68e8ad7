// Wrong-region answers and the per-bucket region cache (see internal/region_redirect.h).
#include "s3/internal/region_redirect.h"

#include <pugixml.hpp>

#include "common/strings.h"
#include "s3/xml.h"

namespace thaw::s3::internal {
namespace {

// The <Region> element of an S3 error document ("" when none).
std::string ErrorRegion(const std::string& body) {
  pugi::xml_document doc;
  if (body.empty() || !doc.load_buffer(body.data(), body.size())) return "";
  return std::string(Trim(doc.child("Error").child_value("Region")));
}

}  // namespace

RegionAnswer ClassifyRegionAnswer(const HttpResponse& response, std::string_view operation) {
  RegionAnswer a;
  const int status = response.status;
  std::string header_region(Trim(response.headers.Get("x-amz-bucket-region")));
  std::optional<ErrorBody> error = ParseErrorBody(response.body);
  std::string code = error ? error->code : "";
  std::string body_region = ErrorRegion(response.body);

  bool head_object = operation == "HeadObject" && (status == 301 || status == 400);
  bool head_bucket =
      operation == "HeadBucket" && (status == 301 || status == 400) && !header_region.empty();
  bool wrong_signing_region = code == "AuthorizationHeaderMalformed" && !body_region.empty();
  bool redirect_status = status == 301 || status == 302 || status == 307;
  bool permanent_redirect = code == "PermanentRedirect";
  bool opt_in_region = code == "IllegalLocationConstraintException" && operation != "CreateBucket";
  a.wrong_region = head_object || head_bucket || wrong_signing_region || redirect_status ||
                   permanent_redirect || opt_in_region;
  a.temporary = status == 307;
  a.region = !header_region.empty() ? header_region : body_region;
  return a;
}

std::optional<std::string> BucketRegionCache::Get(const std::string& bucket) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = regions_.find(bucket);
  if (it == regions_.end()) return std::nullopt;
  return it->second;
}

void BucketRegionCache::Put(const std::string& bucket, const std::string& region) {
  std::lock_guard<std::mutex> lock(mu_);
  regions_[bucket] = region;
}

}  // namespace thaw::s3::internal
