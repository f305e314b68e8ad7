// Unit tests of thaw sim's pure parts: range parsing and conditions, fault specs, aws-chunked
// decoding (AWS's documented signed example), checksums, and the restore state machine on a
// FakeClock.
#include <gtest/gtest.h>

#include <fstream>

#include "common/clock.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "s3/sigv4.h"
#include "sim/archive.h"
#include "sim/aws_chunked.h"
#include "sim/checksums.h"
#include "sim/faults.h"
#include "sim/http_conditions.h"
#include "sim/s3_error.h"
#include "sim/store.h"
#include "sim/xml_writer.h"
#include "support/test_env.h"

namespace thaw::sim {
namespace {

std::string CodeOf(const Status& s) {
  const S3Error* e = s.detail_as<S3Error>();
  return e ? e->code : "";
}

TEST(Range, ParsesClosedOpenAndSuffixRanges) {
  auto r = ParseRange("bytes=0-9", 100);
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ((*r)->first, 0u);
  EXPECT_EQ((*r)->length, 10u);
  r = ParseRange("bytes=90-", 100);
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ((*r)->first, 90u);
  EXPECT_EQ((*r)->length, 10u);
  r = ParseRange("bytes=-5", 100);
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ((*r)->first, 95u);
  EXPECT_EQ((*r)->length, 5u);
  r = ParseRange("bytes=-500", 100);  // suffix longer than the object: whole object
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ((*r)->first, 0u);
  EXPECT_EQ((*r)->length, 100u);
  r = ParseRange("bytes=50-1000", 100);  // clamped
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_EQ((*r)->length, 50u);
}

TEST(Range, UnsatisfiableIsInvalidRangeAndGarbageIsIgnored) {
  EXPECT_EQ(CodeOf(ParseRange("bytes=100-", 100).status()), "InvalidRange");
  EXPECT_EQ(CodeOf(ParseRange("bytes=0-0", 0).status()), "InvalidRange");
  for (const char* ignored : {"", "items=0-1", "bytes=5-1", "bytes=0-1,3-4", "bytes=x-"}) {
    auto r = ParseRange(ignored, 100);
    ASSERT_TRUE(r.ok()) << ignored;
    EXPECT_FALSE(*r) << ignored;
  }
}

TEST(Conditions, FollowRfc7232Order) {
  auto t = *ParseHttpDate("Wed, 01 Jan 2025 00:00:00 GMT");
  s3::HttpHeaders h;
  EXPECT_EQ(EvaluateConditions(h, "\"abc\"", t), ConditionResult::kProceed);
  h.Set("If-None-Match", "\"abc\"");
  EXPECT_EQ(EvaluateConditions(h, "\"abc\"", t), ConditionResult::kNotModified);
  h = {};
  h.Set("If-Match", "\"other\"");
  EXPECT_EQ(EvaluateConditions(h, "\"abc\"", t), ConditionResult::kPreconditionFailed);
  h = {};
  h.Set("If-Modified-Since", "Wed, 01 Jan 2025 00:00:00 GMT");
  EXPECT_EQ(EvaluateConditions(h, "\"abc\"", t), ConditionResult::kNotModified);
  h.Set("If-Modified-Since", "Tue, 31 Dec 2024 00:00:00 GMT");
  EXPECT_EQ(EvaluateConditions(h, "\"abc\"", t), ConditionResult::kProceed);
}

TEST(Faults, ParsesTheDocumentedSpec) {
  auto rules = ParseFaultSpec("op=GetObject,rate=0.05,error=SlowDown;op=*,latency=200ms");
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  ASSERT_EQ(rules->size(), 2u);
  EXPECT_EQ((*rules)[0].ops, std::vector<std::string>{"GetObject"});
  EXPECT_DOUBLE_EQ((*rules)[0].rate, 0.05);
  EXPECT_EQ((*rules)[0].error, "SlowDown");
  EXPECT_TRUE((*rules)[1].ops.empty());
  EXPECT_EQ((*rules)[1].latency, std::chrono::milliseconds(200));
  auto more = ParseFaultSpec(
      "op=GetObject|HeadObject,bandwidth=50MiB/s,truncate;op=PutObject,reset,count=2");
  ASSERT_TRUE(more.ok());
  EXPECT_EQ((*more)[0].bandwidth_bytes_per_s, 50ull << 20);
  EXPECT_TRUE((*more)[0].truncate);
  EXPECT_TRUE((*more)[1].reset);
  EXPECT_EQ((*more)[1].count, 2);
}

TEST(Faults, RejectsBadSpecs) {
  for (const char* bad :
       {"op=GetObject", "rate=2,error=SlowDown", "latency=fast", "bandwidth=1XB/s", "frobnicate",
        "error=SlowDown,status=9", "capacity=0", "capacity=fast", "capacity=10/m"}) {
    EXPECT_FALSE(ParseFaultSpec(bad).ok()) << bad;
  }
}

TEST(Faults, InjectorHonoursOpRateAndCount) {
  FaultInjector f(42);
  ASSERT_TRUE(f.SetSpec("op=GetObject,error=SlowDown,count=2").ok());
  EXPECT_EQ(f.Decide("PutObject").error, "");
  EXPECT_EQ(f.Decide("GetObject").error, "SlowDown");
  EXPECT_EQ(f.Decide("GetObject").error, "SlowDown");
  EXPECT_EQ(f.Decide("GetObject").error, "");
  ASSERT_TRUE(f.SetSpec("op=*,rate=0.5,error=InternalError").ok());
  int hits = 0;
  for (int i = 0; i < 1000; ++i) hits += f.Decide("HeadObject").error.empty() ? 0 : 1;
  EXPECT_GT(hits, 400);
  EXPECT_LT(hits, 600);
}

TEST(Faults, CapacityQueuesRequestsOneAfterAnother) {
  FaultInjector f(42);
  ASSERT_TRUE(f.SetSpec("op=RestoreObject,capacity=100/s").ok());
  using std::chrono::milliseconds;
  auto t0 = std::chrono::steady_clock::now();
  // Five at once: answered 10, 20, ... 50 ms later, in turn.
  for (int i = 1; i <= 5; ++i) {
    EXPECT_EQ(f.Decide("RestoreObject", t0).latency, milliseconds(10 * i)) << i;
  }
  EXPECT_EQ(f.Decide("HeadObject", t0).latency, milliseconds(0));  // another op: no queue
  // Once the queue has drained, a call waits only its own turn.
  EXPECT_EQ(f.Decide("RestoreObject", t0 + milliseconds(200)).latency, milliseconds(10));
}

// Bit-at-a-time reference of a reflected CRC with init and final inversion.
template <typename T>
T ReferenceCrc(T poly, const std::string& data) {
  T crc = ~T{0};
  for (unsigned char b : data) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? (crc >> 1) ^ poly : crc >> 1;
  }
  return ~crc;
}

TEST(Checksums, FastCrcsMatchBitwiseReferenceForAnySplit) {
  // The 8-byte loops (slicing tables, SSE4.2) against the definition, with every tail length
  // and updates split at odd offsets.
  std::string data;
  for (int i = 0; i < 1000; ++i) data.push_back(static_cast<char>((i * 131 + 7) & 0xff));
  for (size_t len : {0, 1, 7, 8, 9, 15, 16, 17, 63, 999, 1000}) {
    std::string part = data.substr(0, len);
    for (size_t split : {size_t{0}, len / 3, len}) {
      auto c = MakeDigest(DigestKind::kCrc32c);
      c->Update(std::string_view(part).substr(0, split));
      c->Update(std::string_view(part).substr(split));
      EXPECT_EQ(HexEncode(c->Finish()), HexEncode(DigestOf(DigestKind::kCrc32c, part)));
      auto n = MakeDigest(DigestKind::kCrc64Nvme);
      n->Update(std::string_view(part).substr(0, split));
      n->Update(std::string_view(part).substr(split));
      EXPECT_EQ(HexEncode(n->Finish()), HexEncode(DigestOf(DigestKind::kCrc64Nvme, part)));
    }
    uint32_t c32 = ReferenceCrc<uint32_t>(0x82F63B78u, part);
    uint64_t c64 = ReferenceCrc<uint64_t>(0x9A6C9329AC4BC9B5ull, part);
    std::string be32, be64;
    for (int i = 3; i >= 0; --i) be32.push_back(static_cast<char>(c32 >> (8 * i)));
    for (int i = 7; i >= 0; --i) be64.push_back(static_cast<char>(c64 >> (8 * i)));
    EXPECT_EQ(DigestOf(DigestKind::kCrc32c, part), be32) << len;
    EXPECT_EQ(DigestOf(DigestKind::kCrc64Nvme, part), be64) << len;
  }
}

TEST(Checksums, MatchKnownCheckValues) {
  // The standard "123456789" check values of each CRC.
  EXPECT_EQ(HexEncode(DigestOf(DigestKind::kCrc32, "123456789")), "cbf43926");
  EXPECT_EQ(HexEncode(DigestOf(DigestKind::kCrc32c, "123456789")), "e3069283");
  EXPECT_EQ(HexEncode(DigestOf(DigestKind::kCrc64Nvme, "123456789")), "ae8b14860a799888");
  EXPECT_EQ(Base64Encode(DigestOf(DigestKind::kMd5, "")), "1B2M2Y8AsgTpgAmY7PhCfg==");
  EXPECT_EQ(HexEncode(DigestOf(DigestKind::kCrc32c, "")), "00000000");
  EXPECT_EQ(Base64Decode("1B2M2Y8AsgTpgAmY7PhCfg=="), DigestOf(DigestKind::kMd5, ""));
}

TEST(AwsChunked, DecodesUnsignedBodyWithTrailerFedByteByByte) {
  std::string body = "5\r\nhello\r\n6\r\n world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n";
  std::string out;
  AwsChunkedDecoder d([&](std::string_view s) {
    out.append(s);
    return Status::Ok();
  });
  for (char c : body) ASSERT_TRUE(d.Feed(std::string_view(&c, 1)).ok());
  ASSERT_TRUE(d.Finish().ok());
  EXPECT_EQ(out, "hello world");
  ASSERT_EQ(d.trailers().size(), 1u);
  EXPECT_EQ(d.trailers()[0].first, "x-amz-checksum-crc32");
  EXPECT_EQ(d.trailers()[0].second, "DUoRhQ==");
}

TEST(AwsChunked, TruncatedBodyIsIncomplete) {
  AwsChunkedDecoder d([](std::string_view) { return Status::Ok(); });
  ASSERT_TRUE(d.Feed("5\r\nhel").ok());
  EXPECT_EQ(CodeOf(d.Finish()), "IncompleteBody");
  AwsChunkedDecoder bad([](std::string_view) { return Status::Ok(); });
  EXPECT_EQ(CodeOf(bad.Feed("zz\r\n")), "InvalidRequest");
}

// AWS's documented example of STREAMING-AWS4-HMAC-SHA256-PAYLOAD (sigv4-streaming docs):
// 65 KiB of 'a' in a 64 KiB chunk, a 1 KiB chunk and the final chunk.
TEST(AwsChunked, VerifiesAwsDocumentedChunkSignatures) {
  ChunkSigningContext ctx;
  ctx.signing_key = s3::DeriveSigningKey("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524",
                                         "us-east-1", "s3");
  ctx.amz_date = "20130524T000000Z";
  ctx.scope = "20130524/us-east-1/s3/aws4_request";
  ctx.seed_signature = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
  std::string body =
      "10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n" +
      std::string(65536, 'a') + "\r\n" +
      "400;chunk-signature=0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497\r\n" +
      std::string(1024, 'a') + "\r\n" +
      "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n";
  uint64_t n = 0;
  AwsChunkedDecoder d(
      [&](std::string_view s) {
        n += s.size();
        return Status::Ok();
      },
      ctx);
  Status s = d.Feed(body);
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_TRUE(d.Finish().ok());
  EXPECT_EQ(n, 66560u);

  body[body.find("aaaa") + 10] = 'b';  // tampered data
  AwsChunkedDecoder tampered([](std::string_view) { return Status::Ok(); }, ctx);
  EXPECT_EQ(CodeOf(tampered.Feed(body)), "SignatureDoesNotMatch");
}

class RestoreMachine : public ::testing::Test {
 protected:
  FakeClock clock_{*ParseIso8601("2024-04-10T13:00:00Z")};
  std::mt19937_64 rng_{7};
  ArchiveState Glacier() {
    ArchiveState s;
    s.storage_class = "GLACIER";
    return s;
  }
};

TEST_F(RestoreMachine, GlacierRestoreRunsThenExpiresAtMidnight) {
  ArchiveState s = Glacier();
  EXPECT_FALSE(s.readable());
  auto a = RequestRestore(s, {2, s3::RestoreTier::kStandard}, clock_.Now(), rng_);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(*a, RestoreAnswer::kAccepted);
  EXPECT_EQ(s.restore, ArchiveState::Restore::kOngoing);
  auto d = s.ready_at - clock_.Now();
  EXPECT_GE(d, std::chrono::hours(3));
  EXPECT_LE(d, std::chrono::hours(5));
  EXPECT_EQ(CodeOf(RequestRestore(s, {2, s3::RestoreTier::kStandard}, clock_.Now(), rng_).status()),
            "RestoreAlreadyInProgress");
  EXPECT_EQ(s3::FormatRestoreHeader(ToRestoreStatus(s)), "ongoing-request=\"true\"");
  clock_.Advance(std::chrono::hours(5));
  EXPECT_TRUE(AdvanceTo(s, clock_.Now()));
  EXPECT_TRUE(s.readable());
  // Completed about 16:00-18:00 on Apr 10 + 2 days -> Apr 12, rounded up to Apr 13 00:00 UTC.
  EXPECT_EQ(FormatIso8601(s.expiry), "2024-04-13T00:00:00.000Z");
  // Already restored: 200, expiry recomputed from now.
  auto again = RequestRestore(s, {5, s3::RestoreTier::kBulk}, clock_.Now(), rng_);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, RestoreAnswer::kAlreadyRestored);
  EXPECT_EQ(FormatIso8601(s.expiry), "2024-04-16T00:00:00.000Z");
  clock_.Advance(std::chrono::hours(24 * 6));
  EXPECT_TRUE(AdvanceTo(s, clock_.Now()));
  EXPECT_FALSE(s.readable());  // archived again
  EXPECT_EQ(s.restore, ArchiveState::Restore::kNone);
}

TEST_F(RestoreMachine, DaysAndTierRulesPerClass) {
  ArchiveState g = Glacier();
  EXPECT_EQ(CodeOf(RequestRestore(g, {std::nullopt, s3::RestoreTier::kStandard}, clock_.Now(), rng_)
                       .status()),
            "InvalidArgument");
  ArchiveState deep;
  deep.storage_class = "DEEP_ARCHIVE";
  EXPECT_EQ(
      CodeOf(RequestRestore(deep, {1, s3::RestoreTier::kExpedited}, clock_.Now(), rng_).status()),
      "InvalidArgument");
  ASSERT_TRUE(RequestRestore(deep, {1, s3::RestoreTier::kBulk}, clock_.Now(), rng_).ok());
  EXPECT_GE(deep.ready_at - clock_.Now(), std::chrono::hours(24));
  EXPECT_LE(deep.ready_at - clock_.Now(), std::chrono::hours(48));
  ArchiveState it;
  it.storage_class = "INTELLIGENT_TIERING";
  it.archive_status = "ARCHIVE_ACCESS";
  EXPECT_EQ(
      CodeOf(RequestRestore(it, {1, s3::RestoreTier::kStandard}, clock_.Now(), rng_).status()),
      "InvalidArgument");
  ASSERT_TRUE(
      RequestRestore(it, {std::nullopt, s3::RestoreTier::kExpedited}, clock_.Now(), rng_).ok());
  clock_.Advance(std::chrono::minutes(5));
  EXPECT_TRUE(AdvanceTo(it, clock_.Now()));
  EXPECT_EQ(it.archive_status, "");  // back in the frequent access tier
  EXPECT_TRUE(it.readable());
  ArchiveState standard;
  EXPECT_EQ(
      CodeOf(
          RequestRestore(standard, {1, s3::RestoreTier::kStandard}, clock_.Now(), rng_).status()),
      "InvalidObjectState");
}

TEST_F(RestoreMachine, FasterTierUpgradesARunningRestore) {
  ArchiveState s = Glacier();
  ASSERT_TRUE(RequestRestore(s, {1, s3::RestoreTier::kBulk}, clock_.Now(), rng_).ok());
  auto a = RequestRestore(s, {1, s3::RestoreTier::kExpedited}, clock_.Now(), rng_);
  ASSERT_TRUE(a.ok());
  EXPECT_LE(s.ready_at - clock_.Now(), std::chrono::minutes(5));
  EXPECT_EQ(CodeOf(RequestRestore(s, {1, s3::RestoreTier::kBulk}, clock_.Now(), rng_).status()),
            "RestoreAlreadyInProgress");
}

TEST(ExpiryFor, RoundsUpToNextMidnightUtc) {
  EXPECT_EQ(FormatIso8601(ExpiryFor(*ParseIso8601("2012-12-19T13:00:00Z"), 1)),
            "2012-12-21T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(ExpiryFor(*ParseIso8601("2012-12-20T00:00:00Z"), 1)),
            "2012-12-21T00:00:00.000Z");
}

}  // namespace
}  // namespace thaw::sim

namespace thaw::sim {
namespace {

TEST(XmlEscape, EveryByteXmlGivesAMeaningIsAnEntity) {
  EXPECT_EQ(XmlEscape("a<b>&\"'c"), "a&lt;b&gt;&amp;&quot;&apos;c");
  EXPECT_EQ(XmlEscape("x]]>y"), "x]]&gt;y");
  // C0 controls as S3 writes them; tab and newline are legal XML text and stay.
  EXPECT_EQ(XmlEscape(std::string("\x01\x1f\r\t\n\x7f", 6)), "&#x1;&#x1F;&#13;\t\n\x7f");
  EXPECT_EQ(XmlEscape(std::string("a\0b", 3)), "a&#x0;b");
  EXPECT_EQ(XmlEscape("caf\xC3\xA9"), "caf\xC3\xA9");  // UTF-8 passes unchanged
}

TEST(StorePaths, UploadIdsThatCouldLeaveTheDataDirAreRefused) {
  thaw::testing::TempDir dir;
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto good = (*store)->UploadDir("AbC-_09xyz");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, dir.path() + "/uploads/AbC-_09xyz");
  for (const char* bad : {"", "..", "../x", "a/b", "/abs", "x\\y", "a.b"}) {
    EXPECT_FALSE((*store)->UploadDir(bad).ok()) << bad;
  }
  EXPECT_FALSE((*store)->UploadDir(std::string("a\0b", 3)).ok());
}

// A listing's lower bound is the later of the cursor and the prefix, whichever of the two
// that is (the query seeks with one of them: keys before the prefix must not be read, and are
// never returned).
TEST(StoreListing, StartsAtTheLaterOfCursorAndPrefix) {
  thaw::testing::TempDir dir;
  auto opened = Store::Open(dir.path());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  Store& store = **opened;
  ASSERT_TRUE(store.CreateBucket(BucketRecord{"b", "us-east-1", {}}).ok());
  for (const char* key : {"a/1", "flat/1", "flat/2", "tree/", "tree/a", "tree/b", "tree/c", "u"}) {
    std::string temp = dir.path() + "/put.tmp";
    std::ofstream(temp) << key;
    ObjectRecord rec;
    rec.bucket = "b";
    rec.key = key;
    ASSERT_TRUE(store.PutObject(rec, temp).ok()) << key;
  }
  auto keys = [&](const std::string& prefix, const std::string& after, int limit = 1000) {
    std::vector<std::string> out;
    auto page = store.ListObjects("b", prefix, after, limit);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (page.ok()) {
      for (const auto& rec : *page) out.push_back(rec.key);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(keys("tree/", ""), (V{"tree/", "tree/a", "tree/b", "tree/c"}));
  EXPECT_EQ(keys("tree/", "flat/9"), (V{"tree/", "tree/a", "tree/b", "tree/c"}));
  EXPECT_EQ(keys("tree/", "tree/"), (V{"tree/a", "tree/b", "tree/c"}));
  EXPECT_EQ(keys("tree/", "tree/a"), (V{"tree/b", "tree/c"}));
  EXPECT_EQ(keys("tree/", "tree/a", 1), (V{"tree/b"}));
  EXPECT_EQ(keys("tree/", "tree/c"), V{});
  EXPECT_EQ(keys("tree/", "zzz"), V{});
  EXPECT_EQ(keys("", "flat/1"), (V{"flat/2", "tree/", "tree/a", "tree/b", "tree/c", "u"}));
  EXPECT_EQ(keys("", "", 2), (V{"a/1", "flat/1"}));
}

}  // namespace
}  // namespace thaw::sim
