// `thaw mount` metadata at LIST speed, against `thaw sim` with real FUSE mounts, counting the
// requests the sim logs (--log-level debug: one line per request): `ls -lR`, `find` and `du`
// send ListObjectsV2 pages and no HEAD; an open of a listed file sends its GET and nothing
// before it; missing names are answered from the listing for the negative cache TTL; FSx POSIX
// metadata (a HEAD per file) only with --posix-metadata fsx; a cold read of a small file in a
// directory never listed sends its GET alongside the listing, not after it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "integration/mount_env.h"

namespace thaw::testing {
namespace {

constexpr char kBucket[] = "meta";

class MountMetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = MakeTestClient(sim_.endpoint());
    ASSERT_TRUE(client_->CreateBucket(kBucket).ok());
  }
  // Requests of `op` on the test bucket the sim logged after `from` (a Log() size).
  int Count(const std::string& op, size_t from) const {
    std::string log = sim_.Log();
    int n = 0;
    const std::string needle = " " + op + " " + kBucket + "/";
    for (size_t at = log.find(needle, from); at != std::string::npos;
         at = log.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }
  // Requests of `op` on `key` of the test bucket the sim logged after `from`.
  int CountKey(const std::string& op, const std::string& key, size_t from) const {
    std::string log = sim_.Log();
    int n = 0;
    const std::string needle = " " + op + " " + kBucket + "/" + key + " ";
    for (size_t at = log.find(needle, from); at != std::string::npos;
         at = log.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }
  size_t Mark() const { return sim_.Log().size(); }

  SimServer sim_{{"--log-level", "debug"}};
  std::unique_ptr<s3::S3Client> client_;
};

TEST_F(MountMetadataTest, LsFindAndDuOfATreeSendNoHead) {
  const int kDirs = 20, kFiles = 30;
  for (int d = 0; d < kDirs; ++d) {
    for (int f = 0; f < kFiles; ++f) {
      char key[64];
      std::snprintf(key, sizeof(key), "tree/d%02d/f%03d", d, f);
      Put(*client_, kBucket, key, std::string(static_cast<size_t>(d * kFiles + f), 'x'));
    }
  }
  Put(*client_, kBucket, "tree/d00/cold", "archived bytes", "GLACIER");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  size_t mark = Mark();

  std::string ls;
  ASSERT_EQ(RunCommand("ls -lRn " + mount.path() + "/tree", &ls), 0);
  int files = 0;
  for (size_t at = ls.find("\n-"); at != std::string::npos; at = ls.find("\n-", at + 1)) ++files;
  EXPECT_EQ(files, kDirs * kFiles + 1) << ls;
  // Sizes come from the listing: f019 in d03 holds 3 * 30 + 19 bytes.
  std::string find;
  ASSERT_EQ(RunCommand("find " + mount.path() + "/tree -type f -size 109c", &find), 0);
  EXPECT_EQ(find, mount.path() + "/tree/d03/f019\n");
  std::string du;
  ASSERT_EQ(RunCommand("du -s --apparent-size -B1 " + mount.path() + "/tree | cut -f1", &du), 0);
  // 0 + 1 + ... + 599 bytes, and the archived file's 14.
  EXPECT_EQ(du, std::to_string(599 * 600 / 2 + 14) + "\n") << du;

  EXPECT_EQ(Count("HeadObject", mark), 0) << sim_.Log().substr(mark);
  // One page per directory (and the root and tree/), each listed once.
  EXPECT_LE(Count("ListObjectsV2", mark), kDirs + 2) << sim_.Log().substr(mark);
  EXPECT_GE(Count("ListObjectsV2", mark), kDirs + 1);

  // Opening a listed file needs no HEAD: its GET is the only request.
  mark = Mark();
  EXPECT_EQ(ReadAll(mount.path() + "/tree/d01/f002"), std::string(32, 'x'));
  EXPECT_EQ(Count("HeadObject", mark), 0) << sim_.Log().substr(mark);
  EXPECT_EQ(Count("GetObject", mark), 1) << sim_.Log().substr(mark);
  // An archived one is still found archived (EAGAIN for a non-blocking open, restore started).
  int fd = open((mount.path() + "/tree/d00/cold").c_str(), O_RDONLY | O_NONBLOCK);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_TRUE(mount.Stop()) << mount.Log();
}

TEST_F(MountMetadataTest, AColdReadOfASmallFileCostsItsListingAndOneGet) {
  std::string data = RandomBytes(700 * 1024 + 3, 11);
  Put(*client_, kBucket, "cold/a/small", data);
  Put(*client_, kBucket, "cold/a/other", "o");
  Put(*client_, kBucket, "cold/b/frozen", "archived bytes", "GLACIER");
  size_t mounted = Mark();
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  // The preflight's check, then the root's listing, sent at mount time.
  EXPECT_TRUE(PollFor([&] { return Count("ListObjectsV2", mounted) == 2; }, 10000))
      << sim_.Log().substr(mounted);
  // And the read connections are opened, one HeadBucket each (connection_warmup.h).
  EXPECT_TRUE(PollFor([&] { return Count("HeadBucket", mounted) == 24; }, 10000))
      << sim_.Log().substr(mounted);
  size_t mark = Mark();
  // Only the root is listed yet: cold/ and cold/a/ are listed on the way; each name's early GET
  // went out with its directory's listing (404 for the directory `cold/a`, unless the listing
  // showed a directory before the GET was sent: then it never is), and the read sends nothing
  // more.
  EXPECT_TRUE(ReadAll(mount.path() + "/cold/a/small") == data);
  EXPECT_EQ(Count("ListObjectsV2", mark), 2) << sim_.Log().substr(mark);
  EXPECT_LE(Count("GetObject", mark), 2) << sim_.Log().substr(mark);
  EXPECT_EQ(CountKey("GetObject", "cold/a/small", mark), 1) << sim_.Log().substr(mark);
  EXPECT_EQ(Count("HeadObject", mark), 0) << sim_.Log().substr(mark);
  // A name in a listed directory gets no early GET: its read is its only request.
  mark = Mark();
  EXPECT_EQ(ReadAll(mount.path() + "/cold/a/other"), "o");
  EXPECT_EQ(Count("GetObject", mark), 1) << sim_.Log().substr(mark);
  EXPECT_EQ(Count("ListObjectsV2", mark), 0) << sim_.Log().substr(mark);
  // An archived file behind a cold lookup is still restored on open, not read.
  mark = Mark();
  int fd = open((mount.path() + "/cold/b/frozen").c_str(), O_RDONLY | O_NONBLOCK);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EAGAIN);
  EXPECT_TRUE(PollFor([&] { return Count("RestoreObject", mark) == 1; }, 10000))
      << sim_.Log().substr(mark);
  EXPECT_TRUE(mount.Stop()) << mount.Log();
}

TEST_F(MountMetadataTest, AReaderWalkingADirectoryFindsTheNextFilesFetchedAlready) {
  const int kFiles = 40;
  auto name = [](int i) {
    char b[32];
    std::snprintf(b, sizeof(b), "walk/f%03d", i);
    return std::string(b);
  };
  auto bytes = [](int i) {
    return RandomBytes(i == 30 ? 3 * 1024 * 1024 + 5 : 256 * 1024 + i, 500 + i);
  };
  for (int i = 0; i < kFiles; ++i) Put(*client_, kBucket, name(i), bytes(i));
  Put(*client_, kBucket, "walk/f020.sub/x", "a directory among the files");
  Put(*client_, kBucket, "walk/f025-frozen", "archived bytes", "GLACIER");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  size_t mark = Mark();
  struct stat st;
  ASSERT_EQ(stat((mount.path() + "/" + name(0)).c_str(), &st), 0);  // lists walk/
  // Replaced after the listing: the ETag the mount knows is stale.
  Put(*client_, kBucket, name(35), RandomBytes(256 * 1024 + 35, 9999));
  for (int i = 0; i < kFiles; ++i) {
    if (i == 10) {
      // One reader, one file after another: the walk fetches files before they are opened.
      EXPECT_TRUE(PollFor([&] { return CountKey("GetObject", name(20), mark) == 1; }, 10000))
          << sim_.Log().substr(mark);
    }
    std::string path = mount.path() + "/" + name(i);
    if (i == 35) {
      // Never the new bytes under the old listing's size and ETag, nor a mix: EIO.
      int fd = open(path.c_str(), O_RDONLY);
      ASSERT_GE(fd, 0);
      std::string buf(512 * 1024, '\0');
      EXPECT_EQ(read(fd, buf.data(), buf.size()), -1);
      EXPECT_EQ(errno, EIO);
      close(fd);
      continue;
    }
    EXPECT_TRUE(ReadAll(path) == bytes(i)) << path;
  }
  // From the fifth open on (a walk is four opens in order), each file was fetched once: the read
  // took the prefetched bytes (the 3 MiB file's first MiB only, the rest is its own), where its
  // own read would have sent two GETs (256 KiB and the rest). Nothing of the archived file or
  // the directory.
  for (int i = 4; i < kFiles; ++i) {
    if (i == 30 || i == 35) continue;
    EXPECT_EQ(CountKey("GetObject", name(i), mark), 1) << name(i);
  }
  EXPECT_EQ(CountKey("GetObject", "walk/f025-frozen", mark), 0);
  EXPECT_EQ(CountKey("RestoreObject", "walk/f025-frozen", mark), 0);
  EXPECT_TRUE(mount.Stop()) << mount.Log();
}

TEST_F(MountMetadataTest, MissingNamesCostOneListingPerNegativeTtl) {
  Put(*client_, kBucket, "dir/present", "here");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  struct stat st;
  ASSERT_EQ(stat((mount.path() + "/dir").c_str(), &st), 0);
  size_t mark = Mark();
  // A tool probing for missing files: the same name again and again, and many others.
  for (int i = 0; i < 10; ++i) {
    EXPECT_NE(stat((mount.path() + "/dir/.git").c_str(), &st), 0);
    EXPECT_EQ(errno, ENOENT);
    EXPECT_NE(stat((mount.path() + "/dir/missing" + std::to_string(i)).c_str(), &st), 0);
    EXPECT_EQ(errno, ENOENT);
  }
  ASSERT_EQ(stat((mount.path() + "/dir/present").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4);
  // dir/'s one listing answered all of them.
  EXPECT_EQ(Count("ListObjectsV2", mark), 1) << sim_.Log().substr(mark);
  EXPECT_EQ(Count("HeadObject", mark), 0) << sim_.Log().substr(mark);
}

TEST_F(MountMetadataTest, ZeroNegativeTtlAsksS3AtEveryMissingLookup) {
  Put(*client_, kBucket, "dir/present", "here");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket,
                     {"--negative-cache-ttl", "0"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  struct stat st;
  ASSERT_EQ(stat((mount.path() + "/dir/present").c_str(), &st), 0);
  size_t mark = Mark();
  for (int i = 0; i < 3; ++i) EXPECT_NE(stat((mount.path() + "/dir/late").c_str(), &st), 0);
  EXPECT_EQ(Count("ListObjectsV2", mark), 3) << sim_.Log().substr(mark);
  // A file written by someone else shows up at once, though dir/ was listed a moment ago.
  Put(*client_, kBucket, "dir/late", "new");
  ASSERT_EQ(stat((mount.path() + "/dir/late").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 3);
  std::string out;
  EXPECT_NE(
      RunCommand(ThawBinary() + " mount s3://x " + mount.dir() + " --negative-cache-ttl soon 2>&1",
                 &out),
      0);
  EXPECT_NE(out.find("--negative-cache-ttl"), std::string::npos) << out;
}

TEST_F(MountMetadataTest, FsxPosixMetadataOnlyWhenAskedFor) {
  s3::PutObjectRequest put;
  put.bucket = kBucket;
  put.key = "posix";
  put.body = s3::HttpBody::FromString("p");
  put.metadata = {{"file-permissions", "0100640"},
                  {"file-owner", "1234"},
                  {"file-group", "5678"},
                  {"file-mtime", "1500000000000000000ns"}};
  ASSERT_TRUE(client_->PutObject(put).ok());
  {
    MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket,
                       {"--uid", "42", "--file-mode", "0444"});
    ASSERT_TRUE(mount.mounted()) << mount.Log();
    size_t mark = Mark();
    struct stat st;
    ASSERT_EQ(stat((mount.path() + "/posix").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode, static_cast<mode_t>(0100444));
    EXPECT_EQ(st.st_uid, 42u);
    EXPECT_EQ(ReadAll(mount.path() + "/posix"), "p");
    // Still the mount's mode after an open (no HEAD's metadata leaks into the attributes).
    ASSERT_EQ(stat((mount.path() + "/posix").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode, static_cast<mode_t>(0100444));
    EXPECT_EQ(Count("HeadObject", mark), 0) << sim_.Log().substr(mark);
  }
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket,
                     {"--uid", "42", "--file-mode", "0444", "--posix-metadata", "fsx"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  size_t mark = Mark();
  struct stat st;
  ASSERT_EQ(stat((mount.path() + "/posix").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, static_cast<mode_t>(0100640));
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_mtime, 1500000000);
  EXPECT_EQ(Count("HeadObject", mark), 1) << sim_.Log().substr(mark);
}

}  // namespace
}  // namespace thaw::testing
