// Tests for common/strings: case and trimming helpers, splitting, hex, SigV4's percent-encoding
// and its inverse (including the malformed escapes S3 never sends but a bug might), integers.
#include "common/strings.h"

#include <gtest/gtest.h>

#include <string>

namespace thaw {
namespace {

TEST(Strings, CaseAndTrim) {
  EXPECT_EQ(ToLower("X-Amz-Date ÄB"), "x-amz-date Äb");  // ASCII only; UTF-8 bytes untouched
  EXPECT_EQ(Trim(" \t\r\n x y \f\v"), "x y");
  EXPECT_EQ(Trim("   "), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_TRUE(EqualsIgnoreCase("Content-Length", "content-LENGTH"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abd"));
  EXPECT_FALSE(EqualsIgnoreCase("abc", "abcd"));
  EXPECT_TRUE(StartsWith("s3://b", "s3://"));
  EXPECT_FALSE(StartsWith("s3:", "s3://"));
  EXPECT_TRUE(StartsWith("x", ""));
  EXPECT_TRUE(EndsWith("file.tar", ".tar"));
  EXPECT_FALSE(EndsWith("tar", ".tar"));
}

TEST(Strings, SplitKeepsEmptyFields) {
  EXPECT_EQ(Split("a,b,,c", ','), (std::vector<std::string>{"a", "b", "", "c"}));
  EXPECT_EQ(Split("", ','), (std::vector<std::string>{""}));
  EXPECT_EQ(Split(",", ','), (std::vector<std::string>{"", ""}));
  EXPECT_EQ(Split("abc", ','), (std::vector<std::string>{"abc"}));
}

TEST(Strings, HexEncode) {
  EXPECT_EQ(HexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(HexEncode(""), "");
}

TEST(UriEncode, KeepsOnlyUnreserved) {
  const std::string unreserved =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~";
  EXPECT_EQ(UriEncode(unreserved), unreserved);
  EXPECT_EQ(UriEncode(" !\"#$%&'()*+,/:;<=>?@[\\]^`{|}"),
            "%20%21%22%23%24%25%26%27%28%29%2A%2B%2C%2F%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7C"
            "%7D");
  EXPECT_EQ(UriEncode("a/b c"), "a%2Fb%20c");
  EXPECT_EQ(UriEncode("a/b c", /*keep_slash=*/true), "a/b%20c");
}

TEST(UriEncode, EncodesEveryByteOfUnicodeAndControls) {
  EXPECT_EQ(UriEncode("été"), "%C3%A9t%C3%A9");
  EXPECT_EQ(UriEncode("日本"), "%E6%97%A5%E6%9C%AC");
  EXPECT_EQ(UriEncode("\xF0\x9F\x98\x80"), "%F0%9F%98%80");
  EXPECT_EQ(UriEncode(std::string("\x00\x7f\xff\n", 4)), "%00%7F%FF%0A");
}

TEST(UriDecode, InvertsEncodeForEveryByte) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  EXPECT_EQ(UriDecode(UriEncode(all)), all);
  EXPECT_EQ(UriDecode(UriEncode(all, true)), all);
}

TEST(UriDecode, AcceptsEitherHexCase) {
  EXPECT_EQ(UriDecode("%c3%A9%2f"), "\xC3\xA9/");
  EXPECT_EQ(UriDecode("plain-text_~."), "plain-text_~.");
  EXPECT_EQ(UriDecode(""), "");
}

TEST(UriDecode, PlusIsSpaceOnlyWhenAsked) {
  EXPECT_EQ(UriDecode("red+flower.jpg"), "red+flower.jpg");
  EXPECT_EQ(UriDecode("red+flower.jpg", /*plus_is_space=*/true), "red flower.jpg");
  EXPECT_EQ(UriDecode("a%2Bb+c", true), "a+b c");  // an encoded '+' stays a '+'
  EXPECT_EQ(UriDecode("%20", true), " ");
}

TEST(UriDecode, RefusesMalformedEscapes) {
  for (std::string_view s :
       {"%", "abc%", "abc%4", "%4", "%G0", "%0G", "%%41", "a%2", "%-1", "% 1"}) {
    EXPECT_FALSE(UriDecode(s).has_value()) << s;
    EXPECT_FALSE(UriDecode(s, true).has_value()) << s;
  }
  EXPECT_EQ(UriDecode("ab%41"), "abA");  // an escape ending exactly at the end is fine
}

TEST(ParseInt, WholeStringOnly) {
  EXPECT_EQ(ParseInt64("0"), 0);
  EXPECT_EQ(ParseInt64("-42"), -42);
  EXPECT_EQ(ParseInt64("9223372036854775807"), INT64_MAX);
  EXPECT_FALSE(ParseInt64("9223372036854775808").has_value());
  EXPECT_FALSE(ParseInt64("").has_value());
  EXPECT_FALSE(ParseInt64("12x").has_value());
  EXPECT_FALSE(ParseInt64(" 12").has_value());
  EXPECT_FALSE(ParseInt64("+12").has_value());
  EXPECT_EQ(ParseUint64("18446744073709551615"), UINT64_MAX);
  EXPECT_FALSE(ParseUint64("18446744073709551616").has_value());
  EXPECT_FALSE(ParseUint64("-1").has_value());
  EXPECT_FALSE(ParseUint64("1.5").has_value());
}

TEST(HumanBytes, PicksTheUnit) {
  EXPECT_EQ(HumanBytes(0), "0 B");
  EXPECT_EQ(HumanBytes(1023), "1023 B");
  EXPECT_EQ(HumanBytes(1024), "1.0 KiB");
  EXPECT_EQ(HumanBytes(1536 * 1024), "1.5 MiB");
  EXPECT_EQ(HumanBytes(5ull << 40), "5.0 TiB");
  EXPECT_EQ(HumanBytes(UINT64_MAX), "16384.0 PiB");
}

}  // namespace
}  // namespace thaw
