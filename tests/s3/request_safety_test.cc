// The S3 client and the HTTP transport against hostile inputs: keys, metadata and ETags are
// chosen by whoever writes to a bucket, so none may split an HTTP message or forge a header.
// Keys past S3's 1,024-byte limit are refused before anything is sent; keys, version ids,
// prefixes and tokens always travel percent-encoded. Runs against a local fake server
// (tests/support/http_test_server) through the real libcurl transport.
#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/strings.h"
#include "s3/client.h"
#include "s3/http.h"
#include "support/http_test_server.h"

namespace thaw::s3 {
namespace {

using thaw::testing::HttpTestServer;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

class RequestSafety : public ::testing::Test {
 protected:
  RequestSafety()
      : server_([](const TestRequest&) {
          TestResponse r;
          r.headers = {{"ETag", "\"e\""}, {"Content-Length", "0"}};
          return r;
        }) {}

  std::unique_ptr<S3Client> Client() {
    ClientConfig config;
    config.endpoint_url = server_.url();
    config.force_path_style = true;
    config.retry.max_attempts = 3;
    Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "test"};
    return MakeHttpClient(config, MakeStaticProvider(creds), clock_);
  }

  FakeClock clock_{FakeClock::TimePoint(std::chrono::seconds(1700000000)), /*auto_advance=*/true};
  HttpTestServer server_;
};

// 1,024 bytes of UTF-8: 341 three-byte characters and one ASCII byte.
std::string KeyOfExactlyMaxBytes() {
  std::string key;
  for (int i = 0; i < 341; ++i) key += "\xE6\x97\xA5";
  key += "x";
  return key;
}

TEST_F(RequestSafety, KeysLongerThan1024BytesAreRefusedBeforeSending) {
  auto client = Client();
  const std::string key = KeyOfExactlyMaxBytes() + "y";  // 1,025 bytes
  ASSERT_EQ(key.size(), 1025u);
  std::vector<std::pair<std::string, Status>> results;
  results.emplace_back("HeadObject", client->HeadObject({"b", key, ""}).status());
  results.emplace_back("GetObject",
                       client->GetObject({"b", key, "", std::nullopt, "", nullptr}).status());
  PutObjectRequest put;
  put.bucket = "b";
  put.key = key;
  put.body = HttpBody::FromString("data");
  results.emplace_back("PutObject", client->PutObject(put).status());
  results.emplace_back("DeleteObject", client->DeleteObject("b", key, ""));
  results.emplace_back("RestoreObject",
                       client->RestoreObject({"b", key, "", RestoreTier::kStandard, 1}).status());
  CreateMultipartUploadRequest create;
  create.bucket = "b";
  create.key = key;
  results.emplace_back("CreateMultipartUpload", client->CreateMultipartUpload(create).status());
  UploadPartRequest part;
  part.bucket = "b";
  part.key = key;
  part.upload_id = "u";
  part.part_number = 1;
  part.body = HttpBody::FromString("p");
  results.emplace_back("UploadPart", client->UploadPart(part).status());
  CompleteMultipartUploadRequest complete;
  complete.bucket = "b";
  complete.key = key;
  complete.upload_id = "u";
  results.emplace_back("CompleteMultipartUpload",
                       client->CompleteMultipartUpload(complete).status());
  results.emplace_back("AbortMultipartUpload", client->AbortMultipartUpload("b", key, "u"));
  for (const auto& [op, s] : results) {
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << op << ": " << s.ToString();
    EXPECT_NE(s.message().find("1025 bytes"), std::string::npos) << s.message();
    EXPECT_NE(s.message().find(op), std::string::npos) << s.message();
  }
  EXPECT_EQ(server_.request_count(), 0);
}

TEST_F(RequestSafety, KeyOfExactly1024BytesIsSentPercentEncoded) {
  auto client = Client();
  const std::string key = KeyOfExactlyMaxBytes();
  ASSERT_EQ(key.size(), kMaxKeyBytes);
  auto head = client->HeadObject({"b", key, ""});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  ASSERT_EQ(server_.request_count(), 1);
  EXPECT_EQ(server_.requests()[0].target, "/b/" + UriEncode(key, /*keep_slash=*/true));
}

TEST_F(RequestSafety, HostileKeysAndParametersTravelPercentEncoded) {
  auto client = Client();
  const std::string key =
      "dir/a b\r\nX-Injected: 1\r\n\r\nGET /other HTTP/1.1\x1B[2J?#%&=+\x7F\xC2\x9B\xE2\x80\xAE";
  ASSERT_TRUE(client->HeadObject({"b", key, "v&1=2\n"}).ok());
  ASSERT_TRUE(client->RestoreObject({"b", key, "", RestoreTier::kBulk, 1}).ok());
  ListObjectsRequest list;
  list.bucket = "b";
  list.prefix = "p&delimiter=x\r\nA: b";
  list.continuation_token = "t+/=\n";
  list.start_after = key;
  (void)client->ListObjectsV2(list);  // the empty answer is not a listing; only the URL matters
  auto seen = server_.requests();
  ASSERT_EQ(seen.size(), 3u);
  const std::string encoded = UriEncode(key, /*keep_slash=*/true);
  EXPECT_EQ(seen[0].target, "/b/" + encoded + "?versionId=v%261%3D2%0A");
  EXPECT_EQ(seen[1].target, "/b/" + encoded + "?restore");
  EXPECT_NE(seen[2].target.find("prefix=p%26delimiter%3Dx%0D%0AA%3A%20b"), std::string::npos)
      << seen[2].target;
  EXPECT_NE(seen[2].target.find("continuation-token=t%2B%2F%3D%0A"), std::string::npos)
      << seen[2].target;
  EXPECT_NE(seen[2].target.find("start-after=" + UriEncode(key)), std::string::npos);
  for (const TestRequest& r : seen) {
    EXPECT_EQ(r.Header("x-injected"), "") << r.target;
    for (unsigned char c : r.target) EXPECT_TRUE(c > 0x20 && c < 0x7F) << r.target;
  }
}

TEST_F(RequestSafety, MetadataValueWithCrLfIsRefusedNamingTheHeaderNotTheValue) {
  auto client = Client();
  for (std::string value : {std::string("v\r\nX-Injected: 1"), std::string("v\nx"),
                            std::string("v\rx"), std::string("v\0x", 3)}) {
    PutObjectRequest put;
    put.bucket = "b";
    put.key = "k";
    put.body = HttpBody::FromString("data");
    put.metadata["note"] = value;
    Status s = client->PutObject(put).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
    EXPECT_NE(s.message().find("x-amz-meta-note"), std::string::npos) << s.message();
    EXPECT_EQ(s.message().find("Injected"), std::string::npos) << s.message();

    CreateMultipartUploadRequest create;
    create.bucket = "b";
    create.key = "k";
    create.metadata["note"] = value;
    EXPECT_EQ(client->CreateMultipartUpload(create).status().code(), StatusCode::kInvalidArgument);
  }
  EXPECT_EQ(server_.request_count(), 0);
}

TEST_F(RequestSafety, MetadataNameThatIsNotATokenIsRefused) {
  auto client = Client();
  for (std::string name : {std::string("a b"), std::string("a:b"), std::string("a\r\nX-Injected"),
                           std::string("a\0b", 3), std::string("caf\xC3\xA9")}) {
    PutObjectRequest put;
    put.bucket = "b";
    put.key = "k";
    put.body = HttpBody::FromString("data");
    put.metadata[name] = "v";
    Status s = client->PutObject(put).status();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << name;
    for (unsigned char c : s.message()) EXPECT_GE(c, 0x20) << s.message();
  }
  EXPECT_EQ(server_.request_count(), 0);
}

TEST_F(RequestSafety, IfMatchEtagWithCrLfIsRefused) {
  auto client = Client();
  auto r = client->GetObject({"b", "k", "", std::nullopt, "\"e\"\r\nX-Injected: 1", nullptr});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_NE(r.status().message().find("If-Match"), std::string::npos);
  EXPECT_EQ(server_.request_count(), 0);
}

TEST_F(RequestSafety, TransportRefusesInjectionWhoeverCallsIt) {
  auto transport = MakeCurlTransport();
  HttpRequest req;
  req.url = server_.url() + "/x";
  req.headers.Set("X-Token", "secret-value\r\nX-Injected: 1");
  auto r = transport->Send(req);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("X-Token"), std::string::npos);
  EXPECT_EQ(r.status().message().find("secret-value"), std::string::npos);

  HttpRequest bad_url;
  bad_url.url = server_.url() + "/a b\r\nX-Injected: 1";
  EXPECT_EQ(transport->Send(bad_url).status().code(), StatusCode::kInvalidArgument);

  HttpRequest bad_name;
  bad_name.url = server_.url() + "/x";
  bad_name.headers.Set("X-A\r\nX-Injected", "1");
  EXPECT_EQ(transport->Send(bad_name).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(server_.request_count(), 0);

  HttpRequest fine;
  fine.url = server_.url() + "/x";
  fine.headers.Set("X-Fine", "tab\tand \"quotes\" are allowed");
  ASSERT_TRUE(transport->Send(fine).ok());
  EXPECT_EQ(server_.request_count(), 1);
}

}  // namespace
}  // namespace thaw::s3
