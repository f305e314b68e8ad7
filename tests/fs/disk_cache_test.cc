// DiskCache: hits, misses, LRU eviction at capacity, file modes, leftovers removed at open; and
// a reader served from the cache on a second read without any GET.
#include "fs/disk_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "fs/prefetch.h"
#include "s3/mock_client.h"
#include "support/hostile_keys.h"
#include "support/test_env.h"

namespace thaw::fs {
namespace {

std::optional<std::string> Get(DiskCache& c, const std::string& object, uint64_t first,
                               uint64_t length) {
  std::string out = "prefix:";
  if (!c.Read(object, first, length, &out)) {
    EXPECT_EQ(out, "prefix:");  // a miss leaves the buffer as it was
    return std::nullopt;
  }
  EXPECT_EQ(out.substr(0, 7), "prefix:");
  return out.substr(7);
}

TEST(DiskCache, StoresAndEvictsLeastRecentlyUsed) {
  testing::TempDir dir;
  auto cache = DiskCache::Open(dir.path() + "/c", 10);
  ASSERT_TRUE(cache.ok());
  DiskCache& c = **cache;
  c.Put("a", 0, "1234");
  c.Put("b", 0, "5678");
  EXPECT_EQ(Get(c, "a", 0, 4), "1234");  // a is now the most recent
  c.Put("c", 0, "9abc");                 // 12 bytes > 10: b goes
  EXPECT_EQ(Get(c, "b", 0, 4), std::nullopt);
  EXPECT_EQ(Get(c, "a", 0, 4), "1234");
  EXPECT_EQ(Get(c, "c", 0, 4), "9abc");
  EXPECT_EQ(c.used_bytes(), 8u);
  c.Put("big", 0, std::string(11, 'x'));  // larger than the whole cache: not kept
  EXPECT_EQ(Get(c, "big", 0, 11), std::nullopt);
  EXPECT_EQ(Get(c, "nope", 0, 1), std::nullopt);
}

TEST(DiskCache, HostileKeysNeverReachFileNames) {
  testing::TempDir dir;
  std::string root = dir.path() + "/c";
  auto cache = DiskCache::Open(root, 1 << 20);
  ASSERT_TRUE(cache.ok());
  std::vector<std::string> objects;
  for (const auto& k : testing::HostileKeys(dir.path() + "/canary")) {
    objects.push_back("lab/data/" + k.name);
  }
  objects.push_back("lab/../../../../tmp/escape");
  for (size_t i = 0; i < objects.size(); ++i) (*cache)->Put(objects[i], 0, std::to_string(i));
  for (size_t i = 0; i < objects.size(); ++i) {
    EXPECT_EQ(Get(**cache, objects[i], 0, std::to_string(i).size()), std::to_string(i));
  }
  // Every file sits directly in the cache directory under a name made of hashes and offsets.
  size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (e.is_directory()) {
      EXPECT_EQ(e.path().string(), root);
      continue;
    }
    ++files;
    EXPECT_EQ(e.path().parent_path().string(), root);
    std::string name = e.path().filename().string();
    EXPECT_EQ(name.find_first_not_of("0123456789abcdef-.part"), std::string::npos) << name;
  }
  EXPECT_EQ(files, objects.size());
}

TEST(DiskCache, ARangeIsFoundWhateverPartsItWasStoredAs) {
  testing::TempDir dir;
  auto cache = DiskCache::Open(dir.path() + "/c", 1000);
  ASSERT_TRUE(cache.ok());
  DiskCache& c = **cache;
  const std::string data = "abcdefghijklmnopqrstuvwxyz0123456789";
  // Stored as three parts, one of them overlapping another.
  c.Put("o", 0, data.substr(0, 10));
  c.Put("o", 8, data.substr(8, 12));
  c.Put("o", 20, data.substr(20));
  EXPECT_EQ(Get(c, "o", 0, data.size()), data);  // across all three
  EXPECT_EQ(Get(c, "o", 5, 10), data.substr(5, 10));
  EXPECT_EQ(Get(c, "o", 9, 1), data.substr(9, 1));  // inside the overlap
  EXPECT_EQ(Get(c, "o", 19, 3), data.substr(19, 3));
  EXPECT_EQ(Get(c, "o", 30, 6), data.substr(30));
  EXPECT_EQ(Get(c, "o", 30, 7), std::nullopt);  // one byte past what is stored
  EXPECT_EQ(Get(c, "other", 0, 1), std::nullopt);
  // Bytes already covered are not stored again.
  size_t entries = c.entries();
  uint64_t used = c.used_bytes();
  c.Put("o", 3, data.substr(3, 20));
  EXPECT_EQ(c.entries(), entries);
  EXPECT_EQ(c.used_bytes(), used);
}

TEST(DiskCache, AHoleIsAMiss) {
  testing::TempDir dir;
  auto cache = DiskCache::Open(dir.path() + "/c", 1000);
  ASSERT_TRUE(cache.ok());
  DiskCache& c = **cache;
  c.Put("o", 0, "0123");
  c.Put("o", 6, "6789");
  EXPECT_EQ(Get(c, "o", 2, 6), std::nullopt);
  EXPECT_EQ(Get(c, "o", 4, 2), std::nullopt);
  EXPECT_EQ(Get(c, "o", 6, 2), "67");
}

TEST(DiskCache, FilesArePrivateAndLeftoversAreRemoved) {
  testing::TempDir dir;
  std::string path = dir.path() + "/c";
  {
    auto cache = DiskCache::Open(path, 1000);
    ASSERT_TRUE(cache.ok());
    (*cache)->Put("id", 0, "data");
  }
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  int parts = 0;
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    ASSERT_EQ(stat(e.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    ++parts;
  }
  EXPECT_EQ(parts, 1);
  auto reopened = DiskCache::Open(path, 1000);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(Get(**reopened, "id", 0, 4), std::nullopt);
  EXPECT_TRUE(std::filesystem::is_empty(path));
}

TEST(DiskCache, AnEntryWhoseFileWasReplacedIsAMissNotWrongBytes) {
  testing::TempDir dir;
  std::string path = dir.path() + "/c";
  auto cache = DiskCache::Open(path, 1000);
  ASSERT_TRUE(cache.ok());
  (*cache)->Put("x", 0, "data");
  // Another entry's header in the file (what a hash collision would leave behind).
  for (const auto& e : std::filesystem::directory_iterator(path)) {
    std::FILE* f = std::fopen(e.path().c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::fputs("y\n0+4", f);
    std::fputc('\0', f);
    std::fputs("DATA", f);
    std::fclose(f);
  }
  EXPECT_EQ(Get(**cache, "x", 0, 4), std::nullopt);
}

TEST(DiskCache, SecondReadOfAFileComesFromTheCache) {
  testing::TempDir dir;
  auto cache = DiskCache::Open(dir.path() + "/c", 1ull << 30);
  ASSERT_TRUE(cache.ok());
  FakeClock clock;
  s3::MockS3Client s3(clock);
  std::string data(20 << 20, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 4096);
  s3.AddObject("b", "k", data);
  s3::HeadObjectRequest h{"b", "k", ""};
  std::string etag = s3.HeadObject(h)->etag;
  FetchPool pool(4);
  PrefetchBudget budget(64 << 20);
  ReadOptions options;
  auto read_all = [&] {
    ObjectReader reader(s3, pool, budget, options, "b", "k", etag, data.size(), cache->get());
    std::string out;
    for (uint64_t off = 0; off < data.size(); off += 128 * 1024) {
      auto got = reader.Read(off, 128 * 1024);
      if (!got.ok()) return std::string("<error>");
      out += *got;
    }
    return out;
  };
  EXPECT_TRUE(read_all() == data);
  int gets = s3.Count(s3::Operation::kGet);
  EXPECT_GT(gets, 0);
  EXPECT_TRUE(read_all() == data);
  EXPECT_EQ(s3.Count(s3::Operation::kGet), gets);

  // Read again in another order and other sizes: the reader plans other parts (random reads,
  // a window starting elsewhere), and each is still served from what the first read stored.
  ObjectReader reader(s3, pool, budget, options, "b", "k", etag, data.size(), cache->get());
  const uint64_t kChunk = 300 * 1024 + 7;
  std::string out(data.size(), '\0');
  for (uint64_t end = data.size(); end > 0;) {
    uint64_t off = end > kChunk ? end - kChunk : 0;
    auto got = reader.Read(off, end - off);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    out.replace(off, got->size(), *got);
    end = off;
  }
  EXPECT_TRUE(out == data);
  EXPECT_EQ(s3.Count(s3::Operation::kGet), gets);
}

// What a spliced reply reads: the slices' bytes, read from their fds, are the range asked for.
std::optional<std::string> SliceBytes(DiskCache& c, const std::string& object, uint64_t first,
                                      uint64_t length) {
  std::vector<DiskCache::FileSlice> slices;
  if (!c.OpenSlices(object, first, length, &slices)) {
    EXPECT_TRUE(slices.empty());
    return std::nullopt;
  }
  std::string out;
  for (const auto& s : slices) {
    std::string buf(s.length, '\0');
    EXPECT_EQ(pread(s.fd, buf.data(), buf.size(), static_cast<off_t>(s.offset)),
              static_cast<ssize_t>(buf.size()));
    close(s.fd);
    out += buf;
  }
  return out;
}

TEST(DiskCache, SlicesForASplicedReplyCoverTheRangeAcrossEntries) {
  testing::TempDir dir;
  auto cache = DiskCache::Open(dir.path() + "/c", 1 << 20);
  ASSERT_TRUE(cache.ok());
  DiskCache& c = **cache;
  c.Put("obj", 0, "abcdef");
  c.Put("obj", 6, "ghij");
  uint64_t hits = c.hits();
  EXPECT_EQ(SliceBytes(c, "obj", 2, 7), "cdefghi");
  EXPECT_EQ(SliceBytes(c, "obj", 0, 10), "abcdefghij");
  EXPECT_EQ(c.hits(), hits + 2);
  EXPECT_EQ(SliceBytes(c, "obj", 5, 6), std::nullopt) << "byte 10 is not cached";
  EXPECT_EQ(SliceBytes(c, "other", 0, 1), std::nullopt);
  EXPECT_TRUE(c.Covers("obj", 0, 10));
  EXPECT_TRUE(c.Covers("obj", 3, 7));
  EXPECT_FALSE(c.Covers("obj", 0, 11));
  EXPECT_FALSE(c.Covers("obj", 0, 0));
  EXPECT_FALSE(c.Covers("other", 0, 1));
  // An entry whose file went away: a miss, nothing left open.
  for (const auto& e : std::filesystem::directory_iterator(dir.path() + "/c")) {
    std::filesystem::remove(e.path());
  }
  EXPECT_EQ(SliceBytes(c, "obj", 0, 10), std::nullopt);
}

}  // namespace
}  // namespace thaw::fs
