// The read path without FUSE: prefetch window logic, and ObjectReader against the in-memory S3
// (bytes equal to the source, read-ahead in parallel parts, the budget, the pinned ETag).
#include "fs/prefetch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "s3/error.h"
#include "s3/mock_client.h"

namespace thaw::fs {
namespace {

constexpr uint64_t kMiB = 1 << 20;

TEST(PrefetchWindow, GrowsWithWhatTheReaderConsumedUpToTheCap) {
  PrefetchWindow w(1 * kMiB, 8 * kMiB);
  EXPECT_EQ(w.OnRead(0, 4096), 1 * kMiB + 4 * 4096);
  // Many small reads grow it by what they read, not by their number.
  EXPECT_EQ(w.OnRead(4096, 4096), 1 * kMiB + 4 * 8192);
  EXPECT_EQ(w.OnRead(8192, kMiB - 8192), 5 * kMiB);
  EXPECT_EQ(w.OnRead(kMiB, kMiB), 8 * kMiB);
  EXPECT_EQ(w.OnRead(2 * kMiB, kMiB), 8 * kMiB);
  EXPECT_TRUE(w.last_sequential());
}

TEST(PrefetchWindow, AFileReadFromItsStartGetsTheFirstWindowAtOnce) {
  PrefetchWindow w(1 * kMiB, 256 * kMiB, 32 * kMiB);
  EXPECT_EQ(w.window(), 32 * kMiB);
  EXPECT_EQ(w.OnRead(0, kMiB), 36 * kMiB);
  EXPECT_EQ(w.OnRead(kMiB, 15 * kMiB), 96 * kMiB);
  EXPECT_EQ(w.OnRead(16 * kMiB, 64 * kMiB), 256 * kMiB);
}

TEST(PrefetchWindow, ABulkFirstReadGetsTheBulkStart) {
  // dd bs=1M: the first read is 1 MiB, so the run starts at the whole first window.
  PrefetchWindow bulk(1 * kMiB, 256 * kMiB, 8 * kMiB, 32 * kMiB);
  EXPECT_EQ(bulk.OnRead(0, kMiB), 36 * kMiB);
  // `head`: a 32 KiB first read keeps the smaller start.
  PrefetchWindow probe(1 * kMiB, 256 * kMiB, 8 * kMiB, 32 * kMiB);
  EXPECT_EQ(probe.OnRead(0, 32 * 1024), 8 * kMiB + 4 * 32 * 1024);
  // Only the first read counts: a large read later grows the window as usual.
  EXPECT_EQ(probe.OnRead(32 * 1024, kMiB), 8 * kMiB + 4 * (kMiB + 32 * 1024));
  // A first read elsewhere (the kernel overtook the one at 0) is no bulk start either.
  PrefetchWindow late(1 * kMiB, 256 * kMiB, 8 * kMiB, 32 * kMiB);
  EXPECT_EQ(late.OnRead(kMiB, kMiB), 8 * kMiB + 4 * 2 * kMiB);
}

TEST(PrefetchWindow, ShrinksOnRandomReads) {
  PrefetchWindow w(1 * kMiB, 8 * kMiB, 4 * kMiB);
  w.OnRead(0, 4096);
  w.OnRead(4096, 4096);
  EXPECT_EQ(w.OnRead(100 * kMiB, 4096), 1 * kMiB);
  EXPECT_FALSE(w.last_sequential());
  // Sequential again from the new position: grows again, from the minimum.
  EXPECT_EQ(w.OnRead(100 * kMiB + 4096, 4096), 1 * kMiB + 4 * 8192);
}

TEST(PrefetchWindow, ReorderedReadsWithinTheWindowStaySequential) {
  PrefetchWindow w(1 * kMiB, 8 * kMiB);
  w.OnRead(0, 128 * 1024);
  w.OnRead(256 * 1024, 128 * 1024);  // the kernel's readahead overtook the read at 128 KiB
  EXPECT_TRUE(w.last_sequential());
  uint64_t window = w.window();
  w.OnRead(128 * 1024, 128 * 1024);  // the late one: sequential, but does not grow the window
  EXPECT_TRUE(w.last_sequential());
  EXPECT_EQ(w.window(), window);
}

TEST(PrefetchWindow, AMidFileReadaheadArrivingOutOfOrderIsOneRun) {
  PrefetchWindow w(1 * kMiB, 64 * kMiB, 32 * kMiB);
  // dd skip=16M: the kernel's 1 MiB readahead as eight 128 KiB reads, the last one first.
  w.OnRead(16 * kMiB + 896 * 1024, 128 * 1024);
  EXPECT_FALSE(w.last_sequential());  // a first read mid-file starts a new run
  for (uint64_t k = 0; k < 7; ++k) {
    w.OnRead(16 * kMiB + k * 128 * 1024, 128 * 1024);
    EXPECT_TRUE(w.last_sequential()) << k;
  }
  // Further back than the kernel reorders (and than a window behind): a random read.
  w.OnRead(8 * kMiB, 128 * 1024);
  EXPECT_FALSE(w.last_sequential());
}

std::string Bytes(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  std::mt19937 rng(seed);
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

// Stores `data` as b/k and returns its ETag (what an open pins).
std::string PutObject(s3::MockS3Client& s3, const std::string& data) {
  s3.AddObject("b", "k", data);
  s3::HeadObjectRequest h{"b", "k", ""};
  return s3.HeadObject(h)->etag;
}

class ReaderTest : public ::testing::Test {
 protected:
  ReaderTest() {
    options_.min_window_bytes = 1 * kMiB;
    options_.max_window_bytes = 16 * kMiB;
    options_.part_bytes = 4 * kMiB;
    data_ = Bytes(40 * kMiB + 123, 7);
    s3_.AddObject("b", "k", data_);
    s3::HeadObjectRequest h{"b", "k", ""};
    etag_ = s3_.HeadObject(h)->etag;
  }
  std::unique_ptr<ObjectReader> MakeReader() {
    return std::make_unique<ObjectReader>(s3_, pool_, budget_, options_, "b", "k", etag_,
                                          data_.size());
  }
  FakeClock clock_;
  s3::MockS3Client s3_{clock_};
  FetchPool pool_{4, clock_};  // GETs take no time on it: no link estimate, parts as planned
  PrefetchBudget budget_{64 * kMiB};
  ReadOptions options_;
  std::string data_;
  std::string etag_;
};

TEST_F(ReaderTest, SequentialReadsReturnTheSourceWithFewLargeGets) {
  auto reader = MakeReader();
  std::string out;
  for (uint64_t off = 0; off < data_.size(); off += 128 * 1024) {
    auto got = reader->Read(off, 128 * 1024);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    out += *got;
  }
  EXPECT_TRUE(out == data_);
  // 321 reads of 128 KiB, served by parts of a sixteenth of the window (1 MiB at this test's
  // 16 MiB cap): not a GET per read.
  EXPECT_LE(reader->gets_started(), 48);
  EXPECT_GE(reader->gets_started(), 10);
  auto eof = reader->Read(data_.size(), 10);
  ASSERT_TRUE(eof.ok());
  EXPECT_TRUE(eof->empty());
}

TEST_F(ReaderTest, RandomReadsReturnTheSource) {
  auto reader = MakeReader();
  std::mt19937_64 rng(3);
  for (int i = 0; i < 200; ++i) {
    uint64_t off = rng() % data_.size();
    uint64_t len = 1 + rng() % (2 * kMiB);
    auto got = reader->Read(off, len);
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(*got == data_.substr(off, len)) << off << " " << len;
  }
}

TEST_F(ReaderTest, RandomSmallReadsFetchLittleAndNothingAhead) {
  auto reader = MakeReader();
  ASSERT_TRUE(reader->Read(0, 4096).ok());  // the first read of a file counts as sequential
  int after_first = reader->gets_started();
  std::mt19937_64 rng(5);
  const int kReads = 50;
  for (int i = 0; i < kReads; ++i) {
    uint64_t off = (rng() % 9 + 1) * 4 * kMiB + rng() % kMiB;  // never near the last read
    auto got = reader->Read(off, 4096);
    ASSERT_TRUE(got.ok());
    ASSERT_TRUE(*got == data_.substr(off, 4096));
  }
  // One small GET per random read (two when a read straddles a fetch boundary), no read-ahead
  // parts thrown away by the next read (a read that happens to land within 1 MiB of the last
  // one counts as sequential and may fetch a 1 MiB part or two ahead).
  int gets = reader->gets_started() - after_first;
  EXPECT_GE(gets, kReads);
  EXPECT_LE(gets, kReads + 10);
  EXPECT_LE(s3_.BytesRead(), 64 * kMiB) << "random 4 KiB reads moved whole read-ahead parts";
}

TEST_F(ReaderTest, ReadAheadStaysWithinTheBudgetAndIsReturned) {
  PrefetchBudget small(2 * kMiB);
  {
    ObjectReader reader(s3_, pool_, small, options_, "b", "k", etag_, data_.size());
    for (uint64_t off = 0; off < 8 * kMiB; off += 128 * 1024) {
      auto got = reader.Read(off, 128 * 1024);
      ASSERT_TRUE(got.ok());
      ASSERT_TRUE(*got == data_.substr(off, 128 * 1024));
      // Never more than the budget plus the part a read waits for, plus the part consumed
      // just before it: the fetch thread that filled that one may not yet have let go of it
      // (its task object dies a moment after the data is handed over; on a loaded machine the
      // thread can be descheduled in between).
      EXPECT_LE(small.used(), 2 * kMiB + 2 * 4 * kMiB);
    }
  }
  EXPECT_EQ(small.used(), 0u);
}

TEST_F(ReaderTest, ReplacedObjectFailsInsteadOfMixingVersions) {
  auto reader = MakeReader();
  auto first = reader->Read(0, 4096);
  ASSERT_TRUE(first.ok());
  s3_.AddObject("b", "k", Bytes(data_.size(), 8));  // new ETag
  auto later = reader->Read(30 * kMiB, 4096);
  EXPECT_FALSE(later.ok());
}

TEST_F(ReaderTest, FailedPartIsRetriedByTheNextRead) {
  // No read-ahead: the part the read waits for is the only GET and gets the failure.
  PrefetchBudget none(0);
  ObjectReader reader(s3_, pool_, none, options_, "b", "k", etag_, data_.size());
  s3_.FailNext(s3::Operation::kGet, 500, "InternalError", 1);
  EXPECT_FALSE(reader.Read(0, 4096).ok());
  auto good = reader.Read(0, 4096);
  ASSERT_TRUE(good.ok()) << good.status().ToString();
  EXPECT_TRUE(*good == data_.substr(0, 4096));
}

TEST_F(ReaderTest, RestoredCopyExpiringWhileOpenIsAnError) {
  s3_.AddObject("b", "cold", data_, "GLACIER");
  s3::RestoreObjectRequest restore;
  restore.bucket = "b";
  restore.key = "cold";
  restore.days = 1;
  ASSERT_TRUE(s3_.RestoreObject(restore).ok());
  s3_.CompleteRestore("b", "cold");
  s3::HeadObjectRequest h{"b", "cold", ""};
  auto info = s3_.HeadObject(h);
  ASSERT_TRUE(info.ok());
  ASSERT_TRUE(info->readable());
  ObjectReader reader(s3_, pool_, budget_, options_, "b", "cold", info->etag, data_.size());
  ASSERT_TRUE(reader.Read(0, 4096).ok());
  s3_.ExpireRestore("b", "cold");
  auto later = reader.Read(35 * kMiB, 4096);
  ASSERT_FALSE(later.ok());
  EXPECT_EQ(s3::S3ErrorCode(later.status()), "InvalidObjectState");
}

TEST_F(ReaderTest, TheFirstGetIsSmallAndReadsAcrossPartsComeInPieces) {
  options_.first_part_bytes = 256 * 1024;
  PrefetchBudget none(0);  // no read-ahead: only what reads wait for is fetched
  ObjectReader reader(s3_, pool_, none, options_, "b", "k", etag_, data_.size());
  auto first = reader.Read(0, 4096);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first == data_.substr(0, 4096));
  EXPECT_EQ(reader.gets_started(), 1);
  EXPECT_EQ(s3_.BytesRead(), 256u * 1024) << "the first GET should bring little beyond the read";
  // Across the end of the first part: two slices of two parts, the bytes of the source.
  auto across = reader.ReadSlices(200 * 1024, 100 * 1024);
  ASSERT_TRUE(across.ok());
  EXPECT_EQ(across->pieces.size(), 2u);
  EXPECT_EQ(across->size(), 100u * 1024);
  EXPECT_TRUE(across->ToString() == data_.substr(200 * 1024, 100 * 1024));
  EXPECT_EQ(reader.gets_started(), 2);
}

TEST_F(ReaderTest, ConcurrentReadsOfOneFileReturnTheSource) {
  auto reader = MakeReader();
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Each thread reads every fourth 128 KiB block: together a sequential read whose
      // requests arrive out of order, as from the kernel's readahead on several FUSE threads.
      for (uint64_t off = t * 128 * 1024; off < data_.size(); off += 4 * 128 * 1024) {
        auto got = reader->Read(off, 128 * 1024);
        if (!got.ok() || *got != data_.substr(off, 128 * 1024)) ++bad;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(ReaderTest, TheFirstReadOfASmallFileFetchesItAllInParallelParts) {
  ReadOptions defaults;  // first window 32 MiB, parts a sixteenth of it
  std::string small = Bytes(8 * kMiB + 5, 9);
  s3_.AddObject("b", "small", small);
  s3::HeadObjectRequest h{"b", "small", ""};
  ObjectReader reader(s3_, pool_, budget_, defaults, "b", "small", s3_.HeadObject(h)->etag,
                      small.size());
  auto first = reader.Read(0, 128 * 1024);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first == small.substr(0, 128 * 1024));
  // The whole file was planned by the first read: a small first GET and 1 MiB parts (a
  // sixteenth of the file, at least 1 MiB) behind it, all at once.
  int planned = reader.gets_started();
  EXPECT_GE(planned, 8);
  EXPECT_LE(planned, 10);
  std::string rest;
  for (uint64_t off = 128 * 1024; off < small.size(); off += kMiB) {
    auto got = reader.Read(off, kMiB);
    ASSERT_TRUE(got.ok());
    rest += *got;
  }
  EXPECT_TRUE(rest == small.substr(128 * 1024));
  EXPECT_EQ(reader.gets_started(), planned) << "reading on should need no further GET";
}

TEST(FetchPool, RunsTheNearestTaskFirst) {
  FetchPool pool(1);
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::vector<int> order;
  // The only thread is busy until released: the tasks below queue up meanwhile.
  pool.Submit([&] {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return release; });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  for (int prio : {64, 8, 0, 8, 32}) {
    pool.Submit(
        [&, prio] {
          std::lock_guard lock(mu);
          order.push_back(prio);
        },
        static_cast<uint64_t>(prio));
  }
  {
    std::lock_guard lock(mu);
    release = true;
  }
  cv.notify_all();
  for (int i = 0; i < 200; ++i) {
    {
      std::lock_guard lock(mu);
      if (order.size() == 5) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::lock_guard lock(mu);
  EXPECT_EQ(order, (std::vector<int>{0, 8, 8, 32, 64}));
}

TEST(PrefetchBudget, ReadersShareTheBudgetFairly) {
  PrefetchBudget budget(64 * kMiB);
  PrefetchBudget::Share a, b, c;
  // Alone, a reader may take the whole budget.
  for (int i = 0; i < 8; ++i) EXPECT_TRUE(budget.TryAcquire(8 * kMiB, &a)) << i;
  EXPECT_FALSE(budget.TryAcquire(8 * kMiB, &a));
  // A second reader gets its first part once there is room, and a is held to half from then on.
  EXPECT_FALSE(budget.TryAcquire(8 * kMiB, &b));
  budget.Release(8 * kMiB, &a);
  EXPECT_TRUE(budget.TryAcquire(8 * kMiB, &b));
  budget.Release(8 * kMiB, &a);
  EXPECT_FALSE(budget.TryAcquire(8 * kMiB, &a));  // a holds 48 MiB of a 32 MiB share
  EXPECT_TRUE(budget.TryAcquire(8 * kMiB, &b));
  for (int i = 0; i < 2; ++i) budget.Release(8 * kMiB, &a);
  EXPECT_TRUE(budget.TryAcquire(8 * kMiB, &b));
  EXPECT_TRUE(budget.TryAcquire(8 * kMiB, &b));  // b: 32 MiB, its half
  EXPECT_FALSE(budget.TryAcquire(8 * kMiB, &b));
  EXPECT_EQ(budget.used(), 64 * kMiB);
  // A third reader always gets one part when the budget has room, even past its share.
  budget.Release(8 * kMiB, &b);
  EXPECT_TRUE(budget.TryAcquire(8 * kMiB, &c));
  EXPECT_EQ(c.held, 8 * kMiB);
  // Readers that let go of everything no longer count: b alone may grow again.
  while (a.held > 0) budget.Release(8 * kMiB, &a);
  budget.Release(8 * kMiB, &c);
  EXPECT_EQ(c.held, 0u);
  EXPECT_TRUE(budget.TryAcquire(8 * kMiB, &b));
  EXPECT_EQ(b.held, 32 * kMiB);
  EXPECT_TRUE(budget.TryAcquire(8 * kMiB, &b));
  // Bytes a read waits for are never refused and count against nobody's share.
  budget.ForceAcquire(32 * kMiB);
  EXPECT_EQ(budget.used(), 72 * kMiB);
  EXPECT_EQ(b.held, 40 * kMiB);
}

// A MockS3Client whose ranged GETs take time and can be held half-way: to see how many run at
// once and what a read can use before its part is whole.
class SlowS3Client : public s3::MockS3Client {
 public:
  using MockS3Client::MockS3Client;
  Result<s3::GetObjectResult> GetObject(const s3::GetObjectRequest& r) override {
    int now = ++running_;
    for (int seen = max_running_.load();
         now > seen && !max_running_.compare_exchange_weak(seen, now);) {
    }
    s3::GetObjectRequest half = r;
    bool held = false;
    if (hold_from_ > 0 && r.range && r.range->first >= hold_from_ && r.sink) {
      // Deliver the first half of the range, then wait to be released.
      uint64_t last = *r.range->last;
      uint64_t mid = r.range->first + (last - r.range->first + 1) / 2;
      half.range = s3::ByteRange{r.range->first, mid - 1};
      auto got = MockS3Client::GetObject(half);
      if (!got.ok()) return got;
      {
        std::unique_lock lock(mu_);
        ++held_;
        cv_.notify_all();
        cv_.wait(lock, [&] { return released_; });
      }
      half.range = s3::ByteRange{mid, last};
      held = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms_));
    auto got = MockS3Client::GetObject(held ? half : r);
    --running_;
    return got;
  }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  bool WaitHeld(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return held_ >= n; });
  }
  std::atomic<int> running_{0}, max_running_{0};
  int delay_ms_ = 0;
  uint64_t hold_from_ = 0;  // GETs of ranges starting here or later are held half-way

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int held_ = 0;
};

// Runs a sequential read of the whole object with at most `parallel` read-ahead GETs per file,
// each taking `delay_ms`, and returns the most GETs that ran at once.
int MostGetsAtOnce(int parallel, int delay_ms) {
  FakeClock clock;
  SlowS3Client s3(clock);
  s3.delay_ms_ = delay_ms;
  std::string data = Bytes(24 * kMiB, 3);
  std::string etag = PutObject(s3, data);
  FetchPool pool(32);
  PrefetchBudget budget(256 * kMiB);
  ReadOptions options;
  options.parallel_gets = parallel;
  ObjectReader reader(s3, pool, budget, options, "b", "k", etag, data.size());
  std::string out;
  for (uint64_t off = 0; off < data.size(); off += kMiB) {
    auto got = reader.Read(off, kMiB);
    if (!got.ok()) return -1;
    out += *got;
  }
  EXPECT_TRUE(out == data);
  return s3.max_running_.load();
}

TEST(ReaderParallelism, ReadAheadGetsOfOneFileRunAtMostTheLimitAtOnce) {
  // The first read waits for four parts of its own; read-ahead adds at most the limit. With a
  // 24 MiB file fetched whole at once in 1.5 MiB parts, the pool alone would run 16.
  EXPECT_LE(MostGetsAtOnce(2, 3), 4 + 2);
  // GETs slow enough that twelve overlap even on a busy machine.
  EXPECT_GT(MostGetsAtOnce(12, 30), 4 + 2);
}

TEST(ReaderStreaming, AReadUsesTheBytesOfAPartThatHaveArrived) {
  FakeClock clock;
  SlowS3Client s3(clock);
  std::string data = Bytes(8 * kMiB, 5);
  std::string etag = PutObject(s3, data);
  s3.hold_from_ = 1 * kMiB;  // read-ahead parts stop half-way until released
  FetchPool pool(8);
  PrefetchBudget budget(64 * kMiB);
  ReadOptions options;
  auto reader =
      std::make_unique<ObjectReader>(s3, pool, budget, options, "b", "k", etag, data.size());
  auto first = reader->Read(0, kMiB);  // plans the whole 8 MiB file in parts of 1 MiB
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(s3.WaitHeld(1));
  // The first half of the part at 1 MiB is there; its second half is not.
  auto next = std::async(std::launch::async, [&] { return reader->Read(kMiB, 64 * 1024); });
  bool returned_while_held = next.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  s3.Release();
  EXPECT_TRUE(returned_while_held);
  auto got = next.get();
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(*got == data.substr(kMiB, 64 * 1024));
  // The rest of the part, once it arrives, is right too.
  auto rest = reader->Read(kMiB + 64 * 1024, kMiB);
  ASSERT_TRUE(rest.ok());
  EXPECT_TRUE(*rest == data.substr(kMiB + 64 * 1024, kMiB));
  reader.reset();
}

// What the mount's GETs so far have shown about the endpoint.
enum class Link {
  kUnknown,   // no GETs timed yet
  kNextDoor,  // 0.5 ms to the first byte, 8 MiB in 5 ms (loopback)
  kS3Like,    // 20 ms to the first byte, 90 MB/s per GET
};

// Reads the first 64 MiB of a 160 MiB object with 1 MiB reads, the fake clock advancing 1 ms
// per read (about 1 GB/s) when `timed`, and returns the bytes fetched in all. The clock moves
// only while no GET runs, so the mock's GETs take no time and add nothing to the link estimate:
// it holds what `link` seeds it with. Every GET planned is let finish, so the count does not
// depend on how fast the fetch threads were.
uint64_t BytesFetchedForTheFirst64MiB(Link link, bool timed) {
  FakeClock clock;
  s3::MockS3Client s3(clock);
  std::string data = Bytes(160 * kMiB, 9);
  std::string etag = PutObject(s3, data);
  FetchPool pool(4, clock);
  for (int i = 0; i < 8; ++i) {
    if (link == Link::kNextDoor) {
      pool.link().OnGet(8 * kMiB, std::chrono::microseconds(500), std::chrono::microseconds(4500));
    } else if (link == Link::kS3Like) {
      pool.link().OnGet(8 * kMiB, std::chrono::milliseconds(20), std::chrono::milliseconds(93));
    }
  }
  PrefetchBudget budget(256 * kMiB);
  ReadOptions options;
  auto reader =
      std::make_unique<ObjectReader>(s3, pool, budget, options, "b", "k", etag, data.size());
  for (uint64_t off = 0; off < 64 * kMiB; off += kMiB) {
    auto got = reader->Read(off, kMiB);
    EXPECT_TRUE(got.ok() && *got == data.substr(off, kMiB)) << off;
    reader->WaitIdle();
    if (timed) clock.Advance(std::chrono::milliseconds(1));
  }
  reader.reset();
  return s3.BytesRead();
}

TEST(ReaderLink, OnALinkNextDoorReadAheadIsSizedToTheReadersRate) {
  // About 1 GB/s on a link where a part takes 5 ms needs ~20 MiB ahead plus a part; the run's
  // first window (32 MiB, a bulk first read) is the floor. Without the link's numbers the window
  // grows with what was read (32 MiB + 4x) and the whole object is fetched.
  uint64_t fitted = BytesFetchedForTheFirst64MiB(Link::kNextDoor, /*timed=*/true);
  EXPECT_GE(fitted, 64 * kMiB);
  EXPECT_LE(fitted, (64 + 32 + 8) * kMiB);
  EXPECT_GE(BytesFetchedForTheFirst64MiB(Link::kUnknown, /*timed=*/true), 150 * kMiB);
  // The reader's rate is needed too: a fast link alone does not cut the window.
  EXPECT_GE(BytesFetchedForTheFirst64MiB(Link::kNextDoor, /*timed=*/false), 150 * kMiB);
}

TEST(ReaderLink, OnAnS3LikeLinkTheWindowIsNotCut) {
  // A part takes 113 ms there: 1 GB/s needs more read-ahead than the largest window.
  EXPECT_GE(BytesFetchedForTheFirst64MiB(Link::kS3Like, /*timed=*/true), 150 * kMiB);
}

// Reads a 64 MiB object whole with 1 MiB reads on a mount whose GETs so far waited `ttfb` for
// their first byte and then took `body` for 1.5 MiB; returns the GETs sent. The clock does not
// move: the reader's rate stays unknown and only the parts' size can change.
int GetsForA64MiBFile(std::chrono::microseconds ttfb, std::chrono::microseconds body,
                      uint64_t from = 0) {
  FakeClock clock;
  s3::MockS3Client s3(clock);
  std::string data = Bytes(64 * kMiB, 4);
  std::string etag = PutObject(s3, data);
  FetchPool pool(4, clock);
  for (int i = 0; i < 16; ++i) pool.link().OnGet(3 * kMiB / 2, ttfb, body);
  PrefetchBudget budget(256 * kMiB);
  ReadOptions options;
  ObjectReader reader(s3, pool, budget, options, "b", "k", etag, data.size());
  for (uint64_t off = from; off < data.size(); off += kMiB) {
    auto got = reader.Read(off, kMiB);
    EXPECT_TRUE(got.ok() && *got == data.substr(off, kMiB)) << off;
  }
  reader.WaitIdle();
  return reader.gets_started();
}

TEST(ReaderLink, WhereEveryGetCostsMuchAFileGoesOutInFewLargeGets) {
  using std::chrono::microseconds;
  // S3-like (20 ms, then 90 MB/s): the first window in parallel parts, dozens of GETs.
  int s3_like = GetsForA64MiBFile(microseconds(20'000), microseconds(17'500));
  EXPECT_GE(s3_like, 24);
  // 200 ms of work before each first byte, then 1.5 MiB in 2 ms (moto): a handful.
  int costly = GetsForA64MiBFile(microseconds(200'000), microseconds(2'000));
  EXPECT_LE(costly, 5);
  EXPECT_GE(costly, 1);
}

TEST(ReaderLink, WhereEveryGetCostsMuchAReaderStartingMidFileSendsFewGets) {
  using std::chrono::microseconds;
  // A first read mid-file counts as random: on S3 its MiB goes out in 128 KiB pieces at once,
  // then the run's parts (a reader of one quarter of a file, dd skip=).
  int s3_like = GetsForA64MiBFile(microseconds(20'000), microseconds(17'500), 48 * kMiB);
  EXPECT_GE(s3_like, 8 + 1);
  // Where every GET costs 200 ms of work: the read's MiB in one GET, then one for the rest
  // (eight and more for the first read alone before).
  int costly = GetsForA64MiBFile(microseconds(200'000), microseconds(2'000), 48 * kMiB);
  EXPECT_LE(costly, 3);
}

// A new mount's prior that lets the first read judge the link and, once told to, answers
// `least`; it counts what the reader asks and tells.
class JudgedByFirstRead : public LinkEstimate::Prior, public LinkEstimate::FirstGet {
 public:
  std::optional<uint64_t> LeastPartBytes(bool wait) override {
    std::lock_guard lock(mu);
    if (wait) ++waits;
    return verdict;
  }
  std::shared_ptr<LinkEstimate::FirstGet> TakeFirstGet() override {
    std::lock_guard lock(mu);
    if (++taken > 1) return nullptr;
    return std::shared_ptr<LinkEstimate::FirstGet>(this, [](LinkEstimate::FirstGet*) {});
  }
  void Sent() override { ++sent; }
  void FirstByte() override { ++first_bytes; }
  void Ended(uint64_t b) override {
    ++ended;
    bytes = b;
  }
  std::mutex mu;
  std::optional<uint64_t> verdict;
  std::atomic<int> waits = 0, taken = 0, sent = 0, first_bytes = 0, ended = 0;
  std::atomic<uint64_t> bytes = 0;
};

// A reader of `size` bytes on a new mount whose prior is a JudgedByFirstRead.
struct NewMountReader {
  explicit NewMountReader(uint64_t size, int seed)
      : data(Bytes(size, seed)), etag(PutObject(s3, data)) {
    pool.link().SetPrior(prior);
  }
  FakeClock clock;
  s3::MockS3Client s3{clock};
  std::string data;
  std::string etag;
  FetchPool pool{4, clock};
  std::shared_ptr<JudgedByFirstRead> prior = std::make_shared<JudgedByFirstRead>();
  PrefetchBudget budget{256 * kMiB};
  ObjectReader reader{s3, pool, budget, ReadOptions{}, "b", "k", etag, data.size()};
};

TEST(ReaderLink, ANewMountsFirstReadSendsOneGetOfAMiBAndWaitsForItsVerdict) {
  NewMountReader m(64 * kMiB, 5);
  auto got = m.reader.Read(0, 128 * 1024);
  ASSERT_TRUE(got.ok() && *got == m.data.substr(0, 128 * 1024));
  m.reader.WaitIdle();
  // One GET of the first MiB, no read-ahead beside it.
  EXPECT_EQ(m.reader.gets_started(), 1);
  EXPECT_EQ(m.s3.BytesRead(), kMiB);
  EXPECT_EQ(m.prior->taken, 1);
  EXPECT_EQ(m.prior->sent, 1);
  EXPECT_EQ(m.prior->first_bytes, 1);
  EXPECT_EQ(m.prior->ended, 1);
  EXPECT_EQ(m.prior->bytes, kMiB) << "told how its GET went";
  // Its verdict: GETs cost much. The next read waits for it and the rest goes out in few GETs.
  {
    std::lock_guard lock(m.prior->mu);
    m.prior->verdict = 64 * kMiB;
  }
  for (uint64_t off = 128 * 1024; off < m.data.size(); off += kMiB) {
    auto more = m.reader.Read(off, kMiB);
    uint64_t n = std::min<uint64_t>(kMiB, m.data.size() - off);
    ASSERT_TRUE(more.ok() && *more == m.data.substr(off, n)) << off;
  }
  m.reader.WaitIdle();
  EXPECT_EQ(m.prior->waits, 1);
  EXPECT_LE(m.reader.gets_started(), 1 + 3);
}

TEST(ReaderLink, AFirstReadWhoseGetFailsSaysSo) {
  NewMountReader m(4 * kMiB, 6);
  m.s3.FailNext(s3::Operation::kGet, 500, "InternalError", 10);
  EXPECT_FALSE(m.reader.Read(0, 4096).ok());
  m.reader.WaitIdle();
  EXPECT_EQ(m.prior->taken, 1);
  EXPECT_EQ(m.prior->ended, 1);
  EXPECT_EQ(m.prior->bytes, 0u) << "a GET that failed says nothing";
}

}  // namespace
}  // namespace thaw::fs
