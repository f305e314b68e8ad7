// How long a blocking open of an archived file waits for its restore by default
// (`--restore-timeout auto`): the slowest completion S3 publishes for the object's archive class
// and the tier the engine chose (facts doc; restore/cost.h's ExpectedRestoreDuration), plus a
// margin of a quarter of it, at least 15 minutes. Before the engine has chosen a tier, the
// slowest tier of the class counts.
//
//   GLACIER, IT Archive Access       Expedited 5 min -> 20 min; Standard 5 h -> 6 h 15 min;
//                                    Bulk 12 h -> 15 h
//   DEEP_ARCHIVE, IT Deep Archive    Standard 12 h -> 15 h; Bulk 48 h -> 60 h
//
// Thread safety: pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "common/clock.h"
#include "s3/types.h"

namespace thaw::fs {

// `storage_class` / `archive_status` as HEAD reports them. An object that is not archived (or
// unknown) gets the slowest bound of all, 60 h.
Clock::Duration AutoRestoreTimeout(std::string_view storage_class, std::string_view archive_status,
                                   std::optional<s3::RestoreTier> tier);

}  // namespace thaw::fs
