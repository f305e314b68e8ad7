// `thaw mount` against `thaw sim` with real FUSE mounts: reads of edge sizes, random offsets
// and concurrent readers compared with the source, a large tree listed by find, odd names and
// odd keys, FSx POSIX metadata, writes, a replaced object, faults, startup errors, signals.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "integration/mount_env.h"

namespace thaw::testing {
namespace {

constexpr char kBucket[] = "mbkt";

class MountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = MakeTestClient(sim_.endpoint());
    ASSERT_TRUE(client_->CreateBucket(kBucket).ok());
  }
  SimServer sim_{{"--time-scale", "3600"}};
  std::unique_ptr<s3::S3Client> client_;
};

// Reads [off, off+len) with pread; "" and errno on failure.
std::string PRead(int fd, uint64_t off, size_t len, int* err = nullptr) {
  std::string buf(len, '\0');
  size_t got = 0;
  while (got < len) {
    ssize_t n = pread(fd, buf.data() + got, len - got, static_cast<off_t>(off + got));
    if (n < 0) {
      if (err) *err = errno;
      return "";
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  buf.resize(got);
  return buf;
}

std::string ReadFile(const std::string& path, int* err = nullptr) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    if (err) *err = errno;
    return "<open failed>";
  }
  struct stat st;
  fstat(fd, &st);
  std::string s = PRead(fd, 0, static_cast<size_t>(st.st_size) + 1, err);
  close(fd);
  return s;
}

TEST_F(MountTest, ReadsEdgeSizesRandomOffsetsAndConcurrentReaders) {
  const uint64_t kPart = 8ull << 20;
  std::map<std::string, std::string> files = {
      {"empty", ""},
      {"one", "x"},
      {"part-minus-1", RandomBytes(kPart - 1, 1)},
      {"part-plus-1", RandomBytes(kPart + 1, 2)},
      {"dir/big", RandomBytes(64ull << 20, 3)},
  };
  for (auto& [k, v] : files) Put(*client_, kBucket, k, v);
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();

  for (auto& [k, v] : files) {
    struct stat st;
    ASSERT_EQ(stat((mount.path() + "/" + k).c_str(), &st), 0) << k;
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), v.size()) << k;
    EXPECT_TRUE(ReadFile(mount.path() + "/" + k) == v) << k;
  }

  const std::string& big = files["dir/big"];
  int fd = open((mount.path() + "/dir/big").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100; ++i) {
    uint64_t off = rng() % big.size();
    size_t len = 1 + rng() % (1 << 20);
    std::string got = PRead(fd, off, len);
    size_t want = std::min<uint64_t>(len, big.size() - off);
    ASSERT_EQ(got.size(), want) << off;
    ASSERT_TRUE(got == big.substr(off, want)) << "random read at " << off << " len " << len;
  }
  close(fd);

  std::atomic<int> good{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      // Each reader its own descriptor; different starting points make the reads interleave.
      int rfd = open((mount.path() + "/dir/big").c_str(), O_RDONLY);
      if (rfd < 0) return;
      uint64_t start = (big.size() / 4) * t;
      std::string a = PRead(rfd, start, big.size() - start);
      std::string b = PRead(rfd, 0, start);
      close(rfd);
      if (a == big.substr(start) && b == big.substr(0, start)) ++good;
    });
  }
  for (auto& r : readers) r.join();
  EXPECT_EQ(good.load(), 4);
  EXPECT_TRUE(mount.Stop()) << mount.Log();
}

TEST_F(MountTest, A300MiBFileReadsBackWholeAndAtRandomOffsets) {
  // Larger than the prefetch window (128 MiB) and the read-ahead budget (256 MiB): the window
  // reaches its maximum, parts are dropped behind the reader and buffers reused.
  const std::string data = RandomBytes(300ull << 20, 300);
  Put(*client_, kBucket, "huge", data);
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  struct stat st;
  ASSERT_EQ(stat((mount.path() + "/huge").c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), data.size());
  int fd = open((mount.path() + "/huge").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  std::string got;
  got.reserve(data.size());
  std::string buf(1 << 20, '\0');
  for (;;) {
    ssize_t n = read(fd, buf.data(), buf.size());
    ASSERT_GE(n, 0) << std::strerror(errno);
    if (n == 0) break;
    got.append(buf.data(), static_cast<size_t>(n));
  }
  ASSERT_EQ(got.size(), data.size());
  EXPECT_TRUE(got == data) << "first differing byte at "
                           << std::mismatch(got.begin(), got.end(), data.begin()).first -
                                  got.begin();
  std::mt19937_64 rng(300);
  for (int i = 0; i < 50; ++i) {
    uint64_t off = rng() % data.size();
    size_t len = 1 + rng() % (4 << 20);
    size_t want = std::min<uint64_t>(len, data.size() - off);
    ASSERT_TRUE(PRead(fd, off, len) == data.substr(off, want)) << off << " +" << len;
  }
  close(fd);
  EXPECT_TRUE(mount.Stop()) << mount.Log();
}

TEST_F(MountTest, FindListsTheSameNamesAsTheListing) {
  // 100 directories of 100 files: created from 16 threads straight through the S3 API.
  const int kDirs = 100, kFiles = 100;
  std::vector<std::string> keys;
  for (int d = 0; d < kDirs; ++d) {
    for (int f = 0; f < kFiles; ++f) {
      keys.push_back("tree/d" + std::to_string(d) + "/f" + std::to_string(f));
    }
  }
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < 16; ++t) {
    writers.emplace_back([&] {
      auto c = MakeTestClient(sim_.endpoint());
      for (size_t i = next++; i < keys.size(); i = next++) {
        s3::PutObjectRequest put;
        put.bucket = kBucket;
        put.key = keys[i];
        put.body = s3::HttpBody::FromString(keys[i]);
        if (!c->PutObject(put).ok()) ++failed;
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failed.load(), 0);
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket + "/tree");
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  std::string out;
  ASSERT_EQ(
      RunCommand("cd " + mount.path() + " && find . -type f | sed 's|^\\./|tree/|' | sort", &out),
      0);
  std::vector<std::string> want = keys;
  std::sort(want.begin(), want.end());
  std::string expected;
  for (auto& k : want) expected += k + "\n";
  EXPECT_TRUE(out == expected) << "find printed " << std::count(out.begin(), out.end(), '\n')
                               << " lines";
  EXPECT_EQ(ReadFile(mount.path() + "/d7/f42"), "tree/d7/f42");
}

TEST_F(MountTest, OddNamesAndOddKeys) {
  std::vector<std::string> names = {"with space", "unicodé ü 日本", "100%",     "a+b",
                                    "semi;colon", "quote'\"",       "tab\there"};
  for (auto& n : names) Put(*client_, kBucket, "odd/" + n, "data of " + n);
  // Keys that cannot all be file names: left out or shown as far as they can be, never a crash.
  for (std::string k : {"odd/a//b", "odd/./dot", "odd/../up", "odd/marker/", "odd/marker/in",
                        "odd/both", "odd/both/child", "odd/trailing/"}) {
    Put(*client_, kBucket, k, "k:" + k);
  }
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  for (auto& n : names) {
    EXPECT_EQ(ReadFile(mount.path() + "/odd/" + n), "data of " + n) << n;
  }
  std::string out;
  ASSERT_EQ(RunCommand("ls -1a " + mount.path() + "/odd", &out), 0);
  for (auto& n : names) EXPECT_NE(out.find(n + "\n"), std::string::npos) << n;
  EXPECT_NE(out.find("marker\n"), std::string::npos);
  EXPECT_NE(out.find("trailing\n"), std::string::npos);
  EXPECT_NE(out.find("a\n"), std::string::npos);  // the "a/" prefix of odd/a//b
  EXPECT_EQ(ReadFile(mount.path() + "/odd/marker/in"), "k:odd/marker/in");
  struct stat st;
  ASSERT_EQ(stat((mount.path() + "/odd/both").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));  // a directory wins over a file of the same name
  ASSERT_EQ(RunCommand("find " + mount.path() + " > /dev/null"), 0);
  ASSERT_EQ(RunCommand("ls -la " + mount.path() + "/odd/a " + mount.path() + "/odd/trailing " +
                       " > /dev/null"),
            0);
  EXPECT_TRUE(mount.running());
}

TEST_F(MountTest, StatShowsFsxPosixMetadataAndOptions) {
  s3::PutObjectRequest put;
  put.bucket = kBucket;
  put.key = "posix";
  put.body = s3::HttpBody::FromString("p");
  put.metadata = {{"file-permissions", "0100640"},
                  {"file-owner", "1234"},
                  {"file-group", "5678"},
                  {"file-mtime", "1500000000000000000ns"}};
  ASSERT_TRUE(client_->PutObject(put).ok());
  Put(*client_, kBucket, "plain", "q");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket,
                     {"--uid", "42", "--gid", "43", "--file-mode", "0444", "--dir-mode", "0700",
                      "--posix-metadata", "fsx"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  // A listing with attributes (READDIRPLUS) shows what a HEAD shows, before any stat.
  std::string ls;
  ASSERT_EQ(RunCommand("ls -ln --time-style=+%s " + mount.path() + " | tr -s ' '", &ls), 0);
  EXPECT_NE(ls.find("-rw-r----- 1 1234 5678 1 1500000000 posix\n"), std::string::npos) << ls;
  EXPECT_NE(ls.find("-r--r--r-- 1 42 43 1 "), std::string::npos) << ls;
  struct stat st;
  ASSERT_EQ(stat((mount.path() + "/posix").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, static_cast<mode_t>(0100640));
  EXPECT_EQ(st.st_uid, 1234u);
  EXPECT_EQ(st.st_gid, 5678u);
  EXPECT_EQ(st.st_mtime, 1500000000);
  ASSERT_EQ(stat((mount.path() + "/plain").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, static_cast<mode_t>(0100444));
  EXPECT_EQ(st.st_uid, 42u);
  EXPECT_EQ(st.st_gid, 43u);
  ASSERT_EQ(stat(mount.path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode, static_cast<mode_t>(040700));
}

TEST(MountLookupTest, ALookupInAnUnlistedDirectorySendsListAndHeadTogether) {
  // With --posix-metadata fsx a lookup HEADs the name: one round trip instead of two for the
  // first lookup in a directory, since the HEAD goes out while the directory's LIST is still on
  // its way (the LIST is delayed here, so the sim logs the HEAD first), and it is used: no
  // second HEAD.
  SimServer sim({"--log-level", "debug"});
  auto client = MakeTestClient(sim.endpoint());
  ASSERT_TRUE(client->CreateBucket("look").ok());
  Put(*client, "look", "dir/file", "contents");
  Put(*client, "look", "dir/sub/x", "x");
  MountProcess mount(sim.endpoint(), "s3://look", {"--posix-metadata", "fsx"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  ASSERT_EQ(RunCommand(SimAdminCurl() + "-X PUT --data-binary 'op=ListObjectsV2,latency=300ms' " +
                       sim.endpoint() + "/_thaw/faults"),
            0);
  struct stat st;
  ASSERT_EQ(stat((mount.path() + "/dir/file").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 8);
  ASSERT_EQ(stat((mount.path() + "/dir/sub").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_NE(stat((mount.path() + "/dir/none").c_str(), &st), 0);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(ReadAll(mount.path() + "/dir/file"), "contents");
  std::string log = sim.Log();
  // The root was listed at mount time (DirCache::Prime); after the faults are set, dir/'s
  // listing (the sim logs the bucket, not the prefix), delayed, so logged after the HEAD.
  size_t head = log.find("HeadObject look/dir/file ");
  size_t list = log.find("ListObjectsV2 look/", log.find("/faults"));
  ASSERT_NE(head, std::string::npos) << log;
  ASSERT_NE(list, std::string::npos) << log;
  EXPECT_LT(head, list) << log;
  EXPECT_EQ(log.find("HeadObject look/dir/file ", head + 1), std::string::npos) << log;
}

TEST(MountLookupTest, TheRootIsListedAtMountTime) {
  // The mount lists its root in the background once mounted: the first path opened then needs
  // no LIST of the root first (one round trip fewer for `cat file` on a fresh mount).
  SimServer sim({"--log-level", "debug"});
  auto client = MakeTestClient(sim.endpoint());
  ASSERT_TRUE(client->CreateBucket("prime").ok());
  Put(*client, "prime", "top", "contents");
  MountProcess mount(sim.endpoint(), "s3://prime", {});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  auto lists = [&] {
    std::string log = sim.Log();
    int n = 0;
    for (size_t at = log.find("ListObjectsV2 prime/"); at != std::string::npos;
         at = log.find("ListObjectsV2 prime/", at + 1)) {
      ++n;
    }
    return n;
  };
  // The preflight's one-key check, then the root's listing.
  for (int i = 0; i < 500 && lists() < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(lists(), 2) << sim.Log();
  EXPECT_EQ(ReadAll(mount.path() + "/top"), "contents");
  EXPECT_EQ(lists(), 2) << sim.Log();
}

TEST_F(MountTest, KernelReadaheadFollowsTheOption) {
  // The kernel gives FUSE mounts 128 KiB of readahead whatever init asks; the mount raises it
  // so sequential reads arrive as 1 MiB requests (kernel_readahead.h).
  Put(*client_, kBucket, "f", "x");
  auto readahead_kb = [](const std::string& path) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) return std::string("stat failed");
    std::string bdi = std::to_string(major(st.st_dev)) + ":" + std::to_string(minor(st.st_dev));
    std::string kb = ReadAll("/sys/class/bdi/" + bdi + "/read_ahead_kb");
    return kb.empty() ? "no " + bdi : kb.substr(0, kb.find('\n'));
  };
  for (auto [flag, want] :
       {std::pair<std::string, std::string>{"", "1024"}, {"256KiB", "256"}, {"0", "128"}}) {
    std::vector<std::string> extra;
    if (!flag.empty()) extra = {"--read-ahead", flag};
    MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket, extra);
    ASSERT_TRUE(mount.mounted()) << mount.Log();
    EXPECT_EQ(readahead_kb(mount.path()), want) << "--read-ahead " << flag;
    EXPECT_EQ(ReadAll(mount.path() + "/f"), "x");
  }
}

TEST_F(MountTest, WritesAreUploadedOnClose) {
  Put(*client_, kBucket, "old", "old content");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  std::string data = RandomBytes(3 << 20, 9);
  { std::ofstream out(mount.path() + "/empty-new", std::ios::binary); }
  s3::HeadObjectRequest empty_head;
  empty_head.bucket = kBucket;
  empty_head.key = "empty-new";
  auto empty_info = client_->HeadObject(empty_head);
  ASSERT_TRUE(empty_info.ok()) << empty_info.status().ToString();
  EXPECT_EQ(empty_info->size, 0u);
  ASSERT_EQ(RunCommand("mkdir " + mount.path() + "/sub"), 0);
  {
    std::ofstream out(mount.path() + "/sub/written", std::ios::binary);
    out << data;
  }
  s3::GetObjectRequest get;
  get.bucket = kBucket;
  get.key = "sub/written";
  auto got = client_->GetObject(get);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(got->body == data);
  EXPECT_TRUE(ReadFile(mount.path() + "/sub/written") == data);
  {
    std::ofstream out(mount.path() + "/old", std::ios::binary | std::ios::trunc);
    out << "replaced";
  }
  get.key = "old";
  got = client_->GetObject(get);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->body, "replaced");
  ASSERT_EQ(unlink((mount.path() + "/old").c_str()), 0);
  s3::HeadObjectRequest head;
  head.bucket = kBucket;
  head.key = "old";
  EXPECT_TRUE(client_->HeadObject(head).status().IsNotFound());
}

TEST_F(MountTest, ReadOnlyRefusesWrites) {
  Put(*client_, kBucket, "f", "f");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket, {"--read-only"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  int fd = open((mount.path() + "/new").c_str(), O_WRONLY | O_CREAT, 0644);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EROFS);
  fd = open((mount.path() + "/f").c_str(), O_WRONLY);
  EXPECT_EQ(fd, -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(ReadFile(mount.path() + "/f"), "f");
}

TEST_F(MountTest, ReplacedObjectGivesEioNotMixedBytes) {
  std::string v1 = RandomBytes(40 << 20, 5);
  Put(*client_, kBucket, "changing", v1);
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  int fd = open((mount.path() + "/changing").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  EXPECT_TRUE(PRead(fd, 0, 4096) == v1.substr(0, 4096));
  Put(*client_, kBucket, "changing", RandomBytes(40 << 20, 6));
  int err = 0;
  // Past the first read's window (a file over 32 MiB starts at 8 MiB): this read needs a GET.
  const size_t kAt = (40 << 20) - 65536;
  std::string got = PRead(fd, kAt, 65536, &err);
  // Either the bytes of the version opened (already fetched) or EIO: never the new ones.
  if (got.empty()) {
    EXPECT_EQ(err, EIO);
  } else {
    EXPECT_TRUE(got == v1.substr(kAt, 65536));
  }
  close(fd);
  EXPECT_NE(mount.Log().find("replaced since it was opened"), std::string::npos) << mount.Log();
}

TEST_F(MountTest, FaultsGiveCorrectDataOrCleanEio) {
  std::string data = RandomBytes(24 << 20, 11);
  Put(*client_, kBucket, "faulty", data);
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket, {"--max-attempts", "4"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  // Faults only after the mount is up (the preflight listing must pass).
  std::string spec =
      "op=GetObject,rate=0.3,error=SlowDown;op=GetObject,rate=0.1,reset;"
      "op=GetObject,rate=0.1,truncate;op=*,latency=20ms";
  ASSERT_EQ(RunCommand(SimAdminCurl() + "-X PUT --data-binary '" + spec + "' " + sim_.endpoint() +
                       "/_thaw/faults"),
            0);
  for (int round = 0; round < 3; ++round) {
    int err = 0;
    std::string got = ReadFile(mount.path() + "/faulty", &err);
    if (err != 0) {
      EXPECT_EQ(err, EIO);
    } else {
      EXPECT_TRUE(got == data) << "round " << round;
    }
  }
  ASSERT_EQ(RunCommand(SimAdminCurl() + "-X DELETE " + sim_.endpoint() + "/_thaw/faults"), 0);
  EXPECT_TRUE(ReadFile(mount.path() + "/faulty") == data);
}

TEST_F(MountTest, DaemonReturnsOnceLiveAndReportsErrorsWithHints) {
  Put(*client_, kBucket, "f", "daemon data");
  TempDir dir;
  std::string mp = dir.path() + "/mnt";
  ASSERT_EQ(RunCommand("mkdir -p " + mp + " " + dir.path() + "/home"), 0);
  // Whatever fails below, no daemon mount outlives the test.
  struct Detach {
    std::string path;
    ~Detach() { umount2(path.c_str(), MNT_DETACH); }
  } detach{mp};
  auto env_with = [&](const std::string& secret) {
    std::string env;
    for (auto [k, v] : TestAwsEnv(dir.path() + "/home")) {
      if (k == "AWS_SECRET_ACCESS_KEY") v = secret;
      env += k + "='" + v + "' ";
    }
    return "env " + env + ThawBinary() + " --endpoint-url " + sim_.endpoint() + " --state-dir " +
           dir.path() + "/state ";
  };
  std::string thaw = env_with("testing");
  std::string out;
  // Missing bucket: non-zero, a message with a hint, nothing mounted.
  int rc = RunCommand(thaw + "mount s3://no-such-bucket " + mp + " 2>&1", &out);
  EXPECT_EQ(rc, 3) << out;
  EXPECT_NE(out.find("hint"), std::string::npos) << out;
  // Bad credentials.
  rc = RunCommand(env_with("wrong") + "mount s3://" + kBucket + " " + mp + " 2>&1", &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("credentials"), std::string::npos) << out;
  // Bad options are usage errors, found before anything starts.
  for (std::string bad : {"--archived maybe", "--file-mode 999", "--metadata-ttl soon",
                          "--restore-timeout 0", "--cache-size lots", "--read-ahead 65MiB",
                          "--fetch-threads 0", "--parallel-gets 0", "--parallel-gets 257"}) {
    rc = RunCommand(thaw + "mount s3://" + kBucket + " " + mp + " " + bad + " 2>&1", &out);
    EXPECT_EQ(rc, 2) << bad << ": " << out;
  }
  // Missing mount point.
  rc = RunCommand(thaw + "mount s3://" + kBucket + " " + dir.path() + "/nope 2>&1", &out);
  EXPECT_EQ(rc, 2) << out;
  // A good mount returns once live: the file is readable right after.
  rc = RunCommand(
      thaw + "mount s3://" + kBucket + " " + mp + " --log-file " + dir.path() + "/log 2>&1", &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("mounted s3://" + std::string(kBucket)), std::string::npos) << out;
  EXPECT_EQ(ReadFile(mp + "/f"), "daemon data");
  // Busy: mounting again on the same directory fails with a hint.
  rc = RunCommand(thaw + "mount s3://" + kBucket + " " + mp + " 2>&1", &out);
  EXPECT_NE(rc, 0) << out;
  EXPECT_NE(out.find("unmount"), std::string::npos) << out;
  rc = RunCommand(ThawBinary() + " unmount " + mp + " 2>&1", &out);
  if (rc != 0) umount2(mp.c_str(), MNT_DETACH);
  EXPECT_EQ(rc, 0) << out;
  struct stat a, b;
  ASSERT_EQ(stat(mp.c_str(), &a), 0);
  ASSERT_EQ(stat(dir.path().c_str(), &b), 0);
  EXPECT_EQ(a.st_dev, b.st_dev);  // no longer a mount point
}

TEST_F(MountTest, SigtermUnmountsCleanly) {
  Put(*client_, kBucket, "f", "x");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  EXPECT_EQ(ReadFile(mount.path() + "/f"), "x");
  mount.Signal(SIGTERM);
  EXPECT_TRUE(PollFor([&] { return !mount.running(); }, 20000)) << mount.Log();
  struct stat a, b;
  ASSERT_EQ(stat(mount.path().c_str(), &a), 0);
  ASSERT_EQ(stat(mount.dir().c_str(), &b), 0);
  EXPECT_EQ(a.st_dev, b.st_dev);
  EXPECT_NE(mount.Log().find("unmounted"), std::string::npos) << mount.Log();
}

}  // namespace
}  // namespace thaw::testing

namespace thaw::testing {
namespace {

TEST_F(MountTest, DiskCacheServesASecondReadWhenS3Fails) {
  std::string data = RandomBytes(12 << 20, 41);
  Put(*client_, kBucket, "cached", data);
  TempDir cache;
  MountProcess mount(
      sim_.endpoint(), std::string("s3://") + kBucket,
      {"--cache-dir", cache.path() + "/c", "--cache-size", "1GiB", "--max-attempts", "1"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  EXPECT_TRUE(ReadFile(mount.path() + "/cached") == data);
  // Every GET fails from now on; the kernel's page cache is dropped for the file.
  ASSERT_EQ(RunCommand(SimAdminCurl() + "-X PUT --data-binary 'op=GetObject,error=InternalError' " +
                       sim_.endpoint() + "/_thaw/faults"),
            0);
  int fd = open((mount.path() + "/cached").c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  std::string again = PRead(fd, 0, data.size());
  // Once more from the end backwards in odd sizes (random reads, parts split elsewhere again).
  ASSERT_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
  std::string backwards(data.size(), '\0');
  const size_t kChunk = 700 * 1024 + 3;
  for (size_t end = data.size(); end > 0;) {
    size_t off = end > kChunk ? end - kChunk : 0;
    std::string got = PRead(fd, off, end - off);
    ASSERT_EQ(got.size(), end - off) << "at " << off << "; log:\n" << mount.Log();
    backwards.replace(off, got.size(), got);
    end = off;
  }
  close(fd);
  EXPECT_TRUE(backwards == data);
  // The new open's reads arrive in whatever order the kernel hands them over, so its parts
  // are split differently from the first read's; the cache serves them all the same.
  EXPECT_TRUE(again == data) << "read " << again.size() << " of " << data.size() << " bytes; log:\n"
                             << mount.Log();
  for (const auto& e : std::filesystem::directory_iterator(cache.path() + "/c")) {
    struct stat st;
    ASSERT_EQ(stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
  }
}

}  // namespace
}  // namespace thaw::testing
