// Early GETs (the first bytes of a name asked for while its lookup lists the directory) against
// the in-memory S3: a reader of the version they read sends no GET of its own for them; any
// other version, a failure or an old one is never used.
#include "fs/early_get.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <tuple>

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
  FetchPool pool_{4, clock_};  // GETs take no time on it: no link estimate, parts as planned
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

// An endpoint that works `ttfb` on each GET before its first byte and sends the body in
// `body` (both on the fake clock: the time moves when the GET does).
class TimedGets : public s3::MockS3Client {
 public:
  TimedGets(FakeClock& clock, std::chrono::milliseconds ttfb, std::chrono::milliseconds body)
      : MockS3Client(clock), clock_(clock), ttfb_(ttfb), body_(body) {}
  Result<s3::GetObjectResult> GetObject(const s3::GetObjectRequest& r) override {
    clock_.Advance(ttfb_);
    if (!r.sink) return MockS3Client::GetObject(r);
    s3::GetObjectRequest split = r;
    split.sink = [&](std::string_view chunk) {  // half the body, the body's time, the rest
      THAW_RETURN_IF_ERROR(r.sink(chunk.substr(0, chunk.size() / 2)));
      clock_.Advance(body_);
      return r.sink(chunk.substr(chunk.size() / 2));
    };
    return MockS3Client::GetObject(split);
  }

 private:
  FakeClock& clock_;
  const std::chrono::milliseconds ttfb_, body_;
};

// Reads a 64 MiB object in 1 MiB reads on a new mount (no GET timed yet) after its lookup's
// early GET was sent, on an endpoint timed as TimedGets; returns the GETs it cost in all.
int GetsForANewMountsFirstFile(std::chrono::milliseconds ttfb, std::chrono::milliseconds body) {
  FakeClock clock;
  TimedGets s3(clock, ttfb, body);
  std::string data = Bytes(64 * kMiB, 11);
  s3.AddObject("b", "big", data);
  s3::HeadObjectRequest h{"b", "big", ""};
  std::string etag = s3.HeadObject(h)->etag;
  FetchPool pool(4, clock);
  PrefetchBudget budget(256 * kMiB);
  EarlyGets early(s3, pool, "b", kMiB, clock);
  early.Start("big");
  auto get = early.Take("big");
  EXPECT_NE(get, nullptr);
  // The lookup's LIST answered and the file was opened while the early GET was on its way.
  while (s3.Count(Operation::kGet) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  ObjectReader reader(s3, pool, budget, ReadOptions{}, "b", "big", etag, data.size(), nullptr, get);
  for (uint64_t off = 0; off < data.size(); off += kMiB) {
    auto got = reader.Read(off, kMiB);
    EXPECT_TRUE(got.ok() && *got == data.substr(off, kMiB)) << off;
  }
  reader.WaitIdle();
  return s3.Count(Operation::kGet);
}

TEST(EarlyGetTiming, ANewMountsFirstReadLearnsFromTheEarlyGetWhatAGetCosts) {
  using std::chrono::milliseconds;
  // 200 ms before each first byte, then 1 MiB in 2 ms (moto copies the object for each GET):
  // the first read sizes its read-ahead from the early GET, a few GETs in all. (1 early GET,
  // then parts of eight times 12.5 MiB, since one GET cannot tell whether GETs go side by side,
  // capped by the reader: one or two more.)
  int costly = GetsForANewMountsFirstFile(milliseconds(200), milliseconds(2));
  EXPECT_LE(costly, 3);
  // S3-like (20 ms, then 11 ms for 1 MiB at 90 MB/s): the first window fans out as ever.
  int s3_like = GetsForANewMountsFirstFile(milliseconds(20), milliseconds(11));
  EXPECT_GE(s3_like, 24);
}

TEST(EarlyGetTiming, TheLeastPartFromOneGet) {
  using std::chrono::milliseconds;
  for (auto [ttfb, body, least_at_least, least_at_most] :
       {std::tuple{200, 2, 8 * kMiB, 16 * kMiB}, std::tuple{20, 11, 0 * kMiB, 1 * kMiB}}) {
    FakeClock clock;
    TimedGets s3(clock, milliseconds(ttfb), milliseconds(body));
    s3.AddObject("b", "k", Bytes(2 * kMiB, 12));
    FetchPool pool(2, clock);
    EarlyGets early(s3, pool, "b", kMiB, clock);
    early.Start("k");
    auto get = early.Take("k");
    ASSERT_NE(get, nullptr);
    while (s3.Count(Operation::kGet) == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    uint64_t least = get->LeastPartBytes().value_or(0);
    EXPECT_GE(least, least_at_least) << ttfb << " ms";
    EXPECT_LE(least, least_at_most) << ttfb << " ms";
  }
  // One never sent says nothing (the reader sends it itself).
  EarlyGet unsent(kMiB);
  EXPECT_EQ(unsent.LeastPartBytes(), std::nullopt);
}

// A prior that lets the first to ask stand in for it and records what that GET reports.
class StandInRecorder : public LinkEstimate::Prior, public LinkEstimate::FirstGet {
 public:
  std::optional<uint64_t> LeastPartBytes(bool) override { return std::nullopt; }
  std::shared_ptr<LinkEstimate::FirstGet> TakeFirstGet() override {
    if (++taken > 1) return nullptr;
    return std::shared_ptr<LinkEstimate::FirstGet>(this, [](LinkEstimate::FirstGet*) {});
  }
  void Sent() override { ++sent; }
  void FirstByte() override { ++first_bytes; }
  void Ended(uint64_t b) override { bytes = b; }
  std::atomic<int> taken = 0, sent = 0, first_bytes = 0;
  std::atomic<uint64_t> bytes = 0;
};

TEST(EarlyGetTiming, ANewMountsFirstEarlyGetOfAMiBStandsInForTheProbe) {
  using std::chrono::milliseconds;
  FakeClock clock;
  TimedGets s3(clock, milliseconds(200), milliseconds(2));
  s3.AddObject("b", "big", Bytes(4 * kMiB, 13));
  s3.AddObject("b", "small", Bytes(4 * kMiB, 14));
  FetchPool pool(2, clock);
  auto prior = std::make_shared<StandInRecorder>();
  pool.link().SetPrior(prior);
  // GETs of less than a MiB time no rate: they do not ask.
  EarlyGets short_gets(s3, pool, "b", kMiB / 2, clock);
  short_gets.Start("small");
  short_gets.Take("small")->Bytes("", 0);
  EXPECT_EQ(prior->taken, 0);
  EarlyGets early(s3, pool, "b", kMiB, clock);
  early.Start("big");
  early.Take("big")->Bytes("", 0);
  EXPECT_EQ(prior->taken, 1);
  EXPECT_EQ(prior->sent, 1);
  EXPECT_EQ(prior->first_bytes, 1);
  EXPECT_EQ(prior->bytes, kMiB);
}

}  // namespace
}  // namespace thaw::fs
