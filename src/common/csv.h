// One line of CSV as S3 writes and reads it (Batch Operations manifests and completion reports,
// Inventory data files): fields separated by commas, a field in double quotes may hold commas
// and doubled quotes (RFC 4180). Lines are split by the caller.
//
// Pure functions, thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace thaw {

// The fields of `line` (without its line break), unquoted.
std::vector<std::string> SplitCsvLine(std::string_view line);

// `field` as a CSV field: quoted when it holds a comma, a quote or a line break.
std::string CsvField(std::string_view field);

}  // namespace thaw
