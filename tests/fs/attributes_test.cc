// Compact attributes: ETags, storage classes, restore states and POSIX fields read back exactly
// as they were given, whatever form a server sends.
#include "fs/attributes.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace thaw::fs {
namespace {

TEST(Etag, Md5FormsAreCompactAndRoundTrip) {
  for (std::string e : {"\"d41d8cd98f00b204e9800998ecf8427e\"",    // single PUT
                        "d41d8cd98f00b204e9800998ecf8427e",        // unquoted (some servers)
                        "\"9b2cf535f27731c974343645a3985328-1\"",  // multipart, one part
                        "\"9b2cf535f27731c974343645a3985328-10000\"",
                        "\"0123456789abcdef0123456789abcdef-999999999\""}) {
    Etag t(e);
    EXPECT_TRUE(t.compact()) << e;
    EXPECT_EQ(t.str(), e);
    EXPECT_EQ(std::string(t), e);
    EXPECT_FALSE(t.empty());
  }
}

TEST(Etag, OtherFormsAreKeptAsSent) {
  for (std::string e : {"\"D41D8CD98F00B204E9800998ECF8427E\"",             // upper case hex
                        "\"d41d8cd98f00b204e9800998ecf8427\"",              // 31 digits
                        "\"d41d8cd98f00b204e9800998ecf8427e-\"",            // empty part count
                        "\"d41d8cd98f00b204e9800998ecf8427e-0\"",           // part count 0
                        "\"d41d8cd98f00b204e9800998ecf8427e-01\"",          // leading zero
                        "\"d41d8cd98f00b204e9800998ecf8427e-9999999999\"",  // past 32 bits
                        "\"d41d8cd98f00b204e9800998ecf8427g\"",             // not hex
                        "W/\"d41d8cd98f00b204e9800998ecf8427e\"",           // weak
                        "\"d41d8cd98f00b204e9800998ecf8427e",               // one quote
                        "\"\"", "\"", "x", "etag-from-a-gateway-1234"}) {
    Etag t(e);
    EXPECT_FALSE(t.compact()) << e;
    EXPECT_EQ(t.str(), e);
  }
  Etag empty("");
  EXPECT_TRUE(empty.empty());
  EXPECT_EQ(empty.str(), "");
  EXPECT_TRUE(Etag().empty());
}

TEST(Etag, EqualityCopiesAndMoves) {
  Etag a("\"d41d8cd98f00b204e9800998ecf8427e\"");
  Etag bare("d41d8cd98f00b204e9800998ecf8427e");
  Etag multi("\"d41d8cd98f00b204e9800998ecf8427e-2\"");
  Etag odd("odd-etag");
  EXPECT_EQ(a, Etag(a.str()));
  EXPECT_NE(a, bare);  // a different string is a different ETag
  EXPECT_NE(a, multi);
  EXPECT_EQ(a, std::string("\"d41d8cd98f00b204e9800998ecf8427e\""));
  EXPECT_NE(odd, a);
  Etag copy = odd;
  EXPECT_EQ(copy, odd);
  Etag moved = std::move(copy);
  EXPECT_EQ(moved.str(), "odd-etag");
  moved = a;  // a heap value replaced by a compact one
  EXPECT_EQ(moved, a);
  moved = odd;
  moved = moved;  // NOLINT: self-assignment keeps the value
  EXPECT_EQ(moved.str(), "odd-etag");
  std::vector<Etag> many(100, odd);  // copies own their strings
  many.clear();
  EXPECT_EQ(odd.str(), "odd-etag");
}

TEST(InternedName, AwsAndOtherServersStorageClassesRoundTrip) {
  for (std::string c : {"STANDARD", "GLACIER", "DEEP_ARCHIVE", "INTELLIGENT_TIERING", "GLACIER_IR",
                        "STANDARD_IA", "ONEZONE_IA", "REDUCED_REDUNDANCY", "EXPRESS_ONEZONE",
                        "ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS",
                        // Other S3-compatible servers (MinIO tiers, Ceph placement, Wasabi...).
                        "COLD", "standard", "tier-7", "\xc3\xa9t\xc3\xa9"}) {
    InternedName n(c);
    EXPECT_EQ(n.view(), c);
    EXPECT_EQ(n.str(), c);
    EXPECT_EQ(n, InternedName(c));  // the same index the second time
  }
  EXPECT_TRUE(InternedName().empty());
  EXPECT_TRUE(InternedName("").empty());
  EXPECT_NE(InternedName("COLD"), InternedName("cold"));
  EXPECT_EQ(sizeof(InternedName), 2u);
}

TEST(CompactRestore, ReadsLikeTheOptionalItReplaces) {
  CompactRestore unknown;
  EXPECT_FALSE(unknown);
  EXPECT_FALSE(unknown.get());
  s3::RestoreStatus ongoing{s3::RestoreStatus::State::kOngoing, std::nullopt};
  CompactRestore r = ongoing;
  ASSERT_TRUE(r);
  EXPECT_EQ((*r).state, s3::RestoreStatus::State::kOngoing);
  EXPECT_FALSE((*r).expiry);
  Clock::TimePoint until = FakeClock().Now() + std::chrono::hours(30);
  r = std::optional<s3::RestoreStatus>(
      s3::RestoreStatus{s3::RestoreStatus::State::kRestored, until});
  EXPECT_EQ((*r).state, s3::RestoreStatus::State::kRestored);
  EXPECT_EQ((*r).expiry, until);
  r = std::nullopt;
  EXPECT_FALSE(r);
}

TEST(Attributes, PosixFieldsKeepPresence) {
  Attributes a;
  EXPECT_FALSE(a.mode);
  EXPECT_EQ(a.uid.value_or(7), 7u);
  a.mode = 0100640u;
  a.uid = std::optional<uint32_t>(0);  // root is a value, not "absent"
  a.gid = std::optional<uint32_t>();
  EXPECT_TRUE(a.mode);
  EXPECT_EQ(*a.mode, 0100640u);
  EXPECT_EQ(a.uid.value_or(7), 0u);
  EXPECT_FALSE(a.gid);
  // Small enough for a million of them (the dir cache and the inode table hold one per key).
  EXPECT_LE(sizeof(Attributes), 96u);
}

}  // namespace
}  // namespace thaw::fs
