// Tests for common/time_format: RFC 1123, ISO 8601 and SigV4 formats in both directions,
// offsets, fractions, and inputs that must be refused rather than misread.
#include "common/time_format.h"

#include <gtest/gtest.h>

#include <chrono>

namespace thaw {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

const TimePoint kDec21(seconds(1356048000));           // Fri, 21 Dec 2012 00:00:00 GMT
const TimePoint kAug30(seconds(1440938160));           // 2015-08-30T12:36:00Z (SigV4 suite)
const TimePoint kLeapDay(seconds(951782400 + 45296));  // 2000-02-29T12:34:56Z

TEST(HttpDate, Formats) {
  EXPECT_EQ(FormatHttpDate(kDec21), "Fri, 21 Dec 2012 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(kLeapDay), "Tue, 29 Feb 2000 12:34:56 GMT");
  EXPECT_EQ(FormatHttpDate(TimePoint{}), "Thu, 01 Jan 1970 00:00:00 GMT");
  // Sub-second parts are dropped, not rounded.
  EXPECT_EQ(FormatHttpDate(kDec21 + milliseconds(999)), "Fri, 21 Dec 2012 00:00:00 GMT");
}

TEST(HttpDate, ParsesTolerantly) {
  for (std::string_view s : {"Fri, 21 Dec 2012 00:00:00 GMT", "21 Dec 2012 00:00:00 GMT",
                             "  Fri,   21  Dec  2012 00:00:00   GMT ", "Fri, 21 dec 2012 00:00:00",
                             "Mon, 21 Dec 2012 00:00:00 GMT",  // a wrong weekday is tolerated
                             "Fri, 21 Dec 2012 00:00:00 UTC", "Fri, 21 Dec 2012 00:00:00 +0000"}) {
    auto t = ParseHttpDate(s);
    ASSERT_TRUE(t.has_value()) << s;
    EXPECT_EQ(*t, kDec21) << s;
  }
}

TEST(HttpDate, RoundTrips) {
  for (TimePoint t : {kDec21, kAug30, kLeapDay, TimePoint{}, TimePoint(seconds(4102444799))}) {
    EXPECT_EQ(ParseHttpDate(FormatHttpDate(t)), t) << FormatHttpDate(t);
  }
}

TEST(HttpDate, RefusesBadInput) {
  for (std::string_view s : {
           "",
           "Fri",
           "Fri, 21 Dec 2012",
           "Fri, 32 Dec 2012 00:00:00 GMT",
           "Fri, 0 Dec 2012 00:00:00 GMT",
           "Fri, 21 Foo 2012 00:00:00 GMT",
           "Fri, 21 Dec 2012 24:00:00 GMT",
           "Fri, 21 Dec 2012 00:60:00 GMT",
           "Fri, 21 Dec 2012 0:00:00 GMT",
           "Fri, 21 Dec 2012 00:00:00 PST",
           "Fri, 30 Feb 2012 00:00:00 GMT",
           "Fri, 4294967317 Dec 2012 00:00:00 GMT",  // wraps to 21 if narrowed unchecked
           "Fri, 21 Dec 99999999999 00:00:00 GMT",
           "Fri, 21 Dec 2012 00:00:00 GMT trailing words",
           "2012-12-21T00:00:00Z",
       }) {
    EXPECT_FALSE(ParseHttpDate(s).has_value()) << s;
  }
}

TEST(Iso8601, Formats) {
  EXPECT_EQ(FormatIso8601(kDec21), "2012-12-21T00:00:00.000Z");
  EXPECT_EQ(FormatIso8601(kDec21, false), "2012-12-21T00:00:00Z");
  EXPECT_EQ(FormatIso8601(kLeapDay + milliseconds(7) + nanoseconds(999999)),
            "2000-02-29T12:34:56.007Z");  // truncated to milliseconds
  EXPECT_EQ(FormatIso8601(TimePoint(seconds(-1))), "1969-12-31T23:59:59.000Z");
}

TEST(Iso8601, ParsesVariants) {
  struct Case {
    std::string_view text;
    TimePoint expected;
  };
  const Case cases[] = {
      {"2012-12-21T00:00:00.000Z", kDec21},
      {"2012-12-21T00:00:00Z", kDec21},
      {"2012-12-21t00:00:00z", kDec21},
      {"2012-12-21 00:00:00Z", kDec21},
      {"2012-12-21T00:00:00", kDec21},  // no zone: UTC, as AWS means it
      {"2012-12-21", kDec21},
      {"  2012-12-21T00:00:00Z  ", kDec21},
      {"2012-12-21T01:00:00+01:00", kDec21},
      {"2012-12-21T01:30:00+0130", kDec21},
      {"2012-12-20T19:00:00-05:00", kDec21},
      {"2012-12-21T05:00:00+05", kDec21},
      {"2012-12-21T00:00:00+00:00", kDec21},
      {"20121221T000000Z", kDec21},
      {"20121221", kDec21},
      {"2012-12-21T00:00:00.5Z", kDec21 + milliseconds(500)},
      {"2012-12-21T00:00:00.123456789Z", kDec21 + nanoseconds(123456789)},
      {"2012-12-21T00:00:00.1234567891234Z", kDec21 + nanoseconds(123456789)},
      {"2012-12-21T01:00:00.250+01:00", kDec21 + milliseconds(250)},
  };
  for (const Case& c : cases) {
    auto t = ParseIso8601(c.text);
    ASSERT_TRUE(t.has_value()) << c.text;
    EXPECT_EQ(*t, c.expected) << c.text;
  }
}

TEST(Iso8601, RoundTrips) {
  for (TimePoint t : {kDec21, kAug30 + milliseconds(123), kLeapDay, TimePoint{}}) {
    EXPECT_EQ(ParseIso8601(FormatIso8601(t)), t) << FormatIso8601(t);
    EXPECT_EQ(ParseIso8601(FormatIso8601(t, false)), std::chrono::floor<seconds>(t));
  }
}

TEST(Iso8601, RefusesBadInput) {
  for (std::string_view s : {
           "",
           "2012",
           "2012-12",
           "2012-13-01T00:00:00Z",
           "2012-02-30T00:00:00Z",
           "2012-12-21T",
           "2012-12-21T00:00Z",
           "2012-12-21T25:00:00Z",
           "2012-12-21T00:00:00.Z",
           "2012-12-21T00:00:00X",
           "2012-12-21T00:00:00+1",
           "2012-12-21T00:00:00+05:",
           "2012-12-21T00:00:00+05:3",
           "2012-12-21T00:00:00+24:00",
           "2012-12-21T00:00:00+05:60",
           "2012-12-21T00:00:00Z junk",
           "2012-1221T00:00:00Z",
           "Fri, 21 Dec 2012 00:00:00 GMT",
           "yyyy-mm-ddThh:mm:ssZ",
       }) {
    EXPECT_FALSE(ParseIso8601(s).has_value()) << s;
  }
}

TEST(AmzDate, FormatsSigV4Stamps) {
  EXPECT_EQ(FormatAmzDate(kAug30), "20150830T123600Z");
  EXPECT_EQ(FormatAmzDateStamp(kAug30), "20150830");
  EXPECT_EQ(FormatAmzDate(kAug30 + milliseconds(999)), "20150830T123600Z");
  EXPECT_EQ(ParseIso8601(FormatAmzDate(kAug30)), kAug30);
}

TEST(AnyTime, AcceptsEveryFormat) {
  EXPECT_EQ(ParseAnyTime("2012-12-21T00:00:00.000Z"), kDec21);
  EXPECT_EQ(ParseAnyTime("Fri, 21 Dec 2012 00:00:00 GMT"), kDec21);
  EXPECT_EQ(ParseAnyTime("20121221T000000Z"), kDec21);
  EXPECT_FALSE(ParseAnyTime("soon").has_value());
  EXPECT_FALSE(ParseAnyTime("").has_value());
}

TEST(Iso8601, RefusesYearsATimePointCannotHold) {
  // 64-bit nanoseconds reach 1677-09-21 to 2262-04-11; beyond, conversion would overflow.
  EXPECT_FALSE(ParseIso8601("9999-12-31T23:59:59Z"));
  EXPECT_FALSE(ParseIso8601("0001-01-01T00:00:00Z"));
  EXPECT_FALSE(ParseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT"));
  EXPECT_TRUE(ParseIso8601("2261-12-31T23:59:59Z"));
  EXPECT_TRUE(ParseIso8601("1970-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace thaw
