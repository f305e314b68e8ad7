// Early GETs (the first bytes of a name asked for while its lookup lists the directory) against
// the in-memory S3: a reader of the version they read sends no GET of its own for them; any
// other version, a failure or an old one is never used.
#include "fs/early_get.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <thread>

#include "fs/prefetch.h"
#include "s3/mock_client.h"

namespace thaw::fs {
namespace {

constexpr uint64_t kMiB = 1 << 20;
using s3::Operation;

std::string Bytes(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

class EarlyGetTest : public ::testing::Test {
 protected:
  std::string Etag(const std::string& key) {
    s3::HeadObjectRequest h{"b", key, ""};
    return s3_.HeadObject(h)->etag;
  }
  // Reads the whole object through a reader given `early`, in 1 MiB reads.
  std::string ReadAll(const std::string& key, const std::string& etag, uint64_t size,
                      std::shared_ptr<EarlyGet> early) {
    ObjectReader reader(s3_, pool_, budget_, ReadOptions{}, "b", key, etag, size, nullptr,
                        std::move(early));
    std::string out;
    for (uint64_t off = 0; off < size; off += kMiB) {
      auto got = reader.Read(off, kMiB);
      EXPECT_TRUE(got.ok()) << got.status().ToString();
      if (!got.ok()) break;
      out += *got;
    }
    return out;
  }

  FakeClock clock_;
  s3::MockS3Client s3_{clock_};
  FetchPool pool_{4};
  PrefetchBudget budget_{64 * kMiB};
  EarlyGets early_{s3_, pool_, "b", kMiB, clock_};
};

TEST_F(EarlyGetTest, ASmallFileReadAfterItsLookupCostsOneGet) {
  std::string data = Bytes(600 * 1024 + 7, 1);
  s3_.AddObject("b", "dir/small", data);
  std::string etag = Etag("dir/small");
  early_.Start("dir/small");
  early_.Start("dir/small");  // the kernel looking the name up again: still one GET
  auto early = early_.Take("dir/small");
  ASSERT_NE(early, nullptr);
  EXPECT_EQ(early_.Take("dir/small"), nullptr) << "an early GET serves one open";
  EXPECT_TRUE(ReadAll("dir/small", etag, data.size(), early) == data);
  EXPECT_EQ(s3_.Count(Operation::kGet), 1);
  EXPECT_EQ(early_.started(), 1);
}

TEST_F(EarlyGetTest, AnOpenFileLetsGoOfTheEarlyBytesOnceItTookThemAll) {
  std::string data = Bytes(600 * 1024, 6);
  s3_.AddObject("b", "f", data);
  early_.Start("f");
  auto early = early_.Take("f");
  ASSERT_NE(early, nullptr);
  ObjectReader reader(s3_, pool_, budget_, ReadOptions{}, "b", "f", Etag("f"), data.size(), nullptr,
                      early);
  auto got = reader.Read(0, kMiB);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == data);
  // Only this test still holds the early GET's megabyte, though the file is still open (a fetch
  // thread may hold it a moment longer, until its part is published).
  for (int i = 0; i < 1000 && early.use_count() > 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(early.use_count(), 1);
  EXPECT_EQ(s3_.Count(Operation::kGet), 1);
}

TEST_F(EarlyGetTest, ALargerFileGetsTheRestWithItsOwnGets) {
  std::string data = Bytes(3 * kMiB + 11, 2);
  s3_.AddObject("b", "big", data);
  std::string etag = Etag("big");
  early_.Start("big");
  auto early = early_.Take("big");
  ASSERT_NE(early, nullptr);
  EXPECT_TRUE(ReadAll("big", etag, data.size(), early) == data);
  EXPECT_GE(s3_.Count(Operation::kGet), 2);
}

TEST_F(EarlyGetTest, AnotherVersionIsNeverUsed) {
  s3_.AddObject("b", "k", Bytes(500 * 1024, 3));
  early_.Start("k");
  auto early = early_.Take("k");
  ASSERT_NE(early, nullptr);
  ASSERT_FALSE(early->Bytes("\"other\"", 500 * 1024).has_value());  // waits for the answer
  // Replaced between the early GET and the open: the open pins the new version.
  std::string now = Bytes(500 * 1024, 4);
  s3_.AddObject("b", "k", now);
  EXPECT_TRUE(ReadAll("k", Etag("k"), now.size(), early) == now);
  EXPECT_GE(s3_.Count(Operation::kGet), 2) << "the reader fetched the new version itself";
}

TEST_F(EarlyGetTest, AFailedEarlyGetMakesTheReaderFetchItself) {
  early_.Start("late");  // no such key yet: 404
  auto early = early_.Take("late");
  ASSERT_NE(early, nullptr);
  std::string data = Bytes(100, 5);
  s3_.AddObject("b", "late", data);
  EXPECT_TRUE(ReadAll("late", Etag("late"), data.size(), early) == data);
}

TEST_F(EarlyGetTest, OldOrDroppedOnesAreNotTakenAndDirectoriesGetNone) {
  s3_.AddObject("b", "a", "x");
  early_.Start("a");
  clock_.Advance(EarlyGets::kMaxAge);
  EXPECT_EQ(early_.Take("a"), nullptr);
  early_.Start("a");
  early_.Drop("a");
  EXPECT_EQ(early_.Take("a"), nullptr);
  early_.Start("dir/");
  EXPECT_EQ(early_.started(), 2);
  EarlyGets off(s3_, pool_, "b", 0, clock_);
  off.Start("a");
  EXPECT_EQ(off.started(), 0);
}

TEST_F(EarlyGetTest, AtMostKMaxHeldAreHeld) {
  for (size_t i = 0; i < EarlyGets::kMaxHeld + 5; ++i) early_.Start("k" + std::to_string(i));
  EXPECT_EQ(early_.started(), static_cast<int>(EarlyGets::kMaxHeld));
}

TEST_F(EarlyGetTest, PrefetchesAreCappedByBytesAndServeTheVersionListed) {
  std::string data = Bytes(300 * 1024, 9);
  for (int i = 0; i < 200; ++i) s3_.AddObject("b", "p" + std::to_string(i), data);
  std::string etag = Etag("p0");
  int sent = 0;
  while (early_.Prefetch("p" + std::to_string(sent), etag, data.size(), 0)) ++sent;
  EXPECT_EQ(static_cast<uint64_t>(sent), EarlyGets::kMaxPrefetchBytes / data.size());
  EXPECT_TRUE(early_.Prefetch("p0", etag, data.size(), 0)) << "already held";
  EXPECT_EQ(early_.prefetched(), sent);
  auto early = early_.Take("p1");
  ASSERT_NE(early, nullptr);
  EXPECT_TRUE(ReadAll("p1", etag, data.size(), early) == data);
  EXPECT_TRUE(early_.Prefetch("p" + std::to_string(sent), etag, data.size(), 0))
      << "taking one makes room";
  // Another version than the listing said: If-Match fails, the reader's own GET decides.
  s3_.AddObject("b", "p2", Bytes(300 * 1024, 10));
  early_.Drop("p2");
  ASSERT_TRUE(early_.Prefetch("p2", etag, data.size(), 0));
  auto stale = early_.Take("p2");
  ASSERT_NE(stale, nullptr);
  EXPECT_EQ(stale->Bytes(etag, data.size()), std::nullopt);
  clock_.Advance(EarlyGets::kPrefetchMaxAge);
  EXPECT_EQ(early_.Take("p3"), nullptr) << "too old";
}

}  // namespace
}  // namespace thaw::fs
