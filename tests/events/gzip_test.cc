// Bounded gzip inflation: round trips, multi-member streams, every kind of damage, and the
// zip-bomb limit.
#include "events/gzip.h"

#include <gtest/gtest.h>

#include <random>

#include "events/types.h"
#include "test_util.h"

namespace thaw::events {
namespace {

using testing::Gzip;

std::string Text(size_t n) {
  std::string s;
  std::mt19937 rng(7);
  while (s.size() < n) s += "{\"eventName\":\"GetObject\",\"n\":" + std::to_string(rng()) + "}\n";
  s.resize(n);
  return s;
}

TEST(Gzip, DetectsMagic) {
  EXPECT_TRUE(IsGzip(Gzip("x")));
  EXPECT_TRUE(IsGzip(std::string("\x1f\x8b", 2)));
  EXPECT_FALSE(IsGzip("{\"Records\":[]}"));
  EXPECT_FALSE(IsGzip(std::string("\x1f", 1)));
  EXPECT_FALSE(IsGzip(""));
}

TEST(Gzip, RoundTripsAndLeavesPadding) {
  for (size_t n : {0u, 1u, 100u, 70000u, 1u << 20}) {
    std::string text = Text(n);
    Result<std::string> out = Inflate(Gzip(text), 2u << 20, 64);
    ASSERT_TRUE(out.ok()) << n << ": " << out.status().ToString();
    EXPECT_EQ(*out, text);
    EXPECT_GE(out->capacity(), out->size() + 64);
  }
}

TEST(Gzip, InflateIntoReusesABufferWithoutKeepingItsBytes) {
  std::string buffer(300000, 'x');
  for (size_t n : {70000u, 200000u, 5u, 0u}) {
    std::string text = Text(n);
    ASSERT_TRUE(InflateInto(Gzip(text), 1u << 20, 64, buffer).ok()) << n;
    EXPECT_EQ(buffer, text);
    EXPECT_GE(buffer.capacity(), buffer.size() + 64);
  }
  // Multi-member streams take the zlib path, into the same buffer.
  ASSERT_TRUE(InflateInto(Gzip("hello, ") + Gzip("world"), 1000, 64, buffer).ok());
  EXPECT_EQ(buffer, "hello, world");
  Status over = InflateInto(Gzip(Text(5000)), 4999, 64, buffer);
  EXPECT_EQ(ParseErrorKindOf(over), ParseErrorKind::kTooLarge);
  ASSERT_TRUE(InflateInto(Gzip("abc"), 1000, 64, buffer).ok());
  EXPECT_EQ(buffer, "abc");
}

TEST(Gzip, ReadsConcatenatedMembers) {
  Result<std::string> out = Inflate(Gzip("hello, ") + Gzip("world"), 1000);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(*out, "hello, world");
}

TEST(Gzip, ToleratesTrailingZeroPaddingButNotGarbage) {
  Result<std::string> padded = Inflate(Gzip("abc") + std::string(16, '\0'), 1000);
  ASSERT_TRUE(padded.ok()) << padded.status().ToString();
  EXPECT_EQ(*padded, "abc");
  Result<std::string> garbage = Inflate(Gzip("abc") + "junk", 1000);
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(ParseErrorKindOf(garbage.status()), ParseErrorKind::kBadGzip);
  EXPECT_EQ(garbage.status().code(), StatusCode::kDataLoss);
}

TEST(Gzip, EveryTruncationIsATypedError) {
  std::string gz = Gzip(Text(5000));
  for (size_t cut = 0; cut < gz.size(); ++cut) {
    Result<std::string> out = Inflate(gz.substr(0, cut), 1u << 20);
    ASSERT_FALSE(out.ok()) << "cut at " << cut;
    EXPECT_EQ(ParseErrorKindOf(out.status()), ParseErrorKind::kBadGzip) << "cut at " << cut;
  }
}

TEST(Gzip, CorruptBytesNeverCrashAndMostlyFail) {
  std::string gz = Gzip(Text(3000));
  int failures = 0;
  for (size_t i = 0; i < gz.size(); ++i) {
    std::string bad = gz;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    Result<std::string> out = Inflate(bad, 1u << 20);
    if (!out.ok()) {
      ++failures;
      EXPECT_TRUE(ParseErrorKindOf(out.status()).has_value());
    }
  }
  // The CRC32 and length trailer catch damage to the data; only header bits zlib ignores
  // (mtime, OS byte, extra flags) can change without an error.
  EXPECT_GE(failures, static_cast<int>(gz.size()) - 8);
}

TEST(Gzip, StopsAZipBombAtTheLimit) {
  // 64 MiB of zeros compress to ~64 KiB; the limit trips after producing 1 MiB + 1 byte.
  std::string bomb = Gzip(std::string(64u << 20, '\0'), 9);
  ASSERT_LT(bomb.size(), 100u << 10);
  Result<std::string> out = Inflate(bomb, 1u << 20);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(ParseErrorKindOf(out.status()), ParseErrorKind::kTooLarge);
  EXPECT_EQ(out.status().code(), StatusCode::kResourceExhausted);
}

TEST(Gzip, ExactlyAtTheLimitIsAccepted) {
  std::string text = Text(4096);
  EXPECT_TRUE(Inflate(Gzip(text), 4096).ok());
  Result<std::string> over = Inflate(Gzip(text), 4095);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(ParseErrorKindOf(over.status()), ParseErrorKind::kTooLarge);
}

TEST(Gzip, RejectsZlibAndRawDeflate) {
  std::string not_gzip = "\x78\x9c\x4b\x04\x00\x00\x62\x00\x62";  // zlib("a")
  EXPECT_FALSE(Inflate(not_gzip, 100).ok());
  EXPECT_FALSE(Inflate(std::string("\x1f\x8b", 2), 100).ok());
}

}  // namespace
}  // namespace thaw::events
