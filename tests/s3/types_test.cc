// Tests for s3/types: the archived-class table of the facts doc, every x-amz-restore shape S3
// and look-alikes write (and garbage), FSx's POSIX metadata, and the tier/outcome names.
#include "s3/types.h"

#include <gtest/gtest.h>

#include <chrono>

namespace thaw::s3 {
namespace {

using State = RestoreStatus::State;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// Fri, 21 Dec 2012 00:00:00 GMT, the date in AWS's own x-amz-restore example.
const Clock::TimePoint kDec21(seconds(1356048000));

TEST(IsArchived, FollowsTheFactsTable) {
  struct Row {
    std::string_view storage_class;
    std::string_view archive_status;
    bool archived;
  };
  const Row rows[] = {
      {"STANDARD", "", false},
      {"STANDARD_IA", "", false},
      {"ONEZONE_IA", "", false},
      {"REDUCED_REDUNDANCY", "", false},
      {"GLACIER_IR", "", false},
      {"EXPRESS_ONEZONE", "", false},
      {"GLACIER", "", true},
      {"DEEP_ARCHIVE", "", true},
      {"INTELLIGENT_TIERING", "", false},
      {"INTELLIGENT_TIERING", "ARCHIVE_ACCESS", true},
      {"INTELLIGENT_TIERING", "DEEP_ARCHIVE_ACCESS", true},
      {"INTELLIGENT_TIERING", "SOMETHING_NEW", false},
      // The archive status only matters for Intelligent-Tiering.
      {"STANDARD", "ARCHIVE_ACCESS", false},
      {"GLACIER", "ARCHIVE_ACCESS", true},
      {"", "", false},
      {"glacier", "", true},
  };
  for (const Row& r : rows) {
    EXPECT_EQ(IsArchived(r.storage_class, r.archive_status), r.archived)
        << r.storage_class << " / " << r.archive_status;
  }
}

TEST(ObjectInfo, ReadableWhenNotArchivedOrRestored) {
  ObjectInfo info;
  EXPECT_FALSE(info.archived());
  EXPECT_TRUE(info.readable());
  info.storage_class = "DEEP_ARCHIVE";
  EXPECT_TRUE(info.archived());
  EXPECT_FALSE(info.readable());
  info.restore.state = State::kOngoing;
  EXPECT_FALSE(info.readable());
  info.restore.state = State::kRestored;
  EXPECT_TRUE(info.readable());
}

TEST(TimeScale, OnlyFiniteFactorsFromOneUpAreTaken) {
  EXPECT_EQ(ParseTimeScale("36000"), 36000.0);
  EXPECT_EQ(ParseTimeScale(" 1 "), 1.0);
  EXPECT_EQ(ParseTimeScale("2.5"), 2.5);
  for (const char* bad : {"", "0.5", "0", "-3", "inf", "nan", "1e9", "36000x", "x"}) {
    EXPECT_EQ(ParseTimeScale(bad), std::nullopt) << bad;
  }
}

TEST(RestoreStateName, NamesEveryState) {
  EXPECT_EQ(RestoreStateName(State::kNone), "none");
  EXPECT_EQ(RestoreStateName(State::kOngoing), "ongoing");
  EXPECT_EQ(RestoreStateName(State::kRestored), "restored");
}

TEST(ParseRestoreHeader, EmptyMeansNone) {
  for (std::string_view v : {"", "   ", "\r\n"}) {
    auto r = ParseRestoreHeader(v);
    ASSERT_TRUE(r.has_value()) << "'" << v << "'";
    EXPECT_EQ(r->state, State::kNone);
    EXPECT_FALSE(r->expiry.has_value());
  }
}

TEST(ParseRestoreHeader, Ongoing) {
  for (std::string_view v : {R"(ongoing-request="true")", R"(ongoing-request='true')",
                             "ongoing-request=true", R"(  ongoing-request = "true"  )",
                             R"(Ongoing-Request="TRUE")", R"(ongoing-request="true",)"}) {
    auto r = ParseRestoreHeader(v);
    ASSERT_TRUE(r.has_value()) << v;
    EXPECT_EQ(r->state, State::kOngoing) << v;
    EXPECT_FALSE(r->expiry.has_value()) << v;
  }
}

TEST(ParseRestoreHeader, RestoredWithExpiryInEveryShape) {
  for (std::string_view v : {
           R"(ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")",
           R"(ongoing-request="false",expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")",
           R"(ongoing-request = "false" ,  expiry-date = "Fri, 21 Dec 2012 00:00:00 GMT" )",
           R"(ongoing-request='false', expiry-date='Fri, 21 Dec 2012 00:00:00 GMT')",
           "ongoing-request=false, expiry-date=Fri, 21 Dec 2012 00:00:00 GMT",
           R"(expiry-date="Fri, 21 Dec 2012 00:00:00 GMT", ongoing-request="false")",
           R"(EXPIRY-DATE="Fri, 21 Dec 2012 00:00:00 GMT", Ongoing-Request="False")",
           R"(ongoing-request="false" expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")",
           R"(ongoing-request="false", expiry-date="2012-12-21T00:00:00.000Z")",
           R"(ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT", )"
           R"(restore-tier="Bulk")",
           R"(x-new="a, b=c", ongoing-request="false", expiry-date="21 Dec 2012 00:00:00 GMT")",
       }) {
    auto r = ParseRestoreHeader(v);
    ASSERT_TRUE(r.has_value()) << v;
    EXPECT_EQ(r->state, State::kRestored) << v;
    ASSERT_TRUE(r->expiry.has_value()) << v;
    EXPECT_EQ(*r->expiry, kDec21) << v;
  }
}

TEST(ParseRestoreHeader, FinishedWithoutExpiryIsRestoredWithUnknownExpiry) {
  auto r = ParseRestoreHeader(R"(ongoing-request="false")");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, State::kRestored);
  EXPECT_FALSE(r->expiry.has_value());
}

TEST(ParseRestoreHeader, OngoingWinsOverAnExpiry) {
  // A restore that extends an existing copy: the new request is what matters.
  auto r =
      ParseRestoreHeader(R"(ongoing-request="true", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->state, State::kOngoing);
}

TEST(ParseRestoreHeader, GarbageIsNullopt) {
  for (std::string_view v : {
           "garbage",
           "true",
           R"(ongoing-request="maybe")",
           R"(ongoing-request="true)",
           R"(ongoing-request=)",
           R"(="true")",
           R"(ongoing-request "true")",
           R"(ongoing-request="false", expiry-date="not a date")",
           R"(ongoing-request="false", expiry-date="")",
           R"(ongoing-request="false"; expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")",
           R"(unknown-key="x")",
           R"(ongoing-request="true" junk)",
       }) {
    EXPECT_FALSE(ParseRestoreHeader(v).has_value()) << v;
  }
}

TEST(FormatRestoreHeader, WritesWhatS3Writes) {
  EXPECT_EQ(FormatRestoreHeader(RestoreStatus{}), "");
  EXPECT_EQ(FormatRestoreHeader(RestoreStatus{State::kOngoing, std::nullopt}),
            R"(ongoing-request="true")");
  EXPECT_EQ(FormatRestoreHeader(RestoreStatus{State::kRestored, kDec21}),
            R"(ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT")");
  EXPECT_EQ(FormatRestoreHeader(RestoreStatus{State::kRestored, std::nullopt}),
            R"(ongoing-request="false")");
}

TEST(FormatRestoreHeader, RoundTripsThroughParse) {
  for (const RestoreStatus& s :
       {RestoreStatus{}, RestoreStatus{State::kOngoing, std::nullopt},
        RestoreStatus{State::kRestored, kDec21 + std::chrono::hours(24 * 400)}}) {
    auto back = ParseRestoreHeader(FormatRestoreHeader(s));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->state, s.state);
    EXPECT_EQ(back->expiry, s.expiry);
  }
}

TEST(ParsePosixMetadata, ReadsFsxKeys) {
  PosixMetadata md = ParsePosixMetadata({
      {"file-permissions", "0100664"},
      {"file-owner", "1000"},
      {"file-group", "4294967295"},
      {"file-mtime", "1700000000123456789ns"},
      {"file-atime", "1700000000123"},
      {"unrelated", "x"},
  });
  ASSERT_TRUE(md.mode.has_value());
  EXPECT_EQ(*md.mode, 0100664u);
  EXPECT_EQ(md.uid, 1000u);
  EXPECT_EQ(md.gid, 4294967295u);
  ASSERT_TRUE(md.mtime.has_value());
  EXPECT_EQ(md.mtime->time_since_epoch(), nanoseconds(1700000000123456789));
  ASSERT_TRUE(md.atime.has_value());
  EXPECT_EQ(md.atime->time_since_epoch(), milliseconds(1700000000123));
}

TEST(ParsePosixMetadata, AbsentKeysStayUnset) {
  PosixMetadata md = ParsePosixMetadata({});
  EXPECT_FALSE(md.mode || md.uid || md.gid || md.mtime || md.atime);
}

TEST(ParsePosixMetadata, AcceptsDirectoryModesCaseAndSpaces) {
  PosixMetadata md = ParsePosixMetadata({
      {"File-Permissions", " 040755 "},
      {"FILE-OWNER", "0"},
      {"file-mtime", "1700000000000ms"},
  });
  EXPECT_EQ(md.mode, 040755u);
  EXPECT_EQ(md.uid, 0u);
  ASSERT_TRUE(md.mtime.has_value());
  EXPECT_EQ(md.mtime->time_since_epoch(), seconds(1700000000));
}

TEST(ParsePosixMetadata, IgnoresInvalidValues) {
  PosixMetadata md = ParsePosixMetadata({
      {"file-permissions", "0100698"},  // 8 and 9 are not octal
      {"file-owner", "-1"},
      {"file-group", "4294967296"},  // does not fit a gid
      {"file-mtime", "99999999999999999999ns"},
      {"file-atime", "1.5"},
  });
  EXPECT_FALSE(md.mode.has_value());
  EXPECT_FALSE(md.uid.has_value());
  EXPECT_FALSE(md.gid.has_value());
  EXPECT_FALSE(md.mtime.has_value());
  EXPECT_FALSE(md.atime.has_value());
}

TEST(ParsePosixMetadata, NeverCrashesOnHostileValues) {
  const char* values[] = {"",
                          "ns",
                          "ms",
                          "-",
                          "0x1f",
                          "07777777777777777777777",
                          "+5",
                          "1e9",
                          " ",
                          "\t",
                          "9223372036854775807",
                          "-9223372036854775808",
                          "9223372036854775807ms",
                          "-9223372036854775807ms"};
  for (const char* v : values) {
    PosixMetadata md = ParsePosixMetadata({{"file-permissions", v},
                                           {"file-owner", v},
                                           {"file-group", v},
                                           {"file-mtime", v},
                                           {"file-atime", v}});
    EXPECT_FALSE(md.mode.has_value()) << v;
    EXPECT_FALSE(md.uid.has_value()) << v;
  }
  // Millisecond values beyond system_clock's nanosecond range are refused, not wrapped.
  EXPECT_FALSE(ParsePosixMetadata({{"file-mtime", "9223372036854775807"}}).mtime.has_value());
  EXPECT_TRUE(ParsePosixMetadata({{"file-mtime", "-1000"}}).mtime.has_value());
}

TEST(RestoreTier, NamesAndParsesCaseInsensitively) {
  EXPECT_EQ(RestoreTierName(RestoreTier::kExpedited), "Expedited");
  EXPECT_EQ(RestoreTierName(RestoreTier::kStandard), "Standard");
  EXPECT_EQ(RestoreTierName(RestoreTier::kBulk), "Bulk");
  EXPECT_EQ(ParseRestoreTier("bulk"), RestoreTier::kBulk);
  EXPECT_EQ(ParseRestoreTier("EXPEDITED"), RestoreTier::kExpedited);
  EXPECT_EQ(ParseRestoreTier("Standard"), RestoreTier::kStandard);
  EXPECT_FALSE(ParseRestoreTier("").has_value());
  EXPECT_FALSE(ParseRestoreTier("Fast").has_value());
  EXPECT_FALSE(ParseRestoreTier("Bulky").has_value());
}

TEST(RestoreOutcomeName, NamesAreDistinct) {
  EXPECT_EQ(RestoreOutcomeName(RestoreOutcome::kAccepted), "accepted");
  EXPECT_EQ(RestoreOutcomeName(RestoreOutcome::kAlreadyRestored), "already_restored");
  EXPECT_EQ(RestoreOutcomeName(RestoreOutcome::kAlreadyInProgress), "already_in_progress");
  EXPECT_EQ(RestoreOutcomeName(RestoreOutcome::kExpeditedUnavailable), "expedited_unavailable");
  EXPECT_EQ(RestoreOutcomeName(RestoreOutcome::kNotArchived), "not_archived");
}

}  // namespace
}  // namespace thaw::s3
