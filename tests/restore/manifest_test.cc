// Manifest parsing: S3 Batch Operations CSV (bucket,key[,version_id]) with URL-encoded keys,
// RFC 4180 quoting, and errors that name the line.
#include "restore/manifest.h"

#include <gtest/gtest.h>

#include <sstream>

namespace thaw::restore {
namespace {

std::vector<ManifestEntry> MustParse(std::string_view text, ManifestOptions o = {}) {
  auto r = ParseManifest(text, "m.csv", o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::vector<ManifestEntry>{};
}

std::string ErrorOf(std::string_view text) {
  auto r = ParseManifest(text, "m.csv");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  return r.ok() ? "" : r.status().message();
}

TEST(Manifest, BucketKeyAndOptionalVersion) {
  auto v = MustParse("bkt,a/b.dat\nbkt,c.dat,v123\n");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].object, (ObjectRef{"bkt", "a/b.dat", ""}));
  EXPECT_EQ(v[0].line, 1);
  EXPECT_EQ(v[1].object, (ObjectRef{"bkt", "c.dat", "v123"}));
  EXPECT_EQ(v[1].line, 2);
}

TEST(Manifest, UrlEncodedKeysAreDecodedPlusIsSpace) {
  auto v = MustParse("bkt,dir%2Fmy+file%2B1.txt\nbkt,caf%C3%A9%20x\n");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].object.key, "dir/my file+1.txt");
  EXPECT_EQ(v[1].object.key, "caf\xC3\xA9 x");
}

TEST(Manifest, RawKeysWhenDecodingIsOff) {
  auto v = MustParse("bkt,a+b%20c\n", ManifestOptions{.decode_keys = false});
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].object.key, "a+b%20c");
}

TEST(Manifest, QuotedFieldsHoldCommasQuotesAndNewlines) {
  auto v = MustParse("\"bkt\",\"a,b\"\"c\"\"\",\"v1\"\r\nbkt,\"multi\nline\"\nbkt,last\n",
                     ManifestOptions{.decode_keys = false});
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].object, (ObjectRef{"bkt", "a,b\"c\"", "v1"}));
  EXPECT_EQ(v[1].object.key, "multi\nline");
  EXPECT_EQ(v[1].line, 2);
  EXPECT_EQ(v[2].line, 4);  // line counting goes on through the quoted newline
}

TEST(Manifest, BlankLinesCrlfBomAndNoFinalNewline) {
  auto v = MustParse(
      "\xEF\xBB\xBF"
      "bkt,a\r\n\r\n   \nbkt,b");
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].object.key, "a");
  EXPECT_EQ(v[1].object.key, "b");
  EXPECT_EQ(v[1].line, 4);
}

TEST(Manifest, ErrorsNameTheLine) {
  EXPECT_EQ(ErrorOf("bkt,a\nonlybucket\n"),
            "m.csv:2: expected bucket,key[,version_id]; found one field");
  EXPECT_EQ(ErrorOf("bkt,a\nbkt,a,v,extra\n"),
            "m.csv:2: expected bucket,key[,version_id]; found 4 fields (quote keys that contain "
            "commas)");
  EXPECT_EQ(ErrorOf("bkt,a\n\nbkt,bad%zzescape\n"),
            "m.csv:3: malformed %-escape in key "
            "'bad%zzescape'");
  EXPECT_EQ(ErrorOf(",key\n"), "m.csv:1: empty bucket name");
  EXPECT_EQ(ErrorOf("bkt,\n"), "m.csv:1: empty key");
  EXPECT_EQ(ErrorOf("bkt,a\nbkt,\"open\n"), "m.csv:2: unterminated quoted field");
  EXPECT_EQ(ErrorOf("bkt,ab\"c\n"), "m.csv:1: quote inside an unquoted field");
  EXPECT_EQ(ErrorOf("bkt,\"ab\"c\n"), "m.csv:1: unexpected character after a closing quote");
  EXPECT_EQ(ErrorOf("a/b,key\n"), "m.csv:1: bucket name 'a/b' contains '/'");
}

TEST(Manifest, ReaderStreamsOneEntryAtATime) {
  std::istringstream in("bkt,a\nbkt,b\nbroken\n");
  ManifestReader r(in, "s.csv");
  auto a = r.Next();
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->object.key, "a");
  auto b = r.Next();
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->object.key, "b");
  auto c = r.Next();
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().message(), "s.csv:3: expected bucket,key[,version_id]; found one field");
}

TEST(Manifest, EmptyInputIsEmpty) {
  EXPECT_TRUE(MustParse("").empty());
  EXPECT_TRUE(MustParse("\n\n").empty());
}

}  // namespace
}  // namespace thaw::restore
