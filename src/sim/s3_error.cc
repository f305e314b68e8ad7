// S3 error codes, their HTTP statuses and default messages, and the XML error body.
#include "sim/s3_error.h"

#include <map>
#include <memory>

#include "sim/xml_writer.h"

namespace thaw::sim {
namespace {

struct CodeInfo {
  int status;
  const char* message;
};

const std::map<std::string, CodeInfo>& Codes() {
  static const auto* codes = new std::map<std::string, CodeInfo>{
      {"AccessDenied", {403, "Access Denied"}},
      {"BadDigest", {400, "The Content-MD5 you specified did not match what we received."}},
      {"BucketAlreadyExists", {409, "The requested bucket name is not available."}},
      {"BucketAlreadyOwnedByYou",
       {409, "Your previous request to create the named bucket succeeded and you already own it."}},
      {"BucketNotEmpty", {409, "The bucket you tried to delete is not empty"}},
      {"ConditionalRequestConflict",
       {409,
        "A conflicting operation occurred. If using PutObject you can retry the request. If using "
        "multipart upload you should initiate another CreateMultipartUpload request and re-upload "
        "each part."}},
      {"EntityTooSmall",
       {400, "Your proposed upload is smaller than the minimum allowed object size."}},
      {"ExpiredToken", {400, "The provided token has expired."}},
      {"GlacierExpeditedRetrievalNotAvailable",
       {503, "Glacier expedited retrievals are currently not available, please try again later"}},
      {"IncompleteBody",
       {400,
        "You did not provide the number of bytes specified by the Content-Length HTTP header"}},
      {"InternalError", {500, "We encountered an internal error. Please try again."}},
      {"InvalidAccessKeyId",
       {403, "The AWS Access Key Id you provided does not exist in our records."}},
      {"InvalidArgument", {400, "Invalid Argument"}},
      {"InvalidBucketName", {400, "The specified bucket is not valid."}},
      {"InvalidDigest", {400, "The Content-MD5 you specified is not valid."}},
      {"InvalidObjectState", {403, "The operation is not valid for the object's storage class"}},
      {"InvalidPart",
       {400,
        "One or more of the specified parts could not be found. The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag."}},
      {"InvalidPartNumber", {416, "The requested partnumber is not satisfiable"}},
      {"InvalidPartOrder", {400, "The list of parts was not in ascending order."}},
      {"InvalidRange", {416, "The requested range is not satisfiable"}},
      {"InvalidRequest", {400, "Invalid Request"}},
      {"InvalidStorageClass", {400, "The storage class you specified is not valid"}},
      {"InvalidToken", {400, "The provided token is malformed or otherwise invalid."}},
      {"MalformedXML",
       {400,
        "The XML you provided was not well-formed or did not validate against our published "
        "schema"}},
      {"MaxMessageLengthExceeded", {400, "Your request was too big."}},
      {"MethodNotAllowed", {405, "The specified method is not allowed against this resource."}},
      {"MissingContentLength", {411, "You must provide the Content-Length HTTP header."}},
      {"NoSuchBucket", {404, "The specified bucket does not exist"}},
      {"NoSuchKey", {404, "The specified key does not exist."}},
      {"NoSuchLifecycleConfiguration", {404, "The lifecycle configuration does not exist"}},
      {"NoSuchVersion", {404, "The specified version does not exist."}},
      {"NoSuchUpload",
       {404,
        "The specified upload does not exist. The upload ID may be invalid, or the upload "
        "may have been aborted or completed."}},
      {"NotImplemented",
       {501, "A header you provided implies functionality that is not implemented"}},
      {"PreconditionFailed",
       {412, "At least one of the pre-conditions you specified did not hold"}},
      {"RequestTimeTooSkewed",
       {403, "The difference between the request time and the current time is too large."}},
      {"RequestTimeout",
       {400,
        "Your socket connection to the server was not read from or written to within the timeout "
        "period."}},
      {"RequestHeaderSectionTooLarge",
       {400, "Your request header section exceeds the maximum allowed size."}},
      {"RestoreAlreadyInProgress", {409, "Object restore is already in progress"}},
      {"ServiceUnavailable", {503, "Service is unable to handle request."}},
      {"SignatureDoesNotMatch",
       {403,
        "The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method."}},
      {"SlowDown", {503, "Please reduce your request rate."}},
      {"XAmzContentSHA256Mismatch",
       {400, "The provided 'x-amz-content-sha256' header does not match what was computed."}},
      {"AuthorizationHeaderMalformed", {400, "The authorization header is malformed."}},
      {"AuthorizationQueryParametersError", {400, "Query-string authentication is malformed."}},
      {"PermanentRedirect",
       {301,
        "The bucket you are attempting to access must be addressed using the specified endpoint. "
        "Please send all future requests to this endpoint."}},
      {"IllegalLocationConstraintException",
       {400,
        "The unspecified location constraint is incompatible for the region specific endpoint "
        "this request was sent to."}},
      {"InvalidLocationConstraint", {400, "The specified location-constraint is not valid"}},
      {"InvalidObjectName", {400, "The specified object name is not valid."}},
      {"InvalidURI", {400, "Couldn't parse the specified URI."}},
      {"KeyTooLongError", {400, "Your key is too long"}},
      {"NotModified", {304, "Not Modified"}},
      {"ObjectAlreadyInActiveTierError",
       {403, "Restore is not allowed for the object's current storage class"}},
  };
  return *codes;
}

}  // namespace

int HttpStatusForCode(const std::string& code) {
  auto it = Codes().find(code);
  return it == Codes().end() ? 500 : it->second.status;
}

Status S3Err(const std::string& code, std::string message,
             std::vector<std::pair<std::string, std::string>> extra) {
  auto e = std::make_shared<S3Error>();
  auto it = Codes().find(code);
  e->http_status = it == Codes().end() ? 500 : it->second.status;
  e->code = code;
  e->message = !message.empty()      ? std::move(message)
               : it == Codes().end() ? code
                                     : it->second.message;
  e->extra = std::move(extra);
  std::string text = code + ": " + e->message;  // before e is moved from
  return Status(StatusCode::kFailedPrecondition, std::move(text), std::move(e));
}

Status S3ErrWithStatus(int http_status, const std::string& code, std::string message) {
  Status s = S3Err(code, std::move(message));
  auto e = std::make_shared<S3Error>(*s.detail_as<S3Error>());
  e->http_status = http_status;
  std::string text = s.message();
  return Status(s.code(), std::move(text), std::move(e));
}

Status WithErrorHeader(const Status& s, const std::string& name, const std::string& value) {
  auto e = std::make_shared<S3Error>(ToS3Error(s));
  e->headers.emplace_back(name, value);
  std::string text = s.message();
  return Status(s.ok() ? StatusCode::kFailedPrecondition : s.code(), std::move(text), std::move(e));
}

S3Error ToS3Error(const Status& s) {
  if (const S3Error* e = s.detail_as<S3Error>()) return *e;
  S3Error e;
  e.http_status = 500;
  e.code = "InternalError";
  e.message = "We encountered an internal error: " + s.ToString();
  return e;
}

std::string RenderErrorXml(const S3Error& e, const std::string& resource,
                           const std::string& request_id) {
  XmlWriter w;
  w.Open("Error");
  w.Element("Code", e.code);
  w.Element("Message", e.message);
  for (const auto& [name, value] : e.extra) w.Element(name, value);
  w.Element("Resource", resource);
  w.Element("RequestId", request_id);
  w.Close("Error");
  return w.Finish();
}

}  // namespace thaw::sim
