// Manifests for `thaw restore --manifest FILE`: CSV lines `bucket,key[,version_id]`, the format
// S3 Batch Operations reads (and S3 Inventory writes), so a manifest built for one works for
// the other.
//
// Format accepted:
//   - RFC 4180 fields: a field in double quotes may hold commas, newlines and `""` for a quote;
//   - keys (and version ids) URL-encoded as S3 Batch Operations requires: `%XX` is decoded and,
//     as S3 Inventory writes them, `+` is a space. ManifestOptions::decode_keys = false takes
//     keys verbatim (a hand-written list of raw keys);
//   - blank lines are skipped; CRLF line ends and a UTF-8 byte order mark are accepted.
// Anything else (a missing key, a fourth field, a stray quote, a bad `%` escape) is an error
// naming `file:line`.
//
// ManifestReader streams: it holds one record at a time, so a manifest of millions of lines
// costs no memory.
//
// Thread safety: a ManifestReader is used by one thread.
#pragma once

#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/csv.h"
#include "common/status.h"
#include "restore/record.h"

namespace thaw::restore {

struct ManifestOptions {
  bool decode_keys = true;  // %XX and '+' (space) in keys and version ids
};

struct ManifestEntry {
  ObjectRef object;
  int line = 0;  // where the record starts (1-based), for messages
};

class ManifestReader {
 public:
  // `source_name` prefixes error messages ("list.csv:12: ...").
  ManifestReader(std::istream& in, std::string source_name, ManifestOptions options = {});

  // The next entry, nullopt at the end, or InvalidArgument "source:line: reason".
  Result<std::optional<ManifestEntry>> Next();

 private:
  CsvReader csv_;
  ManifestOptions options_;
};

// Parses a whole manifest held in memory (tests, small lists).
Result<std::vector<ManifestEntry>> ParseManifest(std::string_view text,
                                                 std::string_view source_name,
                                                 ManifestOptions options = {});

}  // namespace thaw::restore
