// Our multipart upload against servers: moto (which we did not write) and `thaw sim`, each
// checked through boto3 (a client we did not write): the bytes by MD5, the ETag in S3's
// multipart form, storage class and metadata, and no upload left behind after an abort or a
// failure (ListMultipartUploads).
#include <gtest/gtest.h>

#include <cstring>

#include "common/strings.h"
#include "integration/moto_client.h"
#include "integration/mount_env.h"
#include "s3/error.h"
#include "s3/multipart_upload.h"
#include "support/boto3.h"
#include "support/upload_checks.h"

namespace thaw::testing {
namespace {

constexpr uint64_t kMiB = 1ull << 20;

s3::MultipartUploadOptions FromString(const std::string& data, const std::string& bucket,
                                      const std::string& key, uint64_t part) {
  s3::MultipartUploadOptions o;
  o.target.bucket = bucket;
  o.target.key = key;
  o.size = data.size();
  o.part_size = part;
  o.concurrency = 3;
  o.read_at = ReadAtString(data);
  return o;
}

// boto3's view: "<ETag> <StorageClass> <metadata k=v> <md5 of GET> <open uploads>".
std::string Boto3View(const std::string& endpoint, const std::string& bucket,
                      const std::string& key) {
  int rc = 0;
  std::string out =
      RunBoto3(endpoint,
               "h = s3.head_object(Bucket='" + bucket + "', Key='" + key +
                   "')\n"
                   "body = s3.get_object(Bucket='" +
                   bucket + "', Key='" + key +
                   "')['Body'].read()\n"
                   "ups = s3.list_multipart_uploads(Bucket='" +
                   bucket +
                   "').get('Uploads', [])\n"
                   "meta = ','.join(k + '=' + v for k, v in sorted(h['Metadata'].items()))\n"
                   "print(h['ETag'], h.get('StorageClass', 'STANDARD'), meta or '-',"
                   " hashlib.md5(body).hexdigest(), len(ups))",
               &rc);
  EXPECT_EQ(rc, 0) << out;
  return out;
}

int OpenUploads(const std::string& endpoint, const std::string& bucket) {
  int rc = 0;
  std::string out = RunBoto3(
      endpoint, "print(len(s3.list_multipart_uploads(Bucket='" + bucket + "').get('Uploads', [])))",
      &rc);
  EXPECT_EQ(rc, 0) << out;
  return rc == 0 ? std::stoi(out) : -1;
}

// The same checks against any endpoint.
void UploadAndCheck(s3::S3Client& client, const std::string& endpoint) {
  ASSERT_TRUE(client.CreateBucket("mpbucket").ok());
  std::string data = RandomBytes(13 * kMiB + 4321, 21);
  auto o = FromString(data, "mpbucket", "dir/big file+1", 5 * kMiB);
  o.target.storage_class = "STANDARD_IA";
  o.target.metadata = {{"file-owner", "1000"}};
  auto done = s3::UploadMultipart(client, o);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  std::string etag = MultipartEtag(data, 5 * kMiB);
  EXPECT_EQ(done->etag, etag);
  EXPECT_EQ(Boto3View(endpoint, "mpbucket", "dir/big file+1"),
            etag + " STANDARD_IA file-owner=1000 " + Md5Hex(data) + " 0\n");
  // Our own HEAD agrees.
  auto head = client.HeadObject({"mpbucket", "dir/big file+1", ""});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, data.size());
  EXPECT_EQ(head->etag, etag);
}

// `strict`: the server also answers a part of an aborted upload with NoSuchUpload and checks
// Content-MD5 (moto 5 does neither: it answers 500 and takes any part).
void AbortLeavesNothing(s3::S3Client& client, const std::string& endpoint, bool strict) {
  ASSERT_TRUE(client.CreateBucket("abbucket").ok());
  auto id = client.CreateMultipartUpload({"abbucket", "k", "", "", {}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  s3::UploadPartRequest part{
      "abbucket", "k", *id, 1, s3::HttpBody::FromString(RandomBytes(1000, 3)), ""};
  ASSERT_TRUE(client.UploadPart(part).ok());
  EXPECT_EQ(OpenUploads(endpoint, "abbucket"), 1);
  ASSERT_TRUE(client.AbortMultipartUpload("abbucket", "k", *id).ok());
  EXPECT_EQ(OpenUploads(endpoint, "abbucket"), 0);
  if (!strict) return;
  auto late = client.UploadPart(part);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(s3::S3ErrorCode(late.status()), "NoSuchUpload") << late.status().ToString();
  EXPECT_TRUE(late.status().IsNotFound());
  // A part that arrives different from its Content-MD5 is refused.
  auto id2 = client.CreateMultipartUpload({"abbucket", "k2", "", "", {}});
  ASSERT_TRUE(id2.ok());
  s3::UploadPartRequest bad{"abbucket",
                            "k2",
                            *id2,
                            1,
                            s3::HttpBody::FromString("abc"),
                            "1B2M2Y8AsgTpgAmY7PhCfg=="};  // MD5 of ""
  auto refused = client.UploadPart(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(s3::S3ErrorCode(refused.status()), "BadDigest") << refused.status().ToString();
  ASSERT_TRUE(client.AbortMultipartUpload("abbucket", "k2", *id2).ok());
}

TEST_F(MotoTest, MultipartUploadIsReadBackByBoto3) {
  UploadAndCheck(*client_, moto_->endpoint());
}

TEST_F(MotoTest, MultipartAbortLeavesNoUpload) {
  AbortLeavesNothing(*client_, moto_->endpoint(), /*strict=*/false);
}

class SimMultipartTest : public ::testing::Test {
 protected:
  SimServer sim_;
  std::unique_ptr<s3::S3Client> client_ = MakeTestClient(sim_.endpoint());
};

TEST_F(SimMultipartTest, MultipartUploadIsReadBackByBoto3) {
  UploadAndCheck(*client_, sim_.endpoint());
}

TEST_F(SimMultipartTest, MultipartAbortLeavesNoUploadAndBadDigestIsRefused) {
  AbortLeavesNothing(*client_, sim_.endpoint(), /*strict=*/true);
}

TEST_F(SimMultipartTest, AFailingPartAbortsTheUpload) {
  ASSERT_TRUE(client_->CreateBucket("fbucket").ok());
  // Every UploadPart fails (after the client's own retries).
  ASSERT_EQ(
      RunCommand(SimAdminCurl() + "-X PUT --data-binary 'op=UploadPart,error=InternalError' " +
                 sim_.endpoint() + "/_thaw/faults"),
      0);
  std::string data = RandomBytes(11 * kMiB, 4);
  auto done = s3::UploadMultipart(*client_, FromString(data, "fbucket", "k", 5 * kMiB));
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(s3::S3ErrorCode(done.status()), "InternalError");
  EXPECT_NE(done.status().message().find("UploadPart"), std::string::npos);
  ASSERT_EQ(RunCommand(SimAdminCurl() + "-X DELETE " + sim_.endpoint() + "/_thaw/faults"), 0);
  EXPECT_EQ(OpenUploads(sim_.endpoint(), "fbucket"), 0);
  EXPECT_TRUE(client_->HeadObject({"fbucket", "k", ""}).status().IsNotFound());
}

}  // namespace
}  // namespace thaw::testing
