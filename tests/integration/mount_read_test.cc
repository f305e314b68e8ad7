// `thaw mount` reads at every file size, against `thaw sim` with real FUSE mounts: whole files
// from 1 byte to 128 MiB and the first 64 MiB of a larger one, compared byte for byte with the
// source, also under the sim's faults (connection resets, truncated bodies, SlowDown); many
// small files read by 16 threads, twice with a disk cache; no FLUSH for read-only closes; a
// replaced object never served from the disk cache; mmap reads.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

#include "integration/mount_env.h"

namespace thaw::testing {
namespace {

constexpr char kBucket[] = "reads";
constexpr uint64_t kMiB = 1 << 20;

class MountReadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = MakeTestClient(sim_.endpoint());
    ASSERT_TRUE(client_->CreateBucket(kBucket).ok());
  }
  void SetFaults(const std::string& spec) {
    ASSERT_EQ(RunCommand(SimAdminCurl() + "-X PUT --data-binary '" + spec + "' " + sim_.endpoint() +
                         "/_thaw/faults"),
              0);
  }
  SimServer sim_{{"--log-level", "debug"}};
  std::unique_ptr<s3::S3Client> client_;
};

// Reads `path` from its start in `chunk`-byte reads, at most `limit` bytes ("" and *err set
// on a failure).
std::string ReadPrefix(const std::string& path, uint64_t limit, size_t chunk, int* err) {
  int fd = open(path.c_str(), O_RDONLY);
  if (fd < 0) {
    *err = errno;
    return "";
  }
  std::string out;
  std::string buf(chunk, '\0');
  while (out.size() < limit) {
    ssize_t n = read(fd, buf.data(), std::min<uint64_t>(chunk, limit - out.size()));
    if (n < 0) {
      *err = errno;
      close(fd);
      return "";
    }
    if (n == 0) break;
    out.append(buf.data(), static_cast<size_t>(n));
  }
  close(fd);
  return out;
}

// Sizes around the prefetch's boundaries: the 256 KiB first part, 1 MiB, the 32 MiB first
// window, 8 MiB parts.
const std::vector<std::pair<std::string, uint64_t>>& Sizes() {
  static const std::vector<std::pair<std::string, uint64_t>> sizes = {
      {"s1", 1},
      {"s256k-1", 256 * 1024 - 1},
      {"s1m", kMiB},
      {"s1m+1", kMiB + 1},
      {"s8m+3", 8 * kMiB + 3},
      {"s32m", 32 * kMiB},
      {"s33m-7", 33 * kMiB - 7},
      {"s128m", 128 * kMiB},
  };
  return sizes;
}

TEST_F(MountReadTest, EverySizeReadsBackWholeAndTheFirst64MiBOfALargerFile) {
  std::map<std::string, std::string> data;
  for (const auto& [name, size] : Sizes()) {
    data[name] = RandomBytes(size, size);
    Put(*client_, kBucket, "sizes/" + name, data[name]);
  }
  std::string large = RandomBytes(200 * kMiB, 77);
  Put(*client_, kBucket, "large", large);
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  for (size_t chunk : {size_t{1} << 20, size_t{4096} * 3 + 1}) {
    for (const auto& [name, size] : Sizes()) {
      if (chunk < kMiB && size > 32 * kMiB) continue;  // odd small reads: the smaller files
      int err = 0;
      std::string got = ReadPrefix(mount.path() + "/sizes/" + name, size + 1, chunk, &err);
      EXPECT_EQ(err, 0) << name;
      EXPECT_EQ(got.size(), size) << name;
      EXPECT_TRUE(got == data[name]) << name << " read in " << chunk << "-byte reads";
    }
    // The page cache would answer the second round: drop it.
    ASSERT_EQ(RunCommand("sync; echo 1 > /proc/sys/vm/drop_caches"), 0);
  }
  int err = 0;
  std::string head = ReadPrefix(mount.path() + "/large", 64 * kMiB, kMiB, &err);
  EXPECT_EQ(err, 0);
  EXPECT_TRUE(head == large.substr(0, 64 * kMiB));
  EXPECT_TRUE(mount.Stop()) << mount.Log();
}

// Every file in its own directory: each read follows a cold lookup, so its first bytes come from
// the early GET sent with the directory's listing, which faults break as often as any other GET.
TEST_F(MountReadTest, ColdReadsUnderFaultsNeverGiveAWrongByte) {
  const int kFiles = 12;
  std::vector<std::string> data;
  for (int i = 0; i < kFiles; ++i) {
    data.push_back(RandomBytes(static_cast<size_t>(300 * 1024 + i * 97 * 1024), 900 + i));
    Put(*client_, kBucket, "c" + std::to_string(i) + "/file", data.back());
  }
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  SetFaults(
      "op=GetObject,rate=0.1,error=SlowDown;op=GetObject,rate=0.1,reset;"
      "op=GetObject,rate=0.1,truncate;op=*,latency=5ms");
  int good = 0;
  for (int i = 0; i < kFiles; ++i) {
    int err = 0;
    std::string path = mount.path() + "/c" + std::to_string(i) + "/file";
    std::string got = ReadPrefix(path, data[i].size() + 1, kMiB, &err);
    if (err != 0) {
      EXPECT_EQ(err, EIO) << path;
    } else {
      EXPECT_TRUE(got == data[i]) << path << ": " << got.size() << " bytes";
      good += got == data[i];
    }
  }
  EXPECT_GE(good, kFiles / 2) << mount.Log();
  SetFaults("");
  EXPECT_TRUE(mount.Stop()) << mount.Log();
}

TEST_F(MountReadTest, FaultsNeverGiveAWrongByteOrAHang) {
  std::map<std::string, std::string> data;
  for (const auto& [name, size] : Sizes()) {
    if (size > 33 * kMiB) continue;
    data[name] = RandomBytes(size, size + 1);
    Put(*client_, kBucket, "f/" + name, data[name]);
  }
  std::string large = RandomBytes(96 * kMiB, 78);
  Put(*client_, kBucket, "f/large", large);
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  SetFaults(
      "op=GetObject,rate=0.05,error=SlowDown;op=GetObject,rate=0.05,reset;"
      "op=GetObject,rate=0.05,truncate;op=*,latency=5ms");
  int wrong = 0, failed = 0, good = 0;
  for (int round = 0; round < 2; ++round) {
    for (const auto& [name, bytes] : data) {
      int err = 0;
      std::string got = ReadPrefix(mount.path() + "/f/" + name, bytes.size() + 1, kMiB, &err);
      if (err != 0) {
        EXPECT_EQ(err, EIO) << name;
        ++failed;
      } else if (got != bytes) {
        ++wrong;
        ADD_FAILURE() << name << ": " << got.size() << " bytes, not the source's " << bytes.size();
      } else {
        ++good;
      }
    }
    int err = 0;
    std::string head = ReadPrefix(mount.path() + "/f/large", 64 * kMiB, kMiB, &err);
    if (err == 0) {
      EXPECT_TRUE(head == large.substr(0, 64 * kMiB));
    } else {
      EXPECT_EQ(err, EIO);
    }
    ASSERT_EQ(RunCommand("sync; echo 1 > /proc/sys/vm/drop_caches"), 0);
  }
  EXPECT_EQ(wrong, 0);
  // The client retries each part (a broken body resumes where it stopped): nearly all succeed.
  EXPECT_GE(good, failed) << mount.Log();
  SetFaults("");
  for (const auto& [name, bytes] : data) {
    int err = 0;
    EXPECT_TRUE(ReadPrefix(mount.path() + "/f/" + name, bytes.size() + 1, kMiB, &err) == bytes)
        << name;
  }
}

TEST_F(MountReadTest, SixteenThreadsReadSmallFilesTwiceTheSecondTimeFromTheDiskCache) {
  const int kFiles = 400;
  const size_t kSize = 256 * 1024;
  for (int i = 0; i < kFiles; ++i) {
    Put(*client_, kBucket, "small/d" + std::to_string(i % 4) + "/f" + std::to_string(i),
        RandomBytes(kSize, 1000 + i));
  }
  TempDir cache;
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket,
                     {"--cache-dir", cache.path() + "/c", "--cache-size", "1GiB"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  auto epoch = [&] {
    std::atomic<int> next{0}, bad{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 16; ++t) {
      threads.emplace_back([&] {
        for (int i; (i = next.fetch_add(1)) < kFiles;) {
          std::string path =
              mount.path() + "/small/d" + std::to_string(i % 4) + "/f" + std::to_string(i);
          if (ReadAll(path) != RandomBytes(kSize, 1000 + i)) ++bad;
        }
      });
    }
    for (auto& t : threads) t.join();
    return bad.load();
  };
  EXPECT_EQ(epoch(), 0);
  size_t mark = sim_.Log().size();
  ASSERT_EQ(RunCommand("sync; echo 1 > /proc/sys/vm/drop_caches"), 0);
  EXPECT_EQ(epoch(), 0);
  // The second epoch's bytes came from the disk cache: no GET.
  EXPECT_EQ(sim_.Log().find(" GetObject ", mark), std::string::npos) << sim_.Log().substr(mark);
}

// A close() of a file opened for reading costs no FLUSH round trip (FOPEN_NOFLUSH); one of a
// file written still does, since that close uploads it and reports the upload's error.
TEST_F(MountReadTest, ClosingAFileOpenedForReadingSendsNoFlush) {
  for (int i = 0; i < 5; ++i) Put(*client_, kBucket, "nf/f" + std::to_string(i), "data");
  int port = FreePort();
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket,
                     {"--metrics-listen", "127.0.0.1:" + std::to_string(port)});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  ASSERT_TRUE(WaitForPort(port, 20000)) << mount.Log();
  auto flushes = [&] {
    std::string metrics;
    RunCommand("curl -s http://127.0.0.1:" + std::to_string(port) + "/metrics", &metrics);
    size_t at = metrics.find("\nthaw_fs_flushes_total ");
    return at == std::string::npos ? -1 : std::atoi(metrics.c_str() + at + 23);
  };
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(ReadAll(mount.path() + "/nf/f" + std::to_string(i)), "data");
  EXPECT_EQ(flushes(), 0);
  {
    std::ofstream out(mount.path() + "/nf/written");
    out << "new";
  }
  EXPECT_GE(flushes(), 1);
  EXPECT_EQ(ReadAll(mount.path() + "/nf/written"), "new");
}

// The disk cache never serves an old version: an object replaced since its bytes were cached
// (another ETag in the next listing) is fetched again, also when a directory walk passes over
// the files (it asks the cache about the listing's ETag).
TEST_F(MountReadTest, ADiskCacheEntryOfAReplacedObjectIsNotServed) {
  const int kFiles = 12;
  for (int i = 0; i < kFiles; ++i) {
    Put(*client_, kBucket, "rp/f" + std::to_string(10 + i), RandomBytes(4096, 300 + i));
  }
  TempDir cache;
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket,
                     {"--cache-dir", cache.path() + "/c", "--metadata-ttl", "1s"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  auto path = [&](int i) { return mount.path() + "/rp/f" + std::to_string(10 + i); };
  for (int i = 0; i < kFiles; ++i) ASSERT_TRUE(ReadAll(path(i)) == RandomBytes(4096, 300 + i));
  // Same size, other bytes: only the ETag tells the versions apart.
  for (int i = 0; i < kFiles; i += 2) {
    Put(*client_, kBucket, "rp/f" + std::to_string(10 + i), RandomBytes(4096, 900 + i));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_EQ(RunCommand("sync; echo 3 > /proc/sys/vm/drop_caches"), 0);
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_TRUE(ReadAll(path(i)) == RandomBytes(4096, (i % 2 == 0 ? 900 : 300) + i)) << i;
  }
}

TEST_F(MountReadTest, ALargeFileReadAgainComesFromTheDiskCacheByteForByte) {
  // Cached as the parts its first read fetched (256 KiB, then megabytes): the second read's
  // replies are spliced from several cache files per FUSE read, at offsets inside them.
  std::string data = RandomBytes(20 * kMiB + 7, 77);
  Put(*client_, kBucket, "cached/big", data);
  TempDir cache;
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket,
                     {"--cache-dir", cache.path() + "/c", "--cache-size", "1GiB"});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  std::string path = mount.path() + "/cached/big";
  int err = 0;
  ASSERT_TRUE(ReadPrefix(path, data.size(), kMiB, &err) == data) << err;
  size_t mark = sim_.Log().size();
  ASSERT_EQ(RunCommand("sync; echo 1 > /proc/sys/vm/drop_caches"), 0);
  // Odd-sized reads straddle the parts' boundaries.
  EXPECT_TRUE(ReadPrefix(path, data.size(), 300 * 1024 + 3, &err) == data) << err;
  EXPECT_EQ(sim_.Log().find(" GetObject ", mark), std::string::npos) << sim_.Log().substr(mark);
}

TEST_F(MountReadTest, MmapReadsMatchTheSource) {
  std::string data = RandomBytes(24 * kMiB + 100, 55);
  Put(*client_, kBucket, "mapped.bin", data);
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  std::string path = mount.path() + "/mapped.bin";
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  void* map = mmap(nullptr, data.size(), PROT_READ, MAP_SHARED, fd, 0);
  ASSERT_NE(map, MAP_FAILED) << std::strerror(errno);
  // Pages from the end backwards first (page faults out of order), then the whole mapping.
  const char* bytes = static_cast<const char*>(map);
  for (size_t off = data.size() - 1; off > 4096 * 64; off -= 4096 * 61) {
    ASSERT_EQ(bytes[off], data[off]) << off;
  }
  EXPECT_EQ(std::memcmp(bytes, data.data(), data.size()), 0);
  munmap(map, data.size());
  close(fd);
  // A program we did not write maps it too: numpy's memmap where numpy is installed, else
  // Python's mmap module; the digest of the mapped bytes against the source's.
  ASSERT_EQ(RunCommand("sync; echo 1 > /proc/sys/vm/drop_caches"), 0);
  std::string script = mount.dir() + "/map.py";
  {
    std::ofstream py(script);
    py << "import hashlib, sys\n"
          "path = sys.argv[1]\n"
          "try:\n"
          "    import numpy\n"
          "    view = numpy.memmap(path, dtype=numpy.uint8, mode='r')\n"
          "    print('numpy', hashlib.sha256(view.tobytes()).hexdigest())\n"
          "except ImportError:\n"
          "    import mmap\n"
          "    with open(path, 'rb') as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as m:\n"
          "        print('mmap', hashlib.sha256(m[:]).hexdigest())\n";
  }
  std::string out;
  ASSERT_EQ(RunCommand("python3 " + script + " " + path, &out), 0) << out;
  std::string want;
  std::string source = mount.dir() + "/source.bin";
  {
    std::ofstream f(source, std::ios::binary);
    f.write(data.data(), static_cast<std::streamsize>(data.size()));
  }
  ASSERT_EQ(RunCommand("sha256sum " + source + " | cut -d' ' -f1", &want), 0);
  EXPECT_EQ(out.substr(out.find(' ') + 1), want) << out;
}

}  // namespace
}  // namespace thaw::testing
