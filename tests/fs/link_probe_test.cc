// The mount's probe: which object it reads, how it judges its two GETs (S3-like, costly GETs
// served side by side, costly GETs served one at a time), and, against a scripted server, that
// a first read waits for its verdict only while one may come, that it goes out after its quiet
// time, and that a read within that time takes its place.
#include "fs/link_probe.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "fs/link_estimate.h"
#include "fs/prefetch.h"
#include "s3/client.h"
#include "support/http_test_server.h"
#include "support/scripted_client.h"

namespace thaw::fs {
namespace {

using std::chrono::milliseconds;
using thaw::testing::HttpTestServer;
using thaw::testing::MakeScriptedClient;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

constexpr uint64_t kMiB = 1 << 20;
const Clock::TimePoint kT0 = Clock::TimePoint(std::chrono::seconds(1700000000));

Clock::TimePoint At(int ms) {
  return kT0 + milliseconds(ms);
}

// A GET sent at 0 whose first byte came at `first` ms and (if `last` >= 0) whose 1 MiB body
// ended at `last` ms.
ProbeGet Get(int first, int last = -1) {
  ProbeGet g;
  g.sent = At(0);
  if (first >= 0) g.first_byte = At(first);
  if (last >= 0) {
    g.last_byte = At(last);
    g.bytes = kMiB;
    g.ended = true;
  }
  return g;
}

TEST(JudgeProbe, AnS3LikeGetIsJudgedAnEighthOfAWaitAfterItsFirstByte) {
  // 20 ms to the first byte, then 11 ms for a MiB at 90 MB/s.
  ProbeVerdict v = JudgeProbe(Get(20), Get(21), At(21));
  EXPECT_FALSE(v.decided);
  ASSERT_TRUE(v.decide_by.has_value());
  EXPECT_EQ(*v.decide_by, At(20) + std::chrono::microseconds(2500));
  v = JudgeProbe(Get(20), Get(21), At(23));
  EXPECT_TRUE(v.decided);
  EXPECT_EQ(v.least_part, std::nullopt) << "the body still coming: a GET costs its bytes";
  v = JudgeProbe(Get(20, 31), Get(21, 32), At(40));
  EXPECT_TRUE(v.decided);
  EXPECT_EQ(v.least_part, std::nullopt);
}

TEST(JudgeProbe, CostlyGetsServedSideBySideGiveTheLeastPartOfOne) {
  // 200 ms of work before each first byte, then the MiB in 2 ms; both answered together.
  ProbeVerdict v = JudgeProbe(Get(200, 202), Get(201, 203), At(203));
  ASSERT_TRUE(v.decided);
  EXPECT_EQ(v.least_part, LeastPartFor(kMiB, milliseconds(200), milliseconds(2)));
  EXPECT_FALSE(v.one_at_a_time);
  // Decided as soon as the second first byte came, before its body.
  v = JudgeProbe(Get(200, 202), Get(210), At(210));
  ASSERT_TRUE(v.decided);
  EXPECT_FALSE(v.one_at_a_time);
}

TEST(JudgeProbe, CostlyGetsServedOneAtATimeGiveLargerParts) {
  const uint64_t one = LeastPartFor(kMiB, milliseconds(200), milliseconds(2));
  // The second GET's first byte has not come half a wait after the first GET's last byte.
  ProbeVerdict v = JudgeProbe(Get(200, 202), Get(-1), At(250));
  EXPECT_FALSE(v.decided);
  ASSERT_TRUE(v.decide_by.has_value());
  EXPECT_EQ(*v.decide_by, At(300));
  v = JudgeProbe(Get(200, 202), Get(-1), At(300));
  ASSERT_TRUE(v.decided);
  EXPECT_TRUE(v.one_at_a_time);
  EXPECT_EQ(v.least_part, one * 64);
  // Either order of the two: the GET answered first is the one judged.
  v = JudgeProbe(Get(400, 402), Get(200, 202), At(402));
  ASSERT_TRUE(v.decided);
  EXPECT_TRUE(v.one_at_a_time);
  EXPECT_EQ(v.least_part, one * 64);
}

TEST(JudgeAlone, OneGetGivesALeastPartBetweenSideBySideAndOneAtATime) {
  // S3-like: the body took longer than an eighth of the wait.
  EXPECT_TRUE(JudgeAlone(Get(20, 31), At(31)).decided);
  EXPECT_EQ(JudgeAlone(Get(20, 31), At(31)).least_part, std::nullopt);
  EXPECT_EQ(JudgeAlone(Get(20), At(30)).least_part, std::nullopt) << "decided at 1/8 wait";
  EXPECT_FALSE(JudgeAlone(Get(200), At(210)).decided) << "the body may still come in time";
  // Costly: 8x LeastPartFor, and not said to be one at a time.
  ProbeVerdict v = JudgeAlone(Get(200, 202), At(202));
  ASSERT_TRUE(v.decided && v.least_part.has_value());
  EXPECT_EQ(*v.least_part, 8 * LeastPartFor(kMiB, milliseconds(200), milliseconds(2)));
  EXPECT_FALSE(v.one_at_a_time);
  // A GET that failed says nothing.
  ProbeGet failed = Get(-1);
  failed.ended = true;
  EXPECT_TRUE(JudgeAlone(failed, At(5)).decided);
  EXPECT_EQ(JudgeAlone(failed, At(5)).least_part, std::nullopt);
}

TEST(JudgeProbe, WhatCannotBeJudgedSaysNothingOrLess) {
  // Nothing yet: waits for an answer, without a deadline of its own.
  ProbeVerdict v = JudgeProbe(Get(-1), Get(-1), At(100));
  EXPECT_FALSE(v.decided);
  EXPECT_FALSE(v.decide_by.has_value());
  // Both failed before a first byte.
  ProbeGet failed = Get(-1);
  failed.ended = true;
  v = JudgeProbe(failed, failed, At(100));
  EXPECT_TRUE(v.decided);
  EXPECT_EQ(v.least_part, std::nullopt);
  // The first one failed in its body.
  ProbeGet cut = Get(200);
  cut.ended = true;
  v = JudgeProbe(cut, Get(-1), At(201));
  EXPECT_TRUE(v.decided);
  EXPECT_EQ(v.least_part, std::nullopt);
  // The second one failed before its first byte: costly, but not known to be one at a time.
  v = JudgeProbe(Get(200, 202), failed, At(203));
  ASSERT_TRUE(v.decided);
  EXPECT_FALSE(v.one_at_a_time);
  EXPECT_EQ(v.least_part, LeastPartFor(kMiB, milliseconds(200), milliseconds(2)));
  // A body shorter than a rate can be judged by.
  ProbeGet small = Get(200, 201);
  small.bytes = 64 << 10;
  v = JudgeProbe(small, Get(-1), At(400));
  EXPECT_TRUE(v.decided);
  EXPECT_EQ(v.least_part, std::nullopt);
}

s3::ObjectSummary Object(std::string key, uint64_t size, std::string storage_class = "STANDARD") {
  s3::ObjectSummary o;
  o.key = std::move(key);
  o.size = size;
  o.etag = "\"e-" + o.key + "\"";
  o.storage_class = std::move(storage_class);
  return o;
}

TEST(LinkProbePick, TheLargestObjectAListingShowsReadable) {
  s3::ListObjectsPage page;
  EXPECT_EQ(LinkProbe::Pick(page), std::nullopt);
  page.objects.push_back(Object("small", kMiB - 1));
  EXPECT_EQ(LinkProbe::Pick(page), std::nullopt) << "too short to time a rate";
  page.objects.push_back(Object("a", 2 * kMiB));
  page.objects.push_back(Object("frozen", 64 * kMiB, "GLACIER"));
  page.objects.push_back(Object("tiered", 64 * kMiB, "INTELLIGENT_TIERING"));
  page.objects.push_back(Object("deep", 64 * kMiB, "DEEP_ARCHIVE"));
  page.objects.back().restore = s3::RestoreStatus{};  // restore state none
  auto t = LinkProbe::Pick(page);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->key, "a");
  EXPECT_EQ(t->etag, "\"e-a\"");
  EXPECT_EQ(t->size, 2 * kMiB);
  page.objects.push_back(Object("thawed", 8 * kMiB, "GLACIER"));
  page.objects.back().restore = s3::RestoreStatus{};
  page.objects.back().restore->state = s3::RestoreStatus::State::kRestored;
  page.objects.push_back(Object("ir", 4 * kMiB, "GLACIER_IR"));
  EXPECT_EQ(LinkProbe::Pick(page)->key, "thawed");
}

// The first MiB of a 4 MiB object, after `work` of work before the first byte; with
// `one_at_a_time`, a GET's work starts only when the one before it has been answered.
HttpTestServer::Handler Costly(milliseconds work, bool one_at_a_time) {
  auto serial = std::make_shared<std::mutex>();
  return [=](const TestRequest& r) {
    if (r.method != "GET") return TestResponse::Status(405);
    TestResponse resp = TestResponse::Status(206, std::string(kMiB, 'x'));
    resp.headers = {{"Content-Range", "bytes 0-1048575/4194304"}, {"ETag", "\"e-big\""}};
    if (one_at_a_time) {
      std::lock_guard lock(*serial);
      std::this_thread::sleep_for(work);
    } else {
      resp.delay = work;
    }
    return resp;
  };
}

s3::ListObjectsPage RootWithBig() {
  s3::ListObjectsPage page;
  page.objects.push_back(Object("big", 4 * kMiB));
  return page;
}

struct ProbeRun {
  std::optional<uint64_t> least;
  bool one_at_a_time = false;
  int gets = 0;
  std::vector<TestRequest> requests;
};

ProbeRun RunProbe(HttpTestServer::Handler handler) {
  HttpTestServer server(std::move(handler));
  auto client = MakeScriptedClient(server.url());
  ProbeRun run;
  {
    FetchPool pool(4);
    auto probe = std::make_shared<LinkProbe>(*client, pool, "b");
    // A read that comes before the mount's root listing and warm-up waits for them, then for
    // the verdict.
    auto read = std::async(std::launch::async, [&] { return probe->LeastPartBytes(true); });
    probe->OnListing(RootWithBig());
    probe->OnWarm();
    run.least = read.get();
    // Once judged, the answer comes at once, and stays.
    EXPECT_EQ(probe->LeastPartBytes(false), run.least);
    run.one_at_a_time = probe->one_at_a_time();
  }
  run.requests = server.requests();
  run.gets = server.request_count();
  return run;
}

TEST(LinkProbe, AnEndpointThatServesCostlyGetsOneAtATimeGetsLargeParts) {
  ProbeRun run = RunProbe(Costly(milliseconds(200), /*one_at_a_time=*/true));
  EXPECT_EQ(run.gets, 2);
  for (const TestRequest& r : run.requests) {
    EXPECT_EQ(r.target, "/b/big");
    EXPECT_EQ(r.Header("range"), "bytes=0-1048575");
    EXPECT_EQ(r.Header("if-match"), "\"e-big\"");
  }
  // An eighth of what the body's rate brings in 200 ms (more than the MiB, since the body came
  // within an eighth of the wait), times 64: far above any part a reader plans (the reader
  // caps it), so a file goes out in one or two GETs.
  EXPECT_TRUE(run.one_at_a_time);
  ASSERT_TRUE(run.least.has_value());
  EXPECT_GE(*run.least, 64 * kMiB);
}

TEST(LinkProbe, AnEndpointThatServesCostlyGetsSideBySideGetsTheLeastPartOfOne) {
  ProbeRun run = RunProbe(Costly(milliseconds(200), /*one_at_a_time=*/false));
  EXPECT_EQ(run.gets, 2);
  // The body came within 25 ms (an eighth of the wait): a part worth a GET is more than the
  // MiB probed, and not 64 times that as when the GETs come one at a time.
  EXPECT_FALSE(run.one_at_a_time);
  ASSERT_TRUE(run.least.has_value());
  EXPECT_GT(*run.least, kMiB);
}

TEST(LinkProbe, NoObjectToProbeMeansNoGetAndNoWait) {
  HttpTestServer server(Costly(milliseconds(200), false));
  auto client = MakeScriptedClient(server.url());
  FetchPool pool(4);
  auto probe = std::make_shared<LinkProbe>(*client, pool, "b");
  probe->OnListing(s3::ListObjectsPage{});  // an empty root, or a failed listing
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(probe->LeastPartBytes(true), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(500));
  probe->OnWarm();
  EXPECT_EQ(server.request_count(), 0);
}

TEST(LinkProbe, AClosedProbeSendsNothingAndAReadDoesNotWaitForIt) {
  HttpTestServer server(Costly(milliseconds(200), false));
  auto client = MakeScriptedClient(server.url());
  FetchPool pool(4);
  auto probe = std::make_shared<LinkProbe>(*client, pool, "b");
  auto read = std::async(std::launch::async, [&] { return probe->LeastPartBytes(true); });
  probe->Close();  // unmounting before the root listing came
  EXPECT_EQ(read.get(), std::nullopt);
  probe->OnListing(RootWithBig());
  probe->OnWarm();
  EXPECT_EQ(server.request_count(), 0);
}

TEST(LinkProbe, WithoutWaitingAReadGetsNothingUntilTheProbeIsJudged) {
  HttpTestServer server(Costly(milliseconds(300), true));
  auto client = MakeScriptedClient(server.url());
  FetchPool pool(4);
  auto probe = std::make_shared<LinkProbe>(*client, pool, "b");
  probe->OnListing(RootWithBig());
  probe->OnWarm();
  EXPECT_EQ(probe->LeastPartBytes(false), std::nullopt);  // the GETs are still at the server
  EXPECT_TRUE(probe->LeastPartBytes(true).has_value());
}

// A prior that answers what it is told to.
class FixedPrior : public LinkEstimate::Prior {
 public:
  std::optional<uint64_t> LeastPartBytes(bool wait) override {
    ++asked;
    return wait ? std::optional<uint64_t>(100 * kMiB) : std::nullopt;
  }
  std::shared_ptr<LinkEstimate::FirstGet> TakeFirstGet() override {
    ++taken;
    return nullptr;
  }
  int asked = 0, taken = 0;
};

TEST(LinkProbe, ItsVerdictIsTheLinksUntilTheMountHasTimedEnoughGets) {
  LinkEstimate link;
  auto prior = std::make_shared<FixedPrior>();
  link.SetPrior(prior);
  EXPECT_EQ(link.LeastPartBytes(), std::nullopt);
  EXPECT_EQ(link.LeastPartBytes(/*wait_for_prior=*/true), 100 * kMiB);
  // S3-like GETs of its own: the mount's estimate replaces the prior's, and no read is asked to
  // stand in for it any more.
  for (int i = 0; i < 16; ++i) link.OnGet(3 * kMiB / 2, milliseconds(20), milliseconds(17));
  EXPECT_LT(link.LeastPartBytes(true).value_or(UINT64_MAX), kMiB);
  EXPECT_EQ(link.TakeFirstGet(), nullptr);
  EXPECT_EQ(prior->asked, 2);
  EXPECT_EQ(prior->taken, 0);
}

// A probe that has the root listing and the warm-up, with `quiet` before it goes out.
struct QuietProbe {
  explicit QuietProbe(HttpTestServer::Handler handler, milliseconds quiet = milliseconds(300))
      : server(std::move(handler)),
        client(MakeScriptedClient(server.url())),
        probe(std::make_shared<LinkProbe>(*client, pool, "b", quiet)) {
    pool.link().SetPrior(probe);
    probe->OnListing(RootWithBig());
    probe->OnWarm();
  }
  ~QuietProbe() { probe->Close(); }
  // A read's GET standing in for the probe: sent now, its first byte after `first`, its MiB
  // `body` later.
  void ReadGet(LinkEstimate::FirstGet& get, milliseconds first, milliseconds body) {
    get.Sent();
    std::this_thread::sleep_for(first);
    get.FirstByte();
    std::this_thread::sleep_for(body);
    get.Ended(kMiB);
  }
  HttpTestServer server;
  std::unique_ptr<s3::S3Client> client;
  FetchPool pool{4};
  std::shared_ptr<LinkProbe> probe;
};

TEST(LinkProbe, ItGoesOutOnlyAfterItsQuietTime) {
  QuietProbe q(Costly(milliseconds(50), /*one_at_a_time=*/false));
  std::this_thread::sleep_for(milliseconds(150));
  EXPECT_EQ(q.server.request_count(), 0);
  std::this_thread::sleep_for(milliseconds(400));
  EXPECT_EQ(q.server.request_count(), 2);
  EXPECT_GT(q.probe->LeastPartBytes(true).value_or(0), kMiB);
}

TEST(LinkProbe, AReadThatWantsTheVerdictCutsTheQuietShort) {
  QuietProbe q(Costly(milliseconds(50), /*one_at_a_time=*/false), milliseconds(5000));
  auto start = std::chrono::steady_clock::now();
  EXPECT_GT(q.probe->LeastPartBytes(true).value_or(0), kMiB);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(1000));
  EXPECT_EQ(q.server.request_count(), 2);
}

TEST(LinkProbe, AReadWithinTheQuietTimeTakesItsPlace) {
  QuietProbe q(Costly(milliseconds(200), /*one_at_a_time=*/false));
  auto get = q.pool.link().TakeFirstGet();
  ASSERT_NE(get, nullptr);
  EXPECT_EQ(q.pool.link().TakeFirstGet(), nullptr) << "one read stands in";
  // Reads after it wait for its verdict: 200 ms to the first byte, then the MiB in 2 ms.
  auto waiting = std::async(std::launch::async, [&] { return q.probe->LeastPartBytes(true); });
  q.ReadGet(*get, milliseconds(200), milliseconds(2));
  auto least = waiting.get();
  ASSERT_TRUE(least.has_value());
  // Eight times an eighth of what 1 MiB in 2 ms brings in 200 ms (12.5 MiB): one GET cannot
  // tell side by side (12.5 MiB) from one at a time (800 MiB).
  EXPECT_GE(*least, 80 * kMiB);
  EXPECT_LE(*least, 110 * kMiB);
  EXPECT_FALSE(q.probe->one_at_a_time());
  std::this_thread::sleep_for(milliseconds(400));  // past the quiet time
  EXPECT_EQ(q.server.request_count(), 0) << "the probe never goes out";
}

TEST(LinkProbe, AnS3LikeReadsGetSaysNothing) {
  QuietProbe q(Costly(milliseconds(20), false));
  auto get = q.pool.link().TakeFirstGet();
  ASSERT_NE(get, nullptr);
  q.ReadGet(*get, milliseconds(20), milliseconds(11));  // 90 MB/s after 20 ms
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.probe->LeastPartBytes(true), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(100));
}

TEST(LinkProbe, AStandInThatTimedNoMiBLeavesItToTheProbe) {
  QuietProbe q(Costly(milliseconds(50), false));
  auto get = q.pool.link().TakeFirstGet();
  ASSERT_NE(get, nullptr);
  get->Ended(0);  // never sent: its bytes came from the disk cache
  auto dropped = q.pool.link().TakeFirstGet();
  ASSERT_NE(dropped, nullptr);
  dropped.reset();  // its part went away before it was fetched
  auto short_one = q.pool.link().TakeFirstGet();
  ASSERT_NE(short_one, nullptr);
  short_one->Sent();
  short_one->FirstByte();
  short_one->Ended(kMiB / 2);  // a file shorter than a MiB: no rate to judge by
  auto failed = q.pool.link().TakeFirstGet();
  ASSERT_NE(failed, nullptr);
  short_one->Sent();  // reports of one that gave its place back no longer count
  failed->Sent();
  failed->Ended(0);
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_EQ(q.server.request_count(), 2) << "the probe's own GETs after its quiet time";
  EXPECT_GT(q.probe->LeastPartBytes(true).value_or(0), kMiB);
}

TEST(LinkProbe, ReadsWaitForAReadsGetThatIsNotSentOnlyBriefly) {
  QuietProbe q(Costly(milliseconds(50), false));
  auto get = q.pool.link().TakeFirstGet();
  ASSERT_NE(get, nullptr);
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.probe->LeastPartBytes(true), std::nullopt);
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, milliseconds(900));
  EXPECT_LT(waited, milliseconds(1500));
  // Once it is that late nobody waits for it any more.
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(q.probe->LeastPartBytes(true), std::nullopt);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(100));
}

}  // namespace
}  // namespace thaw::fs
