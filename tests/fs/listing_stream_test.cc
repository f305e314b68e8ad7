// ListingStream: entries served while pages arrive, offsets that stay valid, a directory that
// wins over a file of the same name across pages, errors after some entries; and DirCache
// handing out a listing before its last page.
#include "fs/listing_stream.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <thread>

#include "fs/dir_cache.h"
#include "s3/mock_client.h"

namespace thaw::fs {
namespace {

s3::ListObjectsPage Page(std::vector<std::string> keys, std::vector<std::string> prefixes) {
  s3::ListObjectsPage page;
  for (std::string& k : keys) {
    s3::ObjectSummary o;
    o.key = std::move(k);
    o.size = o.key.size();
    page.objects.push_back(std::move(o));
  }
  page.common_prefixes = std::move(prefixes);
  return page;
}

// Names (directories with a trailing '/') from `from` on, as far as they have arrived.
std::vector<std::string> Names(ListingStream& s, size_t from = 0) {
  std::vector<std::string> v;
  auto got = s.Read(from, 1000);
  EXPECT_TRUE(got.ok());
  if (!got.ok()) return v;
  for (const DirEntry* e : *got) v.push_back(e->name + (e->attr.is_dir ? "/" : ""));
  return v;
}

TEST(ListingStream, FileIsHeldBackUntilNoDirectoryOfItsNameCanFollow) {
  ListingStream s("p/", Clock::TimePoint{});
  // `a` < `a-b` < `a/` as keys: after this page a directory `a/` may still come.
  s.AddPage(Page({"p/a", "p/a-b"}, {}), false);
  EXPECT_TRUE(s.WaitFirstPage().ok());
  EXPECT_FALSE(s.done());
  // It comes: the directory wins, the file `a` is never handed out.
  s.AddPage(Page({"p/b"}, {"p/a/"}), false);
  EXPECT_EQ(Names(s), (std::vector<std::string>{"a/", "a-b"}));
  s.AddPage(Page({"p/c"}, {}), true);
  EXPECT_EQ(Names(s), (std::vector<std::string>{"a/", "a-b", "b", "c"}));
  // Offsets stay: reading again from any index gives the same entries.
  EXPECT_EQ(Names(s, 2), (std::vector<std::string>{"b", "c"}));
  auto listing = s.BuildListing();
  s.Complete(listing);
  EXPECT_EQ(Names(s, 4), std::vector<std::string>{});  // the end (it waited until complete)
  auto done = s.WaitComplete();
  ASSERT_TRUE(done.ok());
  ASSERT_EQ((*done)->entries.size(), 4u);
  EXPECT_TRUE((*done)->Find("a")->attr.is_dir);
  EXPECT_EQ((*done)->KeyOf(*(*done)->Find("a")), "p/a/");
}

TEST(ListingStream, ReadWaitsForThePageThatBringsTheEntry) {
  ListingStream s("", Clock::TimePoint{});
  s.AddPage(Page({"f1", "f2"}, {}), false);
  EXPECT_EQ(Names(s), std::vector<std::string>{"f1"});  // f2 waits for what follows
  auto later = std::async(std::launch::async, [&] { return Names(s, 1); });
  EXPECT_EQ(later.wait_for(std::chrono::milliseconds(50)), std::future_status::timeout);
  s.AddPage(Page({"f3"}, {}), true);
  EXPECT_EQ(later.get(), (std::vector<std::string>{"f2", "f3"}));
}

TEST(ListingStream, FailureKeepsEarlierEntriesAndEndsWithTheError) {
  ListingStream s("", Clock::TimePoint{});
  s.AddPage(Page({"a", "b"}, {}), false);
  s.Fail(Status::Unavailable("page 2 failed"));
  EXPECT_EQ(Names(s), std::vector<std::string>{"a"});
  auto past = s.Read(1, 10);
  ASSERT_FALSE(past.ok());
  EXPECT_EQ(past.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(s.WaitComplete().ok());
  EXPECT_TRUE(s.WaitFirstPage().ok());  // the open succeeded: entries were there
}

TEST(ListingStream, FailedFirstPageFailsTheOpen) {
  ListingStream s("", Clock::TimePoint{});
  s.Fail(Status::PermissionDenied("AccessDenied"));
  EXPECT_EQ(s.WaitFirstPage().code(), StatusCode::kPermissionDenied);
}

// The mock's second and later pages wait until the test lets them go.
class Gate {
 public:
  void Wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void Open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(DirCacheStreaming, FirstPageIsReadableWhileTheNextIsFetched) {
  FakeClock clock;
  s3::MockS3Client s3(clock);
  for (int i = 0; i < 2500; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "big/f%05d", i);
    s3.AddObject("b", key, "x");
  }
  Gate gate;
  std::atomic<int> lists{0};
  s3.SetHook([&](s3::Operation op) {
    if (op == s3::Operation::kList && lists.fetch_add(1) >= 1) gate.Wait();
  });
  DirCache cache(s3, "b", clock, std::chrono::seconds(60));
  std::shared_ptr<ListingStream> stream = cache.Open("big/");
  ASSERT_TRUE(stream->WaitFirstPage().ok());
  auto first = stream->Read(0, 5000);
  ASSERT_TRUE(first.ok());
  // The first page's entries (all but its last, held back until the next page), in order.
  EXPECT_EQ(first->size(), 999u);
  EXPECT_EQ((*first)[0]->name, "f00000");
  EXPECT_EQ((*first)[998]->name, "f00998");
  EXPECT_FALSE(stream->done());
  // A second reader of the same directory joins this listing instead of starting one.
  std::shared_ptr<ListingStream> again = cache.Open("big/");
  EXPECT_EQ(again, stream);
  gate.Open();
  auto all = stream->WaitComplete();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)->entries.size(), 2500u);
  // Every entry once, in key order (no directories here).
  auto rest = stream->Read(0, 5000);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->size(), 2500u);
  for (size_t i = 0; i < rest->size(); ++i) {
    char name[32];
    std::snprintf(name, sizeof(name), "f%05zu", i);
    ASSERT_EQ((*rest)[i]->name, name);
  }
  EXPECT_EQ(s3.Count(s3::Operation::kList), 3);
  // Cached: the next List sends nothing.
  ASSERT_TRUE(cache.List("big/").ok());
  EXPECT_EQ(s3.Count(s3::Operation::kList), 3);
}

TEST(DirCacheStreaming, InvalidatedListingUnderWayIsNotCached) {
  FakeClock clock;
  s3::MockS3Client s3(clock);
  for (int i = 0; i < 1500; ++i) s3.AddObject("b", "d/f" + std::to_string(i), "x");
  Gate gate;
  std::atomic<int> lists{0};
  s3.SetHook([&](s3::Operation op) {
    if (op == s3::Operation::kList && lists.fetch_add(1) == 1) gate.Wait();
  });
  DirCache cache(s3, "b", clock, std::chrono::seconds(60));
  auto stream = cache.Open("d/");
  ASSERT_TRUE(stream->WaitFirstPage().ok());
  cache.Invalidate("d/");  // a write in d/ while its second page is on the way
  gate.Open();
  ASSERT_TRUE(stream->WaitComplete().ok());
  EXPECT_EQ(cache.cached_entries(), 0u);
  ASSERT_TRUE(cache.List("d/").ok());  // listed again
  EXPECT_EQ(s3.Count(s3::Operation::kList), 4);
}

}  // namespace
}  // namespace thaw::fs
