// Requester-pays buckets: PutBucketRequestPayment / GetBucketRequestPayment and S3's refusal of
// a request that does not accept the charges (403 AccessDenied without x-amz-request-payer:
// requester). S3 lets the bucket owner in without the header; the sim has a single identity and
// treats every caller as another account, so that clients' handling of the header is tested.
#include <pugixml.hpp>

#include "common/strings.h"
#include "sim/s3_error.h"
#include "sim/service.h"
#include "sim/xml_writer.h"

namespace thaw::sim {

Result<Response> Service::PutBucketRequestPayment(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  pugi::xml_document doc;
  if (!doc.load_buffer(call.req.body.data(), call.req.body.size())) return S3Err("MalformedXML");
  std::string payer(Trim(doc.child("RequestPaymentConfiguration").child_value("Payer")));
  if (payer != "Requester" && payer != "BucketOwner") return S3Err("MalformedXML");
  {
    std::lock_guard<std::mutex> lock(payer_mu_);
    if (payer == "Requester") {
      requester_pays_.insert(call.route.bucket);
    } else {
      requester_pays_.erase(call.route.bucket);
    }
  }
  return Response{};
}

Result<Response> Service::GetBucketRequestPayment(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  bool requester;
  {
    std::lock_guard<std::mutex> lock(payer_mu_);
    requester = requester_pays_.count(call.route.bucket) > 0;
  }
  XmlWriter w;
  w.Open("RequestPaymentConfiguration", true);
  w.Element("Payer", requester ? "Requester" : "BucketOwner");
  w.Close("RequestPaymentConfiguration");
  Response r;
  r.headers.Set("Content-Type", "application/xml");
  r.body = w.Finish();
  return r;
}

Status Service::CheckRequestPayer(const Call& call) {
  const std::string& op = call.route.op;
  if (call.route.bucket.empty() || op == "Admin" || op == "CreateBucket" ||
      op == "PutBucketRequestPayment" || op == "GetBucketRequestPayment") {
    return Status::Ok();
  }
  {
    std::lock_guard<std::mutex> lock(payer_mu_);
    if (requester_pays_.count(call.route.bucket) == 0) return Status::Ok();
  }
  if (EqualsIgnoreCase(Trim(call.req.headers.Get("x-amz-request-payer")), "requester")) {
    return Status::Ok();
  }
  return S3Err("AccessDenied");
}

void Service::ForgetRequestPayment(const std::string& bucket) {
  std::lock_guard<std::mutex> lock(payer_mu_);
  requester_pays_.erase(bucket);
}

}  // namespace thaw::sim
