// Bucket region discovery against a fake S3 that answers as AWS does for a bucket in eu-west-1:
// 301 PermanentRedirect, 400 AuthorizationHeaderMalformed with <Region>, a bare 400 to HEAD
// (then HeadBucket says where), 307 TemporaryRedirect. The client learns the region, re-signs,
// retries once and remembers the region per bucket, for every operation.
#include "s3/internal/region_redirect.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/clock.h"
#include "s3/client.h"
#include "s3/error.h"
#include "support/http_test_server.h"

namespace thaw::s3 {
namespace {

using thaw::testing::HttpTestServer;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

// The region of the request's SigV4 credential scope.
std::string SignedRegion(const TestRequest& req) {
  std::string a = req.Header("authorization");
  size_t at = a.find("Credential=");
  if (at == std::string::npos) return "";
  std::string scope = a.substr(at + 11, a.find(',', at) - at - 11);
  size_t first = scope.find('/'), second = scope.find('/', first + 1);
  return scope.substr(second + 1, scope.find('/', second + 1) - second - 1);
}

std::string ErrorXml(const std::string& code, const std::string& extra = "") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
         "</Code><Message>m</Message>" + extra + "<RequestId>R</RequestId></Error>";
}

enum class Style { kPermanentRedirect, kMalformedAuth, kTemporaryRedirect };

// An S3 whose every bucket lives in eu-west-1 and that answers everything signed for it.
TestResponse AwsLike(const TestRequest& req, Style style) {
  if (SignedRegion(req) == "eu-west-1") {
    TestResponse ok;
    if (req.target.find("?uploads") != std::string::npos) {
      ok.body =
          "<InitiateMultipartUploadResult><UploadId>U1</UploadId></InitiateMultipartUploadResult>";
    } else if (req.target.find("uploadId=") != std::string::npos && req.method == "POST") {
      ok.body =
          "<CompleteMultipartUploadResult><ETag>\"m-1\"</ETag></CompleteMultipartUploadResult>";
    } else if (req.target.find("list-type=2") != std::string::npos) {
      ok.body =
          "<ListBucketResult><Name>b</Name><KeyCount>0</KeyCount>"
          "<IsTruncated>false</IsTruncated></ListBucketResult>";
    } else if (req.target.find("?restore") != std::string::npos) {
      ok.status = 202;
    } else if (req.method == "DELETE") {
      ok.status = 204;
    }
    ok.headers = {{"ETag", "\"e\""}, {"x-amz-bucket-region", "eu-west-1"}};
    if (req.method == "GET" && ok.body.empty()) ok.body = "data";
    return ok;
  }
  bool head = req.method == "HEAD";
  bool head_bucket = head && req.target.find('/', 1) == std::string::npos;
  TestResponse r;
  switch (style) {
    case Style::kPermanentRedirect:
      r.status = 301;
      r.headers = {{"x-amz-bucket-region", "eu-west-1"}};
      if (!head) r.body = ErrorXml("PermanentRedirect", "<Endpoint>b.s3.eu-west-1</Endpoint>");
      return r;
    case Style::kMalformedAuth:
      // HEAD: no body, and only HeadBucket names the region (as AWS does).
      r.status = 400;
      if (head_bucket) r.headers = {{"x-amz-bucket-region", "eu-west-1"}};
      if (!head) r.body = ErrorXml("AuthorizationHeaderMalformed", "<Region>eu-west-1</Region>");
      return r;
    case Style::kTemporaryRedirect:
      r.status = 307;
      r.headers = {{"Location", "http://elsewhere/"}};
      if (!head) r.body = ErrorXml("TemporaryRedirect", "<Endpoint>b.s3-eu-west-1</Endpoint>");
      return r;
  }
  return r;
}

class RegionDiscovery : public ::testing::Test {
 protected:
  std::unique_ptr<S3Client> Client(HttpTestServer& server, const std::string& payer = "") {
    ClientConfig config;
    config.region = "us-east-1";
    config.endpoint_url = server.url();
    config.force_path_style = true;
    config.request_payer = payer;
    config.transport.stall_timeout = std::chrono::milliseconds(2000);
    Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "test"};
    return MakeHttpClient(config, MakeStaticProvider(creds), clock_);
  }
  FakeClock clock_{FakeClock::TimePoint(std::chrono::seconds(1700000000)), /*auto_advance=*/true};
};

TEST_F(RegionDiscovery, PermanentRedirectIsFollowedOnceAndRemembered) {
  HttpTestServer server([](const TestRequest& r) { return AwsLike(r, Style::kPermanentRedirect); });
  auto client = Client(server);
  auto got = client->GetObject({"b", "k", "", ByteRange{0, 3}, "", nullptr});
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->body, "data");
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(SignedRegion(seen[0]), "us-east-1");
  EXPECT_EQ(SignedRegion(seen[1]), "eu-west-1");
  EXPECT_EQ(seen[1].Header("range"), "bytes=0-3");
  // The next call of any kind goes straight to eu-west-1.
  ASSERT_TRUE(client->HeadObject({"b", "other", ""}).ok());
  seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(SignedRegion(seen[2]), "eu-west-1");
}

TEST_F(RegionDiscovery, MalformedAuthorizationNamesTheRegion) {
  HttpTestServer server([](const TestRequest& r) { return AwsLike(r, Style::kMalformedAuth); });
  auto client = Client(server);
  auto list = client->ListObjectsV2({"b", "p/", "/", "", "", 1000, "RestoreStatus"});
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(server.request_count(), 2);
}

TEST_F(RegionDiscovery, BareHeadAnswerAsksHeadBucket) {
  HttpTestServer server([](const TestRequest& r) { return AwsLike(r, Style::kMalformedAuth); });
  auto client = Client(server);
  auto head = client->HeadObject({"b", "k", ""});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].method + " " + seen[0].target, "HEAD /b/k");
  EXPECT_EQ(seen[1].method + " " + seen[1].target, "HEAD /b");
  EXPECT_EQ(seen[2].method + " " + seen[2].target, "HEAD /b/k");
  EXPECT_EQ(SignedRegion(seen[2]), "eu-west-1");
}

TEST_F(RegionDiscovery, TemporaryRedirectRetriesOnceThenSucceeds) {
  int calls = 0;
  HttpTestServer server([&](const TestRequest& r) {
    // DNS of a new bucket not settled yet: the first answer is 307 whatever the signature, and
    // HeadBucket says the region.
    if (++calls == 1) return AwsLike(r, Style::kTemporaryRedirect);
    if (r.method == "HEAD") {
      TestResponse ok;
      ok.headers = {{"x-amz-bucket-region", "eu-west-1"}};
      return ok;
    }
    return AwsLike(r, Style::kPermanentRedirect);
  });
  auto client = Client(server);
  PutObjectRequest put;
  put.bucket = "b";
  put.key = "k";
  put.body = HttpBody::FromString("hello");
  auto r = client->PutObject(put);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);  // PUT 307, HEAD bucket, PUT signed for eu-west-1
  EXPECT_EQ(seen[2].body, "hello");
  EXPECT_EQ(SignedRegion(seen[2]), "eu-west-1");
}

TEST_F(RegionDiscovery, RedirectsOnlyOnce) {
  HttpTestServer server([](const TestRequest&) {
    TestResponse r;
    r.status = 301;
    r.headers = {{"x-amz-bucket-region", "eu-west-1"}};
    r.body = ErrorXml("PermanentRedirect");
    return r;
  });
  auto client = Client(server);
  auto got = client->GetObject({"b", "k", "", std::nullopt, "", nullptr});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(S3ErrorCode(got.status()), "PermanentRedirect");
  EXPECT_EQ(server.request_count(), 2);
}

TEST_F(RegionDiscovery, AnOrdinary400IsNotARedirect) {
  // GET: a 400 without <Region> is the answer itself.
  HttpTestServer server([](const TestRequest& r) {
    if (r.method == "HEAD" && r.target == "/b") {  // HeadBucket: the region we asked for
      TestResponse ok;
      ok.headers = {{"x-amz-bucket-region", "us-east-1"}};
      return ok;
    }
    return TestResponse::Status(400, r.method == "HEAD" ? "" : ErrorXml("InvalidArgument"));
  });
  auto client = Client(server);
  EXPECT_FALSE(client->GetObject({"b", "k", "", std::nullopt, "", nullptr}).ok());
  EXPECT_EQ(server.request_count(), 1);
  // HEAD: a bare 400 is asked about once (HeadBucket); the same region means a real 400.
  EXPECT_FALSE(client->HeadObject({"b", "k", ""}).ok());
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 3u);  // GET, HEAD /b/k, HEAD /b and no second HEAD /b/k
  EXPECT_EQ(seen[1].target, "/b/k");
  EXPECT_EQ(seen[2].target, "/b");
}

TEST_F(RegionDiscovery, EveryOperationFindsTheRegion) {
  HttpTestServer server([](const TestRequest& r) { return AwsLike(r, Style::kPermanentRedirect); });
  // A fresh client per operation, so each one meets the redirect itself.
  auto expect_two = [&](const char* what, const Status& s, int before) {
    EXPECT_TRUE(s.ok()) << what << ": " << s.ToString();
    EXPECT_EQ(server.request_count() - before, 2) << what;
  };
  int n = server.request_count();
  expect_two("ListObjectsV2",
             Client(server)->ListObjectsV2({"b", "", "", "", "", 10, "RestoreStatus"}).status(), n);
  n = server.request_count();
  expect_two("HeadObject", Client(server)->HeadObject({"b", "k", ""}).status(), n);
  n = server.request_count();
  expect_two("GetObject",
             Client(server)->GetObject({"b", "k", "", ByteRange{5, 9}, "", nullptr}).status(), n);
  n = server.request_count();
  PutObjectRequest put{"b", "k", HttpBody::FromString("x"), "GLACIER", "", {}};
  expect_two("PutObject", Client(server)->PutObject(put).status(), n);
  n = server.request_count();
  expect_two("DeleteObject", Client(server)->DeleteObject("b", "k"), n);
  n = server.request_count();
  RestoreObjectRequest restore;
  restore.bucket = "b";
  restore.key = "k";
  restore.days = 1;
  expect_two("RestoreObject", Client(server)->RestoreObject(restore).status(), n);
  n = server.request_count();
  expect_two("CreateMultipartUpload",
             Client(server)->CreateMultipartUpload({"b", "k", "", "", {}}).status(), n);
  n = server.request_count();
  UploadPartRequest part;
  part.bucket = "b";
  part.key = "k";
  part.upload_id = "U1";
  part.part_number = 1;
  part.body = HttpBody::FromString("part");
  expect_two("UploadPart", Client(server)->UploadPart(part).status(), n);
  n = server.request_count();
  expect_two("CompleteMultipartUpload",
             Client(server)->CompleteMultipartUpload({"b", "k", "U1", {{1, "\"e\""}}}).status(), n);
  n = server.request_count();
  expect_two("AbortMultipartUpload", Client(server)->AbortMultipartUpload("b", "k", "U1"), n);
}

TEST_F(RegionDiscovery, ConcurrentCallersShareWhatWasLearnt) {
  HttpTestServer server([](const TestRequest& r) { return AwsLike(r, Style::kPermanentRedirect); });
  auto client = Client(server);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        if (!client->HeadObject({"b", "k", ""}).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  // 40 calls; at most one redirect per thread that raced the first one.
  EXPECT_LE(server.request_count(), 40 + 8);
}

TEST_F(RegionDiscovery, RequestPayerOnEveryRequestIncludingTheProbe) {
  HttpTestServer server([](const TestRequest& r) { return AwsLike(r, Style::kMalformedAuth); });
  auto client = Client(server, "requester");
  ASSERT_TRUE(client->HeadObject({"b", "k", ""}).ok());
  ASSERT_TRUE(client->GetObject({"b", "k", "", std::nullopt, "", nullptr}).ok());
  for (const TestRequest& r : server.requests()) {
    EXPECT_EQ(r.Header("x-amz-request-payer"), "requester") << r.method << " " << r.target;
    // The header is signed: S3 checks it against the signature.
    EXPECT_NE(r.Header("authorization").find("x-amz-request-payer"), std::string::npos);
  }
}

TEST(ClassifyRegionAnswer, FollowsBotocoreRules) {
  using internal::ClassifyRegionAnswer;
  HttpResponse r;
  r.status = 400;
  r.body = ErrorXml("AuthorizationHeaderMalformed", "<Region>ap-south-1</Region>");
  auto a = ClassifyRegionAnswer(r, "GetObject");
  EXPECT_TRUE(a.wrong_region);
  EXPECT_EQ(a.region, "ap-south-1");
  r.body = ErrorXml("AuthorizationHeaderMalformed");  // no Region: not about regions
  EXPECT_FALSE(ClassifyRegionAnswer(r, "GetObject").wrong_region);
  r.body = ErrorXml("IllegalLocationConstraintException");
  EXPECT_TRUE(ClassifyRegionAnswer(r, "ListObjectsV2").wrong_region);
  EXPECT_FALSE(ClassifyRegionAnswer(r, "CreateBucket").wrong_region);
  r.body.clear();
  EXPECT_TRUE(ClassifyRegionAnswer(r, "HeadObject").wrong_region);
  EXPECT_FALSE(ClassifyRegionAnswer(r, "HeadBucket").wrong_region);  // no header
  r.headers.Set("x-amz-bucket-region", "eu-north-1");
  a = ClassifyRegionAnswer(r, "HeadBucket");
  EXPECT_TRUE(a.wrong_region);
  EXPECT_EQ(a.region, "eu-north-1");
  HttpResponse moved;
  moved.status = 307;
  EXPECT_TRUE(ClassifyRegionAnswer(moved, "PutObject").temporary);
  HttpResponse denied;
  denied.status = 403;
  denied.body = ErrorXml("AccessDenied");
  EXPECT_FALSE(ClassifyRegionAnswer(denied, "GetObject").wrong_region);
}

}  // namespace
}  // namespace thaw::s3
