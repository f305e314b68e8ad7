// Output shared by commands: JSON renderings of S3 objects (one object per line) and aligned
// tables for humans.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "s3/types.h"

namespace thaw::cli {

// {"key","size","storage_class","restore","restore_expiry"} (+ "archive_status" when known).
// restore is "none"/"ongoing"/"restored" for archived objects and null for readable ones.
nlohmann::json ObjectSummaryJson(const s3::ObjectSummary& o, const std::string& archive_status);

// The above plus "bucket", "etag", "last_modified", "archive_status", "version_id", "metadata".
nlohmann::json ObjectInfoJson(const s3::ObjectInfo& info);

// Restore column text: "-" for readable objects, else none/ongoing/restored until <date>.
std::string RestoreText(const std::string& storage_class, const std::string& archive_status,
                        const std::optional<s3::RestoreStatus>& restore);

// Left-aligned columns separated by two spaces; the last column is not padded.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

}  // namespace thaw::cli
