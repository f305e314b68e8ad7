// S3 errors as the sim answers them. Handlers return a Status whose detail is an S3Error (S3's
// code, HTTP status and any extra elements such as <StorageClass>); the server turns it into S3's
// XML error body with Code, Message, Resource and RequestId. A Status without that detail is an
// internal failure and becomes 500 InternalError.
//
// Thread safety: pure functions and immutable values.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace thaw::sim {

class S3Error : public StatusDetail {
 public:
  int http_status = 500;
  std::string code;
  std::string message;
  // Extra elements of the error body, e.g. {"StorageClass", "GLACIER"}, in order.
  std::vector<std::pair<std::string, std::string>> extra;
  // Response headers that come with the error (e.g. x-amz-bucket-region on a redirect).
  std::vector<std::pair<std::string, std::string>> headers;
};

// The HTTP status S3 uses for `code` (500 for codes it does not know).
int HttpStatusForCode(const std::string& code);

// A Status carrying an S3Error. `message` defaults to S3's usual text for the code.
Status S3Err(const std::string& code, std::string message = "",
             std::vector<std::pair<std::string, std::string>> extra = {});
// Same with an explicit HTTP status (for codes whose status depends on context).
Status S3ErrWithStatus(int http_status, const std::string& code, std::string message = "");

// A copy of the S3 error `s` that also sends header `name: value`.
Status WithErrorHeader(const Status& s, const std::string& name, const std::string& value);

// The S3Error of `s`, or an InternalError built from its message.
S3Error ToS3Error(const Status& s);

// <Error><Code>..</Code><Message>..</Message>[extra]<Resource>..</Resource>
// <RequestId>..</RequestId></Error>
std::string RenderErrorXml(const S3Error& e, const std::string& resource,
                           const std::string& request_id);

}  // namespace thaw::sim
