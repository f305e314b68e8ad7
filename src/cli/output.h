// Output shared by commands: JSON renderings of S3 objects (one object per line) and aligned
// tables for humans.
//
// Keys, bucket names, metadata and S3 messages are untrusted bytes. Human output shows them only
// through EscapeForTerminal (common/terminal_escape.h); FormatTable does so for every cell. JSON
// output keeps them exact and goes through JsonText: ASCII-only (\uXXXX escapes) and unable to
// throw on invalid UTF-8.
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

// Left-aligned columns separated by two spaces; the last column is not padded. Every cell is
// escaped for the terminal before it is measured, so a cell never spans two lines.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// j.dump() on one line, ASCII only: every control and non-ASCII character is a \uXXXX escape,
// so JSON viewed on a terminal carries no DEL, C1 or bidi control either, and parses back to the
// exact string. Strings that are not valid UTF-8 (S3 accepts such keys from some clients) have
// their bad bytes replaced by U+FFFD instead of making dump() throw.
std::string JsonText(const nlohmann::json& j);

}  // namespace thaw::cli
