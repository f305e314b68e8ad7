// `thaw mount` against `thaw sim`: rmdir (empty directories only, marker deleted, ENOTEMPTY
// and ENOTDIR otherwise) and rename (EXDEV, so `mv` copies and unlinks: files and trees).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "integration/mount_env.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

constexpr char kBucket[] = "nsbkt";

class MountNamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = MakeTestClient(sim_.endpoint());
    ASSERT_TRUE(client_->CreateBucket(kBucket).ok());
  }
  bool Exists(const std::string& key) {
    s3::HeadObjectRequest head;
    head.bucket = kBucket;
    head.key = key;
    auto info = client_->HeadObject(head);
    EXPECT_TRUE(info.ok() || info.status().IsNotFound()) << info.status().ToString();
    return info.ok();
  }
  std::string Get(const std::string& key) {
    s3::GetObjectRequest get;
    get.bucket = kBucket;
    get.key = key;
    auto got = client_->GetObject(get);
    return got.ok() ? got->body : "<" + got.status().ToString() + ">";
  }
  SimServer sim_;
  std::unique_ptr<s3::S3Client> client_;
};

TEST_F(MountNamespaceTest, RmdirRemovesOnlyEmptyDirectories) {
  Put(*client_, kBucket, "full/file", "x");
  Put(*client_, kBucket, "deep/sub/file", "y");
  Put(*client_, kBucket, "plain", "z");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  const std::string m = mount.path();

  ASSERT_EQ(RunCommand("mkdir " + m + "/empty"), 0);
  EXPECT_TRUE(Exists("empty/"));
  EXPECT_EQ(rmdir((m + "/empty").c_str()), 0) << std::strerror(errno);
  EXPECT_FALSE(Exists("empty/"));
  EXPECT_NE(access((m + "/empty").c_str(), F_OK), 0);

  errno = 0;
  EXPECT_NE(rmdir((m + "/full").c_str()), 0);
  EXPECT_EQ(errno, ENOTEMPTY);
  errno = 0;
  EXPECT_NE(rmdir((m + "/deep").c_str()), 0);  // only a sub-prefix under it
  EXPECT_EQ(errno, ENOTEMPTY);
  errno = 0;
  EXPECT_NE(rmdir((m + "/plain").c_str()), 0);
  EXPECT_EQ(errno, ENOTDIR);
  errno = 0;
  EXPECT_NE(rmdir((m + "/missing").c_str()), 0);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(Get("full/file"), "x");

  // `rm -r` of a whole tree: files unlinked, then each directory removed bottom-up.
  EXPECT_EQ(RunCommand("rm -r " + m + "/deep"), 0);
  EXPECT_FALSE(Exists("deep/sub/file"));
  EXPECT_NE(access((m + "/deep").c_str(), F_OK), 0);
  EXPECT_TRUE(mount.running());
}

TEST_F(MountNamespaceTest, RenameIsCrossDeviceSoMvCopiesFilesAndTrees) {
  Put(*client_, kBucket, "a.txt", "alpha");
  Put(*client_, kBucket, "tree/one", "1");
  Put(*client_, kBucket, "tree/two/three", "3");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  const std::string m = mount.path();

  errno = 0;
  EXPECT_NE(std::rename((m + "/a.txt").c_str(), (m + "/b.txt").c_str()), 0);
  EXPECT_EQ(errno, EXDEV);

  std::string out;
  ASSERT_EQ(RunCommand("mv " + m + "/a.txt " + m + "/b.txt 2>&1", &out), 0) << out;
  EXPECT_EQ(Get("b.txt"), "alpha");
  EXPECT_FALSE(Exists("a.txt"));
  EXPECT_EQ(ReadAll(m + "/b.txt"), "alpha");

  ASSERT_EQ(RunCommand("mv " + m + "/tree " + m + "/moved 2>&1", &out), 0) << out;
  EXPECT_EQ(Get("moved/one"), "1");
  EXPECT_EQ(Get("moved/two/three"), "3");
  EXPECT_FALSE(Exists("tree/one"));
  EXPECT_FALSE(Exists("tree/two/three"));
  EXPECT_TRUE(mount.running());
}

}  // namespace
}  // namespace thaw::testing
