// Multipart upload: the client's requests on the wire (against a fake server), S3's error inside
// a 200 answer, the part size rule, and UploadMultipart over the mock (bytes, multipart ETag,
// abort on every failure so no upload is left behind).
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstring>

#include "common/clock.h"
#include "common/strings.h"
#include "s3/client.h"
#include "s3/error.h"
#include "s3/mock_client.h"
#include "s3/multipart_upload.h"
#include "s3/xml.h"
#include "support/http_test_server.h"
#include "support/upload_checks.h"

namespace thaw::s3 {
namespace {

using thaw::testing::HttpTestServer;
using thaw::testing::Md5;
using thaw::testing::Md5Hex;
using thaw::testing::MultipartEtag;
using thaw::testing::ReadAtString;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

constexpr uint64_t kMiB = 1ull << 20;

std::string Base64(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::string Pattern(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed * 2654435761u + 1;
  for (char& c : s) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return s;
}

class MultipartOnTheWire : public ::testing::Test {
 protected:
  std::unique_ptr<S3Client> Client(HttpTestServer& server) {
    ClientConfig config;
    config.endpoint_url = server.url();
    config.force_path_style = true;
    config.transport.stall_timeout = std::chrono::milliseconds(2000);
    Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "test"};
    return MakeHttpClient(config, MakeStaticProvider(creds), clock_);
  }
  FakeClock clock_{FakeClock::TimePoint(std::chrono::seconds(1700000000)), /*auto_advance=*/true};
};

TEST_F(MultipartOnTheWire, RequestsAndAnswersAsS3DefinesThem) {
  std::vector<TestRequest> seen;
  HttpTestServer server([&](const TestRequest& req) {
    seen.push_back(req);
    if (req.method == "POST" && req.target.find("?uploads") != std::string::npos) {
      return TestResponse::Ok(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><InitiateMultipartUploadResult "
          "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><Key>a b</Key>"
          "<UploadId>up+/id</UploadId></InitiateMultipartUploadResult>");
    }
    if (req.method == "PUT") {
      TestResponse r;
      r.headers = {{"ETag", "\"" + Md5Hex(req.body) + "\""}};
      return r;
    }
    if (req.method == "POST") {
      return TestResponse::Ok(
          "<CompleteMultipartUploadResult><Bucket>b</Bucket><Key>a b</Key>"
          "<ETag>\"abc-2\"</ETag></CompleteMultipartUploadResult>");
    }
    return TestResponse::Status(204);
  });
  auto client = Client(server);
  CreateMultipartUploadRequest create;
  create.bucket = "b";
  create.key = "a b";
  create.storage_class = "GLACIER";
  create.metadata = {{"file-owner", "1000"}};
  auto id = client->CreateMultipartUpload(create);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "up+/id");
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].target, "/b/a%20b?uploads");
  EXPECT_EQ(seen[0].Header("x-amz-storage-class"), "GLACIER");
  EXPECT_EQ(seen[0].Header("x-amz-meta-file-owner"), "1000");
  EXPECT_NE(seen[0].Header("authorization").find("AWS4-HMAC-SHA256"), std::string::npos);

  UploadPartRequest part;
  part.bucket = "b";
  part.key = "a b";
  part.upload_id = *id;
  part.part_number = 2;
  part.body = HttpBody::FromString("part two");
  part.content_md5 = Base64(Md5("part two"));
  auto etag = client->UploadPart(part);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, "\"" + Md5Hex("part two") + "\"");
  EXPECT_EQ(seen[1].target, "/b/a%20b?partNumber=2&uploadId=up%2B%2Fid");
  EXPECT_EQ(seen[1].body, "part two");
  EXPECT_EQ(seen[1].Header("content-md5"), part.content_md5);

  CompleteMultipartUploadRequest complete;
  complete.bucket = "b";
  complete.key = "a b";
  complete.upload_id = *id;
  complete.parts = {{1, "\"e1\""}, {2, "\"e2\""}};
  auto done = client->CompleteMultipartUpload(complete);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, "\"abc-2\"");
  EXPECT_EQ(seen[2].method, "POST");
  EXPECT_EQ(seen[2].target, "/b/a%20b?uploadId=up%2B%2Fid");
  EXPECT_NE(seen[2].body.find("<Part><PartNumber>1</PartNumber><ETag>\"e1\"</ETag></Part>"),
            std::string::npos)
      << seen[2].body;
  EXPECT_LT(seen[2].body.find("<PartNumber>1<"), seen[2].body.find("<PartNumber>2<"));

  EXPECT_TRUE(client->AbortMultipartUpload("b", "a b", *id).ok());
  EXPECT_EQ(seen[3].method, "DELETE");
  EXPECT_EQ(seen[3].target, "/b/a%20b?uploadId=up%2B%2Fid");
}

TEST_F(MultipartOnTheWire, AnErrorInsideA200IsAnErrorAndRetriedWhenItSaysSo) {
  int calls = 0;
  HttpTestServer server([&](const TestRequest&) {
    if (++calls == 1) {
      return TestResponse::Ok(
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code>"
          "<Message>We encountered an internal error. Please try again.</Message></Error>");
    }
    return TestResponse::Ok(
        "<CompleteMultipartUploadResult><ETag>\"x-1\"</ETag></CompleteMultipartUploadResult>");
  });
  auto client = Client(server);
  auto done = client->CompleteMultipartUpload({"b", "k", "id", {{1, "\"e\""}}});
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, "\"x-1\"");
  EXPECT_EQ(calls, 2);

  HttpTestServer refusing([&](const TestRequest&) {
    return TestResponse::Ok("<Error><Code>InvalidPart</Code><Message>gone</Message></Error>");
  });
  auto client2 = Client(refusing);
  auto failed = client2->CompleteMultipartUpload({"b", "k", "id", {{1, "\"e\""}}});
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(S3ErrorCode(failed.status()), "InvalidPart");
  EXPECT_EQ(refusing.request_count(), 1);
}

TEST_F(MultipartOnTheWire, MalformedAnswersAreClearErrors) {
  HttpTestServer server([&](const TestRequest& req) {
    if (req.method == "PUT") return TestResponse::Ok("");  // no ETag header
    return TestResponse::Ok(
        "<InitiateMultipartUploadResult><Bucket>b</Bucket>"
        "</InitiateMultipartUploadResult>");
  });
  auto client = Client(server);
  auto id = client->CreateMultipartUpload({"b", "k", "", "", {}});
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(id.status().message().find("UploadId"), std::string::npos);
  UploadPartRequest part{"b", "k", "id", 1, HttpBody::FromString("x"), ""};
  auto etag = client->UploadPart(part);
  ASSERT_FALSE(etag.ok());
  EXPECT_NE(etag.status().message().find("no ETag"), std::string::npos);
}

TEST(MultipartXml, CompleteBodyIsEscapedXmlAndBadAnswersAreRefused) {
  std::string xml = BuildCompleteMultipartUploadXml({{1, "\"a&b\""}, {10000, "\"c\""}});
  EXPECT_EQ(xml,
            "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Part><PartNumber>1</PartNumber><ETag>\"a&amp;b\"</ETag></Part>"
            "<Part><PartNumber>10000</PartNumber><ETag>\"c\"</ETag></Part>"
            "</CompleteMultipartUpload>");
  auto moto_form = ParseCompleteMultipartUpload(
      "<CompleteMultipartUploadResponse><ETag>\"e-2\"</ETag></CompleteMultipartUploadResponse>");
  ASSERT_TRUE(moto_form.ok()) << moto_form.status().ToString();
  EXPECT_EQ(*moto_form, "\"e-2\"");
  EXPECT_FALSE(ParseCompleteMultipartUpload("").ok());
  EXPECT_FALSE(ParseCompleteMultipartUpload("<CompleteMultipartUploadResult/>").ok());
  EXPECT_FALSE(ParseInitiateMultipartUpload("<Error><Code>x</Code></Error>").ok());
}

TEST(ChoosePartSize, AtLeastTheMinimumAndTenThousandPartsCoverTheFile) {
  EXPECT_EQ(*ChoosePartSize(100 * kMiB, 8 * kMiB), 8 * kMiB);
  EXPECT_EQ(*ChoosePartSize(1, 1), 5 * kMiB);  // S3's minimum
  // 10,000 parts of 8 MiB cover 80,000 MiB; one byte more needs bigger parts.
  EXPECT_EQ(*ChoosePartSize(80000 * kMiB, 8 * kMiB), 8 * kMiB);
  EXPECT_EQ(*ChoosePartSize(80000 * kMiB + 1, 8 * kMiB), 9 * kMiB);
  for (uint64_t total : {1ull << 30, 100ull << 30, 1ull << 40, 5ull << 40}) {
    uint64_t part = *ChoosePartSize(total, 8 * kMiB);
    EXPECT_LE((total + part - 1) / part, 10000u) << total;
    EXPECT_EQ(part % kMiB, 0u);
    EXPECT_LE(part, kMaxPartSize);
  }
  EXPECT_EQ(*ChoosePartSize(5ull << 40, 8 * kMiB), 525 * kMiB);
  EXPECT_TRUE(ChoosePartSize((5ull << 40) + 1, 8 * kMiB).status().IsInvalidArgument());
}

class UploadMultipartOverMock : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(mock_.CreateBucket("b").ok()); }

  MultipartUploadOptions Options(const std::string& data, uint64_t part, int concurrency = 3) {
    MultipartUploadOptions o;
    o.target.bucket = "b";
    o.target.key = "big";
    o.size = data.size();
    o.part_size = part;
    o.concurrency = concurrency;
    o.read_at = ReadAtString(data);
    return o;
  }
  std::string Stored(const std::string& key) {
    GetObjectRequest get;
    get.bucket = "b";
    get.key = key;
    auto r = mock_.GetObject(get);
    return r.ok() ? r->body : "<" + r.status().ToString() + ">";
  }
  FakeClock clock_;
  MockS3Client mock_{clock_};
};

TEST_F(UploadMultipartOverMock, StoresTheBytesWithTheMultipartEtag) {
  std::string data = Pattern(17 * kMiB + 123, 1);
  auto o = Options(data, 5 * kMiB);
  o.target.storage_class = "STANDARD_IA";
  o.target.metadata = {{"k", "v"}};
  auto done = UploadMultipart(mock_, o);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, MultipartEtag(data, 5 * kMiB));
  EXPECT_TRUE(Stored("big") == data);
  EXPECT_EQ(mock_.Count(Operation::kUploadPart), 4);
  EXPECT_EQ(mock_.Count(Operation::kAbortMultipartUpload), 0);
  EXPECT_EQ(mock_.OpenUploads(), 0);
  auto head = mock_.HeadObject({"b", "big", ""});
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->storage_class, "STANDARD_IA");
  EXPECT_EQ(head->metadata.at("k"), "v");
}

TEST_F(UploadMultipartOverMock, OnePartAndExactMultiplesWork) {
  std::string one = Pattern(3 * kMiB, 2);
  auto done = UploadMultipart(mock_, Options(one, 5 * kMiB));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, MultipartEtag(one, 5 * kMiB));
  std::string exact = Pattern(10 * kMiB, 3);
  done = UploadMultipart(mock_, Options(exact, 5 * kMiB, 1));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_TRUE(done->etag.find("-2\"") != std::string::npos) << done->etag;
  EXPECT_TRUE(Stored("big") == exact);
}

TEST_F(UploadMultipartOverMock, AFailedPartAbortsTheUploadAndNamesThePart) {
  std::string data = Pattern(12 * kMiB, 4);
  mock_.FailNext(Operation::kUploadPart, 403, "AccessDenied");
  auto done = UploadMultipart(mock_, Options(data, 5 * kMiB));
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(done.status().message().find("of 3"), std::string::npos) << done.status().message();
  EXPECT_EQ(mock_.Count(Operation::kAbortMultipartUpload), 1);
  EXPECT_EQ(mock_.Count(Operation::kCompleteMultipartUpload), 0);
  EXPECT_EQ(mock_.OpenUploads(), 0);
  EXPECT_TRUE(mock_.HeadObject({"b", "big", ""}).status().IsNotFound());
}

TEST_F(UploadMultipartOverMock, AFailedCompleteAbortsTheUpload) {
  std::string data = Pattern(6 * kMiB, 5);
  mock_.FailNext(Operation::kCompleteMultipartUpload, 400, "InvalidPart");
  auto done = UploadMultipart(mock_, Options(data, 5 * kMiB));
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(S3ErrorCode(done.status()), "InvalidPart");
  EXPECT_EQ(mock_.OpenUploads(), 0);
}

TEST_F(UploadMultipartOverMock, AFailedAbortIsReportedWithTheFirstError) {
  std::string data = Pattern(6 * kMiB, 6);
  mock_.FailNext(Operation::kUploadPart, 500, "InternalError");
  mock_.FailNext(Operation::kAbortMultipartUpload, 403, "AccessDenied");
  auto done = UploadMultipart(mock_, Options(data, 5 * kMiB, 1));
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(S3ErrorCode(done.status()), "InternalError");
  EXPECT_NE(done.status().message().find("not aborted"), std::string::npos);
  EXPECT_EQ(mock_.OpenUploads(), 1);  // what the message warns about
}

TEST_F(UploadMultipartOverMock, ASourceThatEndsEarlyFailsWithoutSendingGarbage) {
  std::string data = Pattern(11 * kMiB, 7);
  auto o = Options(data, 5 * kMiB);
  o.size = 16 * kMiB;  // says more than it has
  auto done = UploadMultipart(mock_, o);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(mock_.OpenUploads(), 0);
  EXPECT_TRUE(mock_.HeadObject({"b", "big", ""}).status().IsNotFound());
}

TEST_F(UploadMultipartOverMock, TooManyPartsIsRefusedBeforeAnyRequest) {
  std::string data = "x";
  auto o = Options(data, 1);
  o.size = 10001;
  auto done = UploadMultipart(mock_, o);
  EXPECT_TRUE(done.status().IsInvalidArgument());
  EXPECT_EQ(mock_.TotalCalls(), 1);  // CreateBucket in SetUp only
}

// A client whose CompleteMultipartUpload answers NoSuchUpload, as the real client does when its
// retry follows a Complete that took effect but whose answer was lost; `apply` says whether the
// Complete took effect.
class LostCompleteAnswer : public S3Client {
 public:
  LostCompleteAnswer(MockS3Client& mock, bool apply) : mock_(mock), apply_(apply) {}
  Result<ListObjectsPage> ListObjectsV2(const ListObjectsRequest& r) override {
    return mock_.ListObjectsV2(r);
  }
  Result<ObjectInfo> HeadObject(const HeadObjectRequest& r) override { return mock_.HeadObject(r); }
  Result<GetObjectResult> GetObject(const GetObjectRequest& r) override {
    return mock_.GetObject(r);
  }
  Result<PutObjectResult> PutObject(const PutObjectRequest& r) override {
    return mock_.PutObject(r);
  }
  Status DeleteObject(const std::string& b, const std::string& k, const std::string& v) override {
    return mock_.DeleteObject(b, k, v);
  }
  Status CreateBucket(const std::string& b) override { return mock_.CreateBucket(b); }
  Status HeadBucket(const std::string& b) override { return mock_.HeadBucket(b); }
  Result<RestoreOutcome> RestoreObject(const RestoreObjectRequest& r) override {
    return mock_.RestoreObject(r);
  }
  Result<std::string> CreateMultipartUpload(const CreateMultipartUploadRequest& r) override {
    return mock_.CreateMultipartUpload(r);
  }
  Result<std::string> UploadPart(const UploadPartRequest& r) override {
    return mock_.UploadPart(r);
  }
  Result<PutObjectResult> CompleteMultipartUpload(
      const CompleteMultipartUploadRequest& r) override {
    if (apply_) {
      EXPECT_TRUE(mock_.CompleteMultipartUpload(r).ok());
    }
    HttpResponse resp;
    resp.status = 404;
    resp.body = "<Error><Code>NoSuchUpload</Code><Message>gone</Message></Error>";
    return ErrorFromResponse(resp, "CompleteMultipartUpload", "s3://" + r.bucket + "/" + r.key);
  }
  Status AbortMultipartUpload(const std::string& b, const std::string& k,
                              const std::string& id) override {
    return mock_.AbortMultipartUpload(b, k, id);
  }

 private:
  MockS3Client& mock_;
  bool apply_;
};

TEST_F(UploadMultipartOverMock, ACompleteWhoseAnswerWasLostIsRecognisedByItsEtag) {
  std::string data = Pattern(7 * kMiB, 8);
  LostCompleteAnswer lost(mock_, /*apply=*/true);
  auto done = UploadMultipart(lost, Options(data, 5 * kMiB));
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->etag, MultipartEtag(data, 5 * kMiB));
  EXPECT_TRUE(Stored("big") == data);

  // An older object under the key does not pass for the new one.
  LostCompleteAnswer never(mock_, /*apply=*/false);
  std::string other = Pattern(7 * kMiB, 9);
  auto failed = UploadMultipart(never, Options(other, 5 * kMiB));
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(S3ErrorCode(failed.status()), "NoSuchUpload");
  EXPECT_EQ(mock_.OpenUploads(), 0);
  EXPECT_TRUE(Stored("big") == data);
}

}  // namespace
}  // namespace thaw::s3
