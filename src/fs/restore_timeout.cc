// The default restore timeout per archive class and tier (see restore_timeout.h).
#include "fs/restore_timeout.h"

#include <algorithm>

#include "restore/cost.h"

namespace thaw::fs {

Clock::Duration AutoRestoreTimeout(std::string_view storage_class, std::string_view archive_status,
                                   std::optional<s3::RestoreTier> tier) {
  auto kind = restore::ArchiveKindOf(storage_class, archive_status)
                  .value_or(restore::ArchiveKind::kDeepArchive);
  // Bulk is the slowest tier of every class.
  Clock::Duration latest =
      restore::ExpectedRestoreDuration(kind, tier.value_or(s3::RestoreTier::kBulk)).latest;
  Clock::Duration margin = std::max<Clock::Duration>(latest / 4, std::chrono::minutes(15));
  return latest + margin;
}

}  // namespace thaw::fs
