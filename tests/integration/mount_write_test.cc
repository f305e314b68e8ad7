// Writes of big files through a real `thaw mount` go up as multipart uploads (a small
// --multipart-threshold keeps the files small): the object read back by boto3 (a client we did
// not write) has the bytes and the multipart ETag; an UploadPart that keeps failing (sim faults)
// makes close() fail with EIO, logs why, and leaves no upload behind. Also the option checks of
// --restore-timeout and --multipart-threshold.
#include <fcntl.h>
#include <unistd.h>

#include "common/strings.h"
#include "integration/mount_env.h"
#include "support/boto3.h"
#include "support/upload_checks.h"

namespace thaw::testing {
namespace {

constexpr char kBucket[] = "wbucket";
constexpr uint64_t kMiB = 1ull << 20;

// Writes `data` to `path` in 1 MiB writes; returns 0 or the errno of the failing call (close's
// included: that is where the upload happens).
int WriteFile(const std::string& path, const std::string& data) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return errno;
  for (size_t off = 0; off < data.size();) {
    ssize_t n = write(fd, data.data() + off, std::min<size_t>(kMiB, data.size() - off));
    if (n < 0) {
      int err = errno;
      close(fd);
      return err;
    }
    off += static_cast<size_t>(n);
  }
  return close(fd) == 0 ? 0 : errno;
}

// boto3's view of an object: "<ETag> <md5 of GET>".
std::string Boto3Object(const std::string& endpoint, const std::string& key) {
  int rc = 0;
  std::string out =
      RunBoto3(endpoint,
               "h = s3.head_object(Bucket='" + std::string(kBucket) + "', Key='" + key +
                   "')\n"
                   "b = s3.get_object(Bucket='" +
                   kBucket + "', Key='" + key +
                   "')['Body'].read()\n"
                   "print(h['ETag'], hashlib.md5(b).hexdigest())",
               &rc);
  EXPECT_EQ(rc, 0) << out;
  return out;
}

int OpenUploads(const std::string& endpoint) {
  int rc = 0;
  std::string out = RunBoto3(endpoint,
                             "print(len(s3.list_multipart_uploads(Bucket='" + std::string(kBucket) +
                                 "').get('Uploads', [])))",
                             &rc);
  EXPECT_EQ(rc, 0) << out;
  return rc == 0 ? std::stoi(out) : -1;
}

class MountWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = MakeTestClient(sim_.endpoint());
    ASSERT_TRUE(client_->CreateBucket(kBucket).ok());
  }
  SimServer sim_;
  std::unique_ptr<s3::S3Client> client_;
};

TEST_F(MountWriteTest, BigFilesGoUpInPartsSmallOnesInOnePut) {
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket,
                     {"--multipart-threshold", "12MiB"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  // 8 MiB parts (the minimum): 8 + 8 + 4 MiB and 5 bytes.
  std::string big = RandomBytes(20 * kMiB + 5, 31);
  ASSERT_EQ(WriteFile(mount.path() + "/big.bin", big), 0) << mount.Log();
  EXPECT_EQ(Boto3Object(sim_.endpoint(), "big.bin"),
            MultipartEtag(big, 8 * kMiB) + " " + Md5Hex(big) + "\n");
  EXPECT_NE(MultipartEtag(big, 8 * kMiB).find("-3\""), std::string::npos);
  EXPECT_NE(
      mount.Log().find("uploaded s3://" + std::string(kBucket) + "/big.bin (20.0 MiB in 3 parts)"),
      std::string::npos)
      << mount.Log();
  std::string small = RandomBytes(3 * kMiB, 32);
  ASSERT_EQ(WriteFile(mount.path() + "/small.bin", small), 0) << mount.Log();
  EXPECT_EQ(Boto3Object(sim_.endpoint(), "small.bin"),
            "\"" + Md5Hex(small) + "\" " + Md5Hex(small) + "\n");
  // Read back through the mount too.
  EXPECT_TRUE(ReadAll(mount.path() + "/big.bin") == big);
  EXPECT_EQ(OpenUploads(sim_.endpoint()), 0);
}

TEST_F(MountWriteTest, AFailingPartGivesEioAtCloseAndLeavesNoUpload) {
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket,
                     {"--multipart-threshold", "12MiB", "--max-attempts", "2"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  ASSERT_EQ(
      RunCommand(SimAdminCurl() + "-X PUT --data-binary 'op=UploadPart,error=InternalError' " +
                 sim_.endpoint() + "/_thaw/faults"),
      0);
  std::string data = RandomBytes(17 * kMiB, 33);
  EXPECT_EQ(WriteFile(mount.path() + "/doomed.bin", data), EIO);
  // The flush at close failed; the release after it tries once more (and fails the same way).
  ASSERT_TRUE(
      PollFor([&] { return mount.Log().find("failed at close") != std::string::npos; }, 30000))
      << mount.Log();
  std::string log = mount.Log();
  EXPECT_NE(log.find("upload of s3://" + std::string(kBucket) + "/doomed.bin: EIO"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("InternalError"), std::string::npos) << log;
  EXPECT_EQ(log.find("Signature="), std::string::npos) << log;
  EXPECT_EQ(log.find("Credential="), std::string::npos) << log;
  EXPECT_EQ(OpenUploads(sim_.endpoint()), 0);
  s3::HeadObjectRequest head;
  head.bucket = kBucket;
  head.key = "doomed.bin";
  EXPECT_TRUE(client_->HeadObject(head).status().IsNotFound());
  // Without the fault the same write works.
  ASSERT_EQ(RunCommand(SimAdminCurl() + "-X DELETE " + sim_.endpoint() + "/_thaw/faults"), 0);
  EXPECT_EQ(WriteFile(mount.path() + "/doomed.bin", data), 0) << mount.Log();
  EXPECT_EQ(Boto3Object(sim_.endpoint(), "doomed.bin"),
            MultipartEtag(data, 8 * kMiB) + " " + Md5Hex(data) + "\n");
}

TEST_F(MountWriteTest, BadTimeoutAndThresholdAreUsageErrors) {
  TempDir dir;
  std::string mp = dir.path() + "/mnt";
  ASSERT_EQ(RunCommand("mkdir -p " + mp), 0);
  for (std::string bad :
       {"--restore-timeout soon", "--restore-timeout 0", "--multipart-threshold 6GiB",
        "--multipart-threshold 0", "--multipart-threshold big"}) {
    std::string out;
    int rc = RunCommand(ThawBinary() + " --endpoint-url " + sim_.endpoint() + " mount s3://" +
                            kBucket + " " + mp + " " + bad + " 2>&1",
                        &out);
    EXPECT_EQ(rc, 2) << bad << ": " << out;
    EXPECT_NE(out.find(bad.substr(0, bad.find(' '))), std::string::npos) << out;
  }
}

}  // namespace
}  // namespace thaw::testing
