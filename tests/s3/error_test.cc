// Tests for s3/error: which StatusCode each S3 answer becomes, what bodiless answers (HEAD)
// turn into, where the request id comes from, and what the messages say (and never say).
#include "s3/error.h"

#include <gtest/gtest.h>

#include <memory>

namespace thaw::s3 {
namespace {

HttpResponse Response(int status, std::string body = "",
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  for (auto& [name, value] : headers) r.headers.Add(name, value);
  return r;
}

std::string ErrorXml(std::string_view code, std::string_view message = "msg") {
  return R"(<?xml version="1.0" encoding="UTF-8"?>)"
         "\n<Error><Code>" +
         std::string(code) + "</Code><Message>" + std::string(message) +
         "</Message><RequestId>BODYRID</RequestId><HostId>host/id+=</HostId></Error>";
}

struct MappingCase {
  int http_status;
  std::string_view code;
  StatusCode expected;
  bool retryable;
};

TEST(ErrorFromResponse, MapsCodesAndStatuses) {
  const MappingCase cases[] = {
      {404, "NoSuchKey", StatusCode::kNotFound, false},
      {404, "NoSuchBucket", StatusCode::kNotFound, false},
      {404, "NoSuchVersion", StatusCode::kNotFound, false},
      {404, "NoSuchUpload", StatusCode::kNotFound, false},
      {404, "NoSuchLifecycleConfiguration", StatusCode::kNotFound, false},
      {400, "NoSuchVersion", StatusCode::kNotFound, false},  // S3 answers 400 for a bad id
      {403, "InvalidObjectState", StatusCode::kFailedPrecondition, false},
      {400, "ObjectAlreadyInActiveTierError", StatusCode::kFailedPrecondition, false},
      {403, "ObjectAlreadyInActiveTierError", StatusCode::kFailedPrecondition, false},
      {403, "AccessDenied", StatusCode::kPermissionDenied, false},
      {403, "SignatureDoesNotMatch", StatusCode::kPermissionDenied, false},
      {403, "InvalidAccessKeyId", StatusCode::kPermissionDenied, false},
      {400, "ExpiredToken", StatusCode::kPermissionDenied, false},
      {400, "InvalidToken", StatusCode::kPermissionDenied, false},
      {403, "RequestTimeTooSkewed", StatusCode::kPermissionDenied, false},
      {412, "PreconditionFailed", StatusCode::kFailedPrecondition, false},
      {416, "InvalidRange", StatusCode::kOutOfRange, false},
      {409, "RestoreAlreadyInProgress", StatusCode::kAlreadyExists, false},
      {409, "BucketAlreadyOwnedByYou", StatusCode::kAlreadyExists, false},
      {409, "OperationAborted", StatusCode::kAborted, false},
      {409, "BucketNotEmpty", StatusCode::kFailedPrecondition, false},
      {500, "InternalError", StatusCode::kUnavailable, true},
      {503, "SlowDown", StatusCode::kUnavailable, true},
      {503, "ServiceUnavailable", StatusCode::kUnavailable, true},
      {400, "Throttling", StatusCode::kUnavailable, true},
      {400, "ThrottlingException", StatusCode::kUnavailable, true},
      {400, "RequestTimeout", StatusCode::kUnavailable, true},
      {503, "RequestLimitExceeded", StatusCode::kUnavailable, true},
      {429, "TooManyRequestsException", StatusCode::kUnavailable, true},
      {503, "GlacierExpeditedRetrievalNotAvailable", StatusCode::kUnavailable, false},
      {501, "NotImplemented", StatusCode::kUnimplemented, false},
      {400, "InvalidArgument", StatusCode::kInvalidArgument, false},
      {400, "MalformedXML", StatusCode::kInvalidArgument, false},
      {400, "InvalidRequest", StatusCode::kInvalidArgument, false},
      {405, "MethodNotAllowed", StatusCode::kInvalidArgument, false},
      {301, "PermanentRedirect", StatusCode::kInvalidArgument, false},
      {502, "SomethingNew", StatusCode::kUnavailable, true},
      {403, "SomethingNew", StatusCode::kPermissionDenied, false},
      {418, "SomethingNew", StatusCode::kInvalidArgument, false},
  };
  for (const MappingCase& c : cases) {
    Status s = ErrorFromResponse(Response(c.http_status, ErrorXml(c.code)), "Op", "s3://b/k");
    EXPECT_EQ(s.code(), c.expected) << c.http_status << " " << c.code << ": " << s.ToString();
    const S3ErrorDetail* d = GetS3Error(s);
    ASSERT_NE(d, nullptr) << c.code;
    EXPECT_EQ(d->kind, S3ErrorDetail::Kind::kService);
    EXPECT_EQ(d->code, c.code);
    EXPECT_EQ(d->http_status, c.http_status);
    EXPECT_EQ(d->retryable, c.retryable) << c.code;
    EXPECT_EQ(S3ErrorCode(s), c.code);
  }
}

TEST(ErrorFromResponse, BodilessAnswersMapByStatusWithoutACode) {
  const MappingCase cases[] = {
      {404, "", StatusCode::kNotFound, false},
      {403, "", StatusCode::kPermissionDenied, false},
      {400, "", StatusCode::kInvalidArgument, false},
      {412, "", StatusCode::kFailedPrecondition, false},
      {304, "", StatusCode::kFailedPrecondition, false},
      {416, "", StatusCode::kOutOfRange, false},
      {409, "", StatusCode::kAlreadyExists, false},
      {429, "", StatusCode::kUnavailable, true},
      {500, "", StatusCode::kUnavailable, true},
      {503, "", StatusCode::kUnavailable, true},
  };
  for (const MappingCase& c : cases) {
    Status s = ErrorFromResponse(Response(c.http_status), "HeadObject", "s3://b/k");
    EXPECT_EQ(s.code(), c.expected) << c.http_status;
    const S3ErrorDetail* d = GetS3Error(s);
    ASSERT_NE(d, nullptr);
    EXPECT_EQ(d->code, "");
    EXPECT_EQ(d->retryable, c.retryable) << c.http_status;
    EXPECT_NE(s.message().find("no error body"), std::string::npos) << s.message();
  }
}

TEST(ErrorFromResponse, HeadNotFoundMessageSaysWhat) {
  Status s = ErrorFromResponse(Response(404, "", {{"x-amz-request-id", "RID1"}}), "HeadObject",
                               "s3://b/k");
  EXPECT_EQ(s.message(),
            "HeadObject s3://b/k: Not Found (HTTP 404, no error body) [request id RID1]");
  Status f = ErrorFromResponse(Response(403), "HeadObject", "s3://b/k");
  EXPECT_EQ(f.message(), "HeadObject s3://b/k: Forbidden (HTTP 403, no error body)");
}

TEST(ErrorFromResponse, InvalidObjectStateMessageAndDetail) {
  std::string body =
      R"(<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InvalidObjectState</Code><Message>The operation is not valid for the object's storage class</Message><StorageClass>GLACIER</StorageClass><RequestId>BODYRID</RequestId><HostId>h</HostId></Error>)";
  Status s = ErrorFromResponse(
      Response(403, body, {{"X-Amz-Request-Id", "ABC"}, {"x-amz-id-2", "HOSTID2"}}), "HeadObject",
      "s3://b/k");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "HeadObject s3://b/k: InvalidObjectState (HTTP 403): The operation is not valid for "
            "the object's storage class [request id ABC]");
  const S3ErrorDetail* d = GetS3Error(s);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->storage_class, "GLACIER");
  EXPECT_EQ(d->access_tier, "");
  EXPECT_EQ(d->request_id, "ABC");  // the header wins over <RequestId>
  EXPECT_EQ(d->message, "The operation is not valid for the object's storage class");
}

TEST(ErrorFromResponse, AccessTierIsKept) {
  std::string body =
      "<Error><Code>InvalidObjectState</Code><Message>m</Message>"
      "<StorageClass>INTELLIGENT_TIERING</StorageClass><AccessTier>ARCHIVE_ACCESS</AccessTier>"
      "</Error>";
  Status s = ErrorFromResponse(Response(403, body), "GetObject", "r");
  const S3ErrorDetail* d = GetS3Error(s);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->storage_class, "INTELLIGENT_TIERING");
  EXPECT_EQ(d->access_tier, "ARCHIVE_ACCESS");
}

TEST(ErrorFromResponse, RequestIdFromBodyOrMotoHeader) {
  Status body_only = ErrorFromResponse(Response(404, ErrorXml("NoSuchKey")), "GetObject", "r");
  EXPECT_EQ(GetS3Error(body_only)->request_id, "BODYRID");
  EXPECT_NE(body_only.message().find("[request id BODYRID]"), std::string::npos);
  // moto answers with x-amzn-RequestId instead of x-amz-request-id.
  Status moto =
      ErrorFromResponse(Response(404, "", {{"x-amzn-RequestId", "MOTO"}}), "HeadObject", "r");
  EXPECT_EQ(GetS3Error(moto)->request_id, "MOTO");
  Status none = ErrorFromResponse(Response(404), "HeadObject", "r");
  EXPECT_EQ(GetS3Error(none)->request_id, "");
  EXPECT_EQ(none.message().find("request id"), std::string::npos);
}

TEST(ErrorFromResponse, MessagesNeverCarryOtherHeaderValues) {
  Status s = ErrorFromResponse(Response(403, ErrorXml("AccessDenied", "Access Denied"),
                                        {{"x-amz-request-id", "RID"},
                                         {"x-amz-id-2", "SECRET-HOST-ID"},
                                         {"Authorization", "AWS4-HMAC-SHA256 Signature=deadbeef"},
                                         {"x-amz-bucket-region", "eu-west-1"}}),
                               "ListObjectsV2", "s3://b/");
  EXPECT_EQ(s.message(),
            "ListObjectsV2 s3://b/: AccessDenied (HTTP 403): Access Denied "
            "[request id RID]");
  for (std::string_view secret : {"SECRET-HOST-ID", "deadbeef", "eu-west-1", "host/id"}) {
    EXPECT_EQ(s.message().find(secret), std::string::npos) << secret;
  }
}

TEST(ErrorFromResponse, BodyWithoutCodeFallsBackToStatus) {
  Status s = ErrorFromResponse(Response(503, "<Error><Message>busy</Message></Error>"), "GetObject",
                               "s3://b/k");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(GetS3Error(s)->retryable);
  EXPECT_EQ(S3ErrorCode(s), "");
  EXPECT_EQ(GetS3Error(s)->message, "busy");
  EXPECT_NE(s.message().find("busy"), std::string::npos);
}

TEST(ErrorFromResponse, NonXmlBodyIsReportedAsSuch) {
  Status s = ErrorFromResponse(Response(502, "<html><body>Bad Gateway</body></html>"), "GetObject",
                               "s3://b/k");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            "GetObject s3://b/k: Bad Gateway (HTTP 502, body is not an S3 error document)");
  Status t = ErrorFromResponse(Response(500, "<Error><Code>Intern"), "GetObject", "s3://b/k");
  EXPECT_EQ(t.code(), StatusCode::kUnavailable);
  EXPECT_EQ(S3ErrorCode(t), "");
}

TEST(ErrorFromResponse, WithoutResourceTheMessageStartsWithTheOperation) {
  Status s = ErrorFromResponse(Response(403, ErrorXml("AccessDenied", "no")), "ListBuckets", "");
  EXPECT_EQ(s.message(), "ListBuckets: AccessDenied (HTTP 403): no [request id BODYRID]");
}

TEST(ErrorFromResponse, DetailSurvivesWithContext) {
  Status s = ErrorFromResponse(Response(404, ErrorXml("NoSuchKey")), "GetObject", "r")
                 .WithContext("reading file");
  EXPECT_EQ(S3ErrorCode(s), "NoSuchKey");
  EXPECT_TRUE(s.IsNotFound());
}

TEST(GetS3Error, NullForForeignStatuses) {
  EXPECT_EQ(GetS3Error(Status::Ok()), nullptr);
  EXPECT_EQ(GetS3Error(Status::NotFound("x")), nullptr);
  EXPECT_EQ(S3ErrorCode(Status::NotFound("x")), "");
  Status transport(StatusCode::kUnavailable, "reset",
                   std::make_shared<HttpErrorDetail>(HttpErrorDetail::Kind::kReset, true));
  EXPECT_EQ(GetS3Error(transport), nullptr);
}

TEST(NetworkError, KeepsTransportCodeAndRequestSent) {
  Status refused(StatusCode::kUnavailable, "connection refused",
                 std::make_shared<HttpErrorDetail>(HttpErrorDetail::Kind::kConnect, false));
  Status s = NetworkError(refused, "GetObject", "s3://b/k");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "GetObject s3://b/k: network error: connection refused");
  const S3ErrorDetail* d = GetS3Error(s);
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, S3ErrorDetail::Kind::kNetwork);
  EXPECT_EQ(d->http_status, 0);
  EXPECT_TRUE(d->retryable);
  EXPECT_FALSE(d->request_sent);
  EXPECT_EQ(d->code, "");

  Status timeout(StatusCode::kDeadlineExceeded, "stalled for 30 s",
                 std::make_shared<HttpErrorDetail>(HttpErrorDetail::Kind::kTimeout, true));
  Status t = NetworkError(timeout, "PutObject", "s3://b/k");
  EXPECT_EQ(t.code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(GetS3Error(t)->request_sent);
  EXPECT_NE(t.message().find("stalled for 30 s"), std::string::npos);
}

TEST(NetworkError, WithoutTransportDetailAssumesTheRequestWasSent) {
  Status s = NetworkError(Status::Unavailable("weird"), "DeleteObject", "s3://b/k");
  ASSERT_NE(GetS3Error(s), nullptr);
  EXPECT_TRUE(GetS3Error(s)->request_sent);
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
}

TEST(NetworkError, AnOkTransportStatusIsNotTurnedIntoSuccess) {
  Status s = NetworkError(Status::Ok(), "GetObject", "s3://b/k");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace thaw::s3
