// DiskCache: hits, misses, LRU eviction at capacity, file modes, leftovers removed at open; and
// a reader served from the cache on a second read without any GET.
#include "fs/disk_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "fs/prefetch.h"
#include "s3/mock_client.h"
#include "support/test_env.h"

namespace thaw::fs {
namespace {

TEST(DiskCache, StoresAndEvictsLeastRecentlyUsed) {
  testing::TempDir dir;
  auto cache = DiskCache::Open(dir.path() + "/c", 10);
  ASSERT_TRUE(cache.ok());
  DiskCache& c = **cache;
  c.Put("a", "1234");
  c.Put("b", "5678");
  EXPECT_EQ(c.Get("a"), "1234");  // a is now the most recent
  c.Put("c", "9abc");             // 12 bytes > 10: b goes
  EXPECT_EQ(c.Get("b"), std::nullopt);
  EXPECT_EQ(c.Get("a"), "1234");
  EXPECT_EQ(c.Get("c"), "9abc");
  EXPECT_EQ(c.used_bytes(), 8u);
  c.Put("big", std::string(11, 'x'));  // larger than the whole cache: not kept
  EXPECT_EQ(c.Get("big"), std::nullopt);
  EXPECT_EQ(c.Get("nope"), std::nullopt);
}

TEST(DiskCache, FilesArePrivateAndLeftoversAreRemoved) {
  testing::TempDir dir;
  std::string path = dir.path() + "/c";
  {
    auto cache = DiskCache::Open(path, 1000);
    ASSERT_TRUE(cache.ok());
    (*cache)->Put("id", "data");
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
  EXPECT_EQ((*reopened)->Get("id"), std::nullopt);
  EXPECT_TRUE(std::filesystem::is_empty(path));
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
}

}  // namespace
}  // namespace thaw::fs
