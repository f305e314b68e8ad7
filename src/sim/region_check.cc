// Buckets live in regions: what S3 answers a request signed for another region than its bucket's,
// and which region a CreateBucket asks for. thaw's client, boto3 and the aws CLI learn a bucket's
// region from these answers (botocore's S3RegionRedirector), so they are S3's own.
//
// The sim is one endpoint for every region. A request signed for the bucket's region is taken as
// having reached that region's endpoint: that is how a client with a custom endpoint_url recovers
// (botocore re-signs for the learnt region and sends to the same endpoint). Any other signed
// request reached the endpoint it was addressed to: path style (Host is the sim's address) is the
// endpoint of the sim's own region (--region); virtual-hosted style (Host BUCKET.localhost) is the
// bucket's own region, as the DNS name BUCKET.s3.amazonaws.com leads to it.
//
// S = the region of the request's SigV4 credential scope, B = the bucket's, E = the sim's.
//
//   request reached         | request         | answer when S != B
//   ----------------------- | --------------- | -------------------------------------------------
//   another region's        | GET PUT POST    | 301 PermanentRedirect with <Endpoint> (the Host
//   endpoint (path style    | DELETE, signed  | the request was sent to: the sim serves every
//   and B != E)             | or presigned    | region there) and <Bucket>; x-amz-bucket-region: B
//                           | HEAD            | 301, no body, x-amz-bucket-region: B
//   the bucket's region     | header-signed   | 400 AuthorizationHeaderMalformed "the region 'S' is
//   (virtual-hosted, or     |                 | wrong; expecting 'B'" with <Region>B</Region>
//   path style and B == E)  | presigned       | 400 AuthorizationQueryParametersError "Error
//                           |                 | parsing the X-Amz-Credential parameter; the region
//                           |                 | 'S' is wrong; expecting 'B'" with
//                           <Region>B</Region> | HeadBucket      | 400, no body,
//                           x-amz-bucket-region: B | HeadObject      | 400, no body and no region
//                           header (S3 sends none; |                 | botocore then asks
//                           HeadBucket)
//
// Not checked: GetBucketLocation (S3 answers it from any region: it is how a region is learnt),
// ListBuckets (no bucket), the admin endpoint, and requests without a SigV4 scope (unsigned, or
// SigV2): they name no region a client could correct, so a client of the sim's single endpoint
// could never satisfy a redirect (S3 redirects them by endpoint; see docs/regions.md).
//
// CreateBucket (region R = S, or E when unsigned; L = LocationConstraint of the body):
//   L = "us-east-1"                 400 InvalidLocationConstraint (S3 wants no constraint there)
//   L not a region name             400 InvalidLocationConstraint
//   (L, or us-east-1 when none) != R  400 IllegalLocationConstraintException ("The L location
//                                   constraint is incompatible for the region specific endpoint
//                                   this request was sent to.", or "The unspecified ...")
//   the bucket exists, in us-east-1, and R = us-east-1: 200 (S3's legacy answer in N. Virginia);
//   the bucket exists otherwise:   409 BucketAlreadyOwnedByYou.
// "EU", S3's legacy name of eu-west-1, is accepted as eu-west-1.
#include <pugixml.hpp>

#include "common/strings.h"
#include "sim/s3_error.h"
#include "sim/service.h"

namespace thaw::sim {
namespace {

// The region of the SigV4 credential scope (Credential=KEY/DATE/REGION/SERVICE/aws4_request), in
// the Authorization header or the presigned X-Amz-Credential; "" when the request has none.
std::string ScopeRegion(const Request& req) {
  std::string credential;
  std::string authz = req.headers.Get("Authorization");
  if (StartsWith(Trim(authz), "AWS4-HMAC-SHA256")) {
    size_t at = authz.find("Credential=");
    if (at == std::string::npos) return "";
    credential = authz.substr(at + 11);
    credential = credential.substr(0, credential.find(','));
  } else if (authz.empty()) {
    credential = req.Query("X-Amz-Credential");
  }
  std::vector<std::string> parts = Split(Trim(credential), '/');
  return parts.size() == 5 ? parts[2] : "";
}

bool Presigned(const Request& req) {
  return !req.headers.Has("Authorization") && req.HasQuery("X-Amz-Credential");
}

// A name of the form S3 gives regions: lower-case words and a number, dash-separated
// (us-east-1, ap-southeast-4, us-gov-west-1, eusc-de-east-1).
bool IsRegionName(const std::string& r) {
  std::vector<std::string> parts = Split(r, '-');
  if (parts.size() < 3 || r.size() > 32) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty()) return false;
    for (char c : parts[i]) {
      bool digit = c >= '0' && c <= '9';
      bool lower = c >= 'a' && c <= 'z';
      if (i + 1 == parts.size() ? !digit : !lower) return false;
    }
  }
  return true;
}

std::string WrongRegion(const std::string& signed_for, const std::string& bucket_region) {
  return "the region '" + signed_for + "' is wrong; expecting '" + bucket_region + "'";
}

}  // namespace

std::string Service::BucketRegion(const std::string& bucket) {
  auto b = store_.GetBucket(bucket);
  return b.ok() ? b->region : "";
}

Status Service::CheckBucketRegion(const Call& call) {
  const std::string& op = call.route.op;
  if (call.route.bucket.empty() || op == "Admin" || op == "ListBuckets" || op == "CreateBucket" ||
      op == "GetBucketLocation") {
    return Status::Ok();
  }
  std::string signed_for = ScopeRegion(call.req);
  if (signed_for.empty()) return Status::Ok();
  std::string bucket_region = BucketRegion(call.route.bucket);
  if (bucket_region.empty() || bucket_region == signed_for) return Status::Ok();

  bool reached_bucket_region = call.route.virtual_hosted || bucket_region == region_;
  bool head = call.req.method == "HEAD";
  if (!reached_bucket_region) {
    Status redirect =
        S3Err("PermanentRedirect", "",
              {{"Endpoint", call.req.headers.Get("Host")}, {"Bucket", call.route.bucket}});
    return WithErrorHeader(redirect, "x-amz-bucket-region", bucket_region);
  }
  if (head) {
    // HEAD answers have no body to say why; only HeadBucket says where the bucket is.
    Status bad = S3ErrWithStatus(400, "BadRequest", "Bad Request");
    return op == "HeadBucket" ? WithErrorHeader(bad, "x-amz-bucket-region", bucket_region) : bad;
  }
  if (Presigned(call.req)) {
    return S3Err(
        "AuthorizationQueryParametersError",
        "Error parsing the X-Amz-Credential parameter; " + WrongRegion(signed_for, bucket_region),
        {{"Region", bucket_region}});
  }
  return S3Err("AuthorizationHeaderMalformed",
               "The authorization header is malformed; " + WrongRegion(signed_for, bucket_region),
               {{"Region", bucket_region}});
}

Result<std::string> Service::CreateBucketRegion(const Call& call) {
  std::string constraint;
  if (!Trim(call.req.body).empty()) {
    pugi::xml_document doc;
    if (!doc.load_buffer(call.req.body.data(), call.req.body.size())) return S3Err("MalformedXML");
    pugi::xml_node config = doc.child("CreateBucketConfiguration");
    if (!config) return S3Err("MalformedXML");
    constraint = Trim(config.child_value("LocationConstraint"));
  }
  std::string endpoint_region = ScopeRegion(call.req);
  if (endpoint_region.empty()) endpoint_region = region_;
  if (constraint == "EU") constraint = "eu-west-1";
  if (constraint == "us-east-1" || (!constraint.empty() && !IsRegionName(constraint))) {
    return S3Err("InvalidLocationConstraint");
  }
  std::string wanted = constraint.empty() ? "us-east-1" : constraint;
  if (wanted != endpoint_region) {
    return S3Err("IllegalLocationConstraintException",
                 "The " + (constraint.empty() ? std::string("unspecified") : constraint) +
                     " location constraint is incompatible for the region specific endpoint "
                     "this request was sent to.");
  }
  return wanted;
}

}  // namespace thaw::sim
