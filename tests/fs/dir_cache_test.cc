// DirCache against the in-memory S3: names, implicit directories, odd keys, paging, TTL.
#include "fs/dir_cache.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "s3/mock_client.h"

namespace thaw::fs {
namespace {

std::vector<std::string> Names(const DirListing& l) {
  std::vector<std::string> v;
  for (auto& e : l.entries) v.push_back(e.name + (e.attr.is_dir ? "/" : ""));
  return v;
}

TEST(EntryName, RejectsWhatCannotBeAFileName) {
  EXPECT_EQ(EntryName("a/", "a/b"), "b");
  EXPECT_EQ(EntryName("a/", "a/b/"), "b");
  EXPECT_EQ(EntryName("", "top"), "top");
  EXPECT_FALSE(EntryName("a/", "a/"));                 // the directory's own marker
  EXPECT_FALSE(EntryName("a/", "a//"));                // empty segment
  EXPECT_FALSE(EntryName("a/", "a/./"));               // "."
  EXPECT_FALSE(EntryName("a/", "a/.."));               // ".."
  EXPECT_FALSE(EntryName("a/", "b/x"));                // not inside
  EXPECT_FALSE(EntryName("", std::string(300, 'n')));  // longer than NAME_MAX
}

class DirCacheTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  s3::MockS3Client s3_{clock_};
};

TEST_F(DirCacheTest, ListsFilesAndImplicitDirectories) {
  s3_.AddObject("b", "top", "1");
  s3_.AddObject("b", "d/x", "22");
  s3_.AddObject("b", "d/y/z", "333");
  s3_.AddObject("b", "cold", "4444", "GLACIER");
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  auto root = cache.List("");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(Names(**root), (std::vector<std::string>{"cold", "d/", "top"}));
  EXPECT_EQ((*root)->Find("cold")->attr.storage_class, "GLACIER");
  EXPECT_EQ((*root)->Find("cold")->attr.size, 4u);
  auto d = cache.List("d/");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(Names(**d), (std::vector<std::string>{"x", "y/"}));
  EXPECT_EQ((*d)->KeyOf(*(*d)->Find("y")), "d/y/");
  EXPECT_EQ((*d)->KeyOf(*(*d)->Find("x")), "d/x");
  EXPECT_EQ((*d)->Find("nope"), nullptr);
}

TEST_F(DirCacheTest, OddKeysAreSkippedAndDirectoriesWin) {
  for (std::string k :
       {"o/a//b", "o/./x", "o/../y", "o/", "o/m/", "o/m/in", "o/both", "o/both/c", "o/plain"}) {
    s3_.AddObject("b", k, "v");
  }
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  auto o = cache.List("o/");
  ASSERT_TRUE(o.ok());
  EXPECT_EQ(Names(**o), (std::vector<std::string>{"a/", "both/", "m/", "plain"}));
  auto a = cache.List("o/a/");
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE((*a)->entries.empty());  // only "o/a//", which has no name
  auto m = cache.List("o/m/");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(Names(**m), (std::vector<std::string>{"in"}));  // not the marker itself
}

TEST_F(DirCacheTest, PagesThroughLargeDirectories) {
  for (int i = 0; i < 2500; ++i) s3_.AddObject("b", "big/f" + std::to_string(i), "x");
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  auto l = cache.List("big/");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)->entries.size(), 2500u);
  EXPECT_EQ(s3_.Count(s3::Operation::kList), 3);
}

TEST_F(DirCacheTest, CachesForTheTtl) {
  s3_.AddObject("b", "f", "x");
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  ASSERT_TRUE(cache.List("").ok());
  ASSERT_TRUE(cache.List("").ok());
  EXPECT_EQ(s3_.Count(s3::Operation::kList), 1);
  s3_.AddObject("b", "g", "y");
  clock_.Advance(std::chrono::seconds(61));
  auto l = cache.List("");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(s3_.Count(s3::Operation::kList), 2);
  EXPECT_NE((*l)->Find("g"), nullptr);
  cache.Invalidate("");
  ASSERT_TRUE(cache.List("").ok());
  EXPECT_EQ(s3_.Count(s3::Operation::kList), 3);
}

TEST_F(DirCacheTest, ConcurrentCallersShareOneListing) {
  for (int i = 0; i < 10; ++i) s3_.AddObject("b", "f" + std::to_string(i), "x");
  s3_.SetHook([](s3::Operation) { std::this_thread::sleep_for(std::chrono::milliseconds(20)); });
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) threads.emplace_back([&] { EXPECT_TRUE(cache.List("").ok()); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(s3_.Count(s3::Operation::kList), 1);
}

TEST_F(DirCacheTest, UpsertAndRemoveEditTheCachedListing) {
  s3_.AddObject("b", "f", "x");
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  ASSERT_TRUE(cache.List("").ok());
  cache.Upsert("", DirEntry{"new", Attributes{}});
  auto l = cache.List("");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(Names(**l), (std::vector<std::string>{"f", "new"}));
  cache.Remove("", "f");
  EXPECT_EQ(Names(**cache.List("")), (std::vector<std::string>{"new"}));
}

TEST_F(DirCacheTest, LeastRecentlyUsedListingIsDroppedAndListedAgain) {
  for (int i = 0; i < 3; ++i) s3_.AddObject("b", "a/f" + std::to_string(i), "x");
  for (int i = 0; i < 3; ++i) s3_.AddObject("b", "b/f" + std::to_string(i), "yy");
  s3_.AddObject("b", "c/f", "zzz", "GLACIER");
  // Room for five entries: a/ and b/ (three each) cannot both stay.
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60), 5);
  ASSERT_TRUE(cache.List("a/").ok());
  ASSERT_TRUE(cache.List("c/").ok());
  EXPECT_EQ(cache.cached_entries(), 4u);
  ASSERT_TRUE(cache.List("c/").ok());  // c/ is now used more recently than a/
  ASSERT_TRUE(cache.List("b/").ok());  // a/ goes
  EXPECT_EQ(cache.cached_entries(), 4u);
  EXPECT_TRUE(cache.Fresh("b/"));
  EXPECT_TRUE(cache.Fresh("c/"));
  EXPECT_FALSE(cache.Fresh("a/"));
  int lists = s3_.Count(s3::Operation::kList);
  auto a = cache.List("a/");  // listed again, complete and correct
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(s3_.Count(s3::Operation::kList), lists + 1);
  EXPECT_EQ(Names(**a), (std::vector<std::string>{"f0", "f1", "f2"}));
  EXPECT_EQ((*a)->KeyOf((*a)->entries[1]), "a/f1");
  EXPECT_EQ((*a)->entries[1].attr.size, 1u);
  s3::HeadObjectRequest head;
  head.bucket = "b";
  head.key = "a/f1";
  EXPECT_EQ((*a)->entries[1].attr.etag, s3_.HeadObject(head)->etag);
  auto c = cache.List("c/");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Find("f")->attr.storage_class, "GLACIER");
}

TEST_F(DirCacheTest, ListingLargerThanTheBudgetIsReturnedButNotKept) {
  for (int i = 0; i < 6; ++i) s3_.AddObject("b", "big/f" + std::to_string(i), "x");
  s3_.AddObject("b", "small/f", "x");
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60), 5);
  ASSERT_TRUE(cache.List("small/").ok());
  auto big = cache.List("big/");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ((*big)->entries.size(), 6u);  // the caller (an open directory) has all of it
  EXPECT_FALSE(cache.Fresh("big/"));
  EXPECT_TRUE(cache.Fresh("small/"));  // and the small one was not pushed out for nothing
  EXPECT_EQ(cache.cached_entries(), 1u);
  int lists = s3_.Count(s3::Operation::kList);
  auto again = cache.List("big/");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(s3_.Count(s3::Operation::kList), lists + 1);
  EXPECT_EQ(Names(**again), Names(**big));
}

TEST_F(DirCacheTest, DirectoryWinsOverFileOfTheSameNameInAnyOrder) {
  // As keys "x-y" < "x/" < "x0", as names "x" < "x-y" < "x0": the listing is sorted by name.
  s3_.AddObject("b", "x", "file");
  s3_.AddObject("b", "x-y", "1");
  s3_.AddObject("b", "x/in", "2");
  s3_.AddObject("b", "x0", "3");
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  auto l = cache.List("");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(Names(**l), (std::vector<std::string>{"x/", "x-y", "x0"}));
  EXPECT_EQ((*l)->KeyOf(*(*l)->Find("x")), "x/");
}

TEST_F(DirCacheTest, ListingErrorsArePassedOn) {
  s3_.FailNext(s3::Operation::kList, 500, "InternalError", 10);
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  EXPECT_FALSE(cache.List("").ok());
}

// Polls `done` for up to 5 s (the prime runs on a thread of its own).
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 500 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

TEST_F(DirCacheTest, PrimeCachesADirectoryOfOnePage) {
  s3_.AddObject("b", "top", "1");
  s3_.AddObject("b", "d/x", "22");
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  cache.Prime("");
  ASSERT_TRUE(Eventually([&] { return cache.Fresh(""); }));
  auto root = cache.List("");
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(Names(**root), (std::vector<std::string>{"d/", "top"}));
  EXPECT_EQ(s3_.Count(s3::Operation::kList), 1);
  cache.Prime("");  // already cached: nothing sent
  EXPECT_EQ(s3_.Count(s3::Operation::kList), 1);
}

TEST_F(DirCacheTest, PrimeShowsItsFirstPageOrAnEmptyOneWhenThereIsNone) {
  for (int i = 0; i < 1500; ++i) s3_.AddObject("b", "big/f" + std::to_string(i), "x");
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  std::mutex mu;
  std::vector<size_t> seen;  // the objects of each page shown
  auto watch = [&](const s3::ListObjectsPage& page) {
    std::lock_guard lock(mu);
    seen.push_back(page.objects.size());
  };
  cache.Prime("big/", watch);
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return !seen.empty();
  }));
  auto l = cache.List("big/");  // its second page is not shown
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)->entries.size(), 1500u);
  cache.Prime("big/", watch);  // cached already: nothing to list, an empty page
  s3_.FailNext(s3::Operation::kList, 403, "AccessDenied", 10);
  cache.Prime("denied/", watch);  // the listing failed: an empty page
  ASSERT_TRUE(Eventually([&] {
    std::lock_guard lock(mu);
    return seen.size() == 3;
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, (std::vector<size_t>{1000, 0, 0}));
}

TEST_F(DirCacheTest, PrimeLeavesADirectoryOfManyPagesToItsFirstUser) {
  for (int i = 0; i < 2500; ++i) s3_.AddObject("b", "big/f" + std::to_string(i), "x");
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  cache.Prime("big/");
  ASSERT_TRUE(Eventually([&] { return s3_.Count(s3::Operation::kList) == 1; }));
  // A walk on would have sent the other two pages by now.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(s3_.Count(s3::Operation::kList), 1);
  EXPECT_FALSE(cache.Fresh("big/"));
  auto l = cache.List("big/");  // listed whole when used
  ASSERT_TRUE(l.ok());
  EXPECT_EQ((*l)->entries.size(), 2500u);
  EXPECT_EQ(s3_.Count(s3::Operation::kList), 4);
}

TEST_F(DirCacheTest, PrimeJoinedByALookupListsEveryPage) {
  for (int i = 0; i < 2500; ++i) s3_.AddObject("b", "big/f" + std::to_string(i), "x");
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  s3_.SetHook([&](s3::Operation op) {
    if (op != s3::Operation::kList) return;
    std::unique_lock lock(mu);
    if (entered) return;  // only the first page waits
    entered = true;
    cv.notify_all();
    cv.wait(lock, [&] { return release; });
  });
  DirCache cache(s3_, "b", clock_, std::chrono::seconds(60));
  cache.Prime("big/");
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  Result<std::shared_ptr<const DirListing>> joined = Status::Internal("not listed");
  std::thread user([&] { joined = cache.List("big/"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the user joins the prime
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  user.join();
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ((*joined)->entries.size(), 2500u);
  EXPECT_EQ(s3_.Count(s3::Operation::kList), 3);  // one walk, shared
  EXPECT_TRUE(cache.Fresh("big/"));
}

}  // namespace
}  // namespace thaw::fs
