// `--restore-timeout auto`: S3's published upper bound for the archive class and tier, plus a
// quarter (at least 15 minutes); the slowest tier of the class until the engine has chosen.
#include "fs/restore_timeout.h"

#include <gtest/gtest.h>

namespace thaw::fs {
namespace {

using s3::RestoreTier;
using std::chrono::hours;
using std::chrono::minutes;

TEST(AutoRestoreTimeout, GlacierTiers) {
  EXPECT_EQ(AutoRestoreTimeout("GLACIER", "", RestoreTier::kExpedited), minutes(5 + 15));
  EXPECT_EQ(AutoRestoreTimeout("GLACIER", "", RestoreTier::kStandard), hours(5) + minutes(75));
  EXPECT_EQ(AutoRestoreTimeout("GLACIER", "", RestoreTier::kBulk), hours(15));
  EXPECT_EQ(AutoRestoreTimeout("GLACIER", "", std::nullopt), hours(15));
}

TEST(AutoRestoreTimeout, DeepArchiveTiers) {
  EXPECT_EQ(AutoRestoreTimeout("DEEP_ARCHIVE", "", RestoreTier::kStandard), hours(15));
  EXPECT_EQ(AutoRestoreTimeout("DEEP_ARCHIVE", "", RestoreTier::kBulk), hours(60));
  EXPECT_EQ(AutoRestoreTimeout("DEEP_ARCHIVE", "", std::nullopt), hours(60));
  // No Expedited there; were it asked for, S3 would treat it as Standard.
  EXPECT_EQ(AutoRestoreTimeout("DEEP_ARCHIVE", "", RestoreTier::kExpedited), hours(15));
}

TEST(AutoRestoreTimeout, IntelligentTieringArchiveTiersFollowTheirGlacierCounterparts) {
  EXPECT_EQ(AutoRestoreTimeout("INTELLIGENT_TIERING", "ARCHIVE_ACCESS", RestoreTier::kExpedited),
            AutoRestoreTimeout("GLACIER", "", RestoreTier::kExpedited));
  EXPECT_EQ(AutoRestoreTimeout("INTELLIGENT_TIERING", "DEEP_ARCHIVE_ACCESS", RestoreTier::kBulk),
            AutoRestoreTimeout("DEEP_ARCHIVE", "", RestoreTier::kBulk));
}

TEST(AutoRestoreTimeout, UnknownClassGetsTheSlowestBound) {
  EXPECT_EQ(AutoRestoreTimeout("STANDARD", "", std::nullopt), hours(60));
  EXPECT_EQ(AutoRestoreTimeout("", "", RestoreTier::kStandard), hours(15));
}

}  // namespace
}  // namespace thaw::fs
