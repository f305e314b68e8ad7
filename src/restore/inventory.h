// S3 Inventory reports as the input of bulk restores: `thaw restore --inventory` and
// `thaw ls --inventory` read what S3 Inventory writes instead of listing the bucket (a LIST of a
// 100-million-key bucket takes hours; the report is already there).
//
// Layout (AWS, CSV format): DEST-PREFIX/SOURCE-BUCKET/CONFIG-ID/YYYY-MM-DDTHH-MMZ/manifest.json
// with `sourceBucket`, `destinationBucket` (an ARN), `fileFormat`, `fileSchema` (the column
// names, comma separated) and `files[]` (`key` in the destination bucket, `size`, `MD5checksum`
// of the gzip file); manifest.checksum beside it holds the MD5 of manifest.json; the data files
// are gzip CSV, one row per object, every value double-quoted, the key URL-encoded (`+` is a
// space). ORC and Parquet reports are refused with an error naming CSV (no ORC or Parquet
// library in Debian 12).
//
// Streaming: InventoryReport hands rows to a callback one at a time; each data file is
// inflated as it is read (a downloaded one waits in a temporary file), so memory stays flat
// whatever the number of rows. Every data file's MD5 is checked against the manifest before
// any of its rows is used.
//
// Thread safety: one thread per object.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/csv.h"
#include "common/status.h"
#include "restore/cost.h"
#include "restore/record.h"
#include "s3/client.h"

namespace thaw::restore {

struct InventoryFile {
  std::string key;  // in the destination bucket
  uint64_t size = 0;
  std::string md5_hex;  // of the gzip file as stored
};

struct InventoryManifest {
  std::string source_bucket;
  std::string destination_bucket;   // bucket name (the manifest gives an ARN)
  std::string file_format;          // "CSV"
  std::vector<std::string> schema;  // column names in order
  std::vector<InventoryFile> files;
};

// Parses manifest.json. Errors are InvalidArgument naming `source_name`; a report in ORC or
// Parquet format is refused with an error that names CSV as the format thaw reads.
Result<InventoryManifest> ParseInventoryManifest(std::string_view json,
                                                 std::string_view source_name);

// One object of the report. Fields not in the report's schema are left empty.
struct InventoryRow {
  ObjectRef object;
  std::optional<uint64_t> size;
  std::optional<Clock::TimePoint> last_modified;
  std::string storage_class;
  std::string intelligent_tiering_tier;  // FREQUENT, INFREQUENT, ARCHIVE_INSTANT_ACCESS,
                                         // ARCHIVE_ACCESS, DEEP_ARCHIVE_ACCESS
  std::string etag;
  bool is_latest = true;
  bool is_delete_marker = false;

  // The archive status header S3 would send for this object ("" when not archived).
  std::string ArchiveStatus() const;
  // Archived per the report (storage class, and the access tier for Intelligent-Tiering).
  // Unknown storage class (not in the schema): true, so that a HEAD decides.
  bool Archived() const;
  // What a listing entry would say: size, class, archive status (restore state unknown).
  s3::ObjectInfo Info() const;
};

// Reads the rows of one (inflated) CSV data file.
class InventoryCsvReader {
 public:
  InventoryCsvReader(std::istream& in, const std::vector<std::string>& schema,
                     std::string source_name);
  // The next row, nullopt at the end, or InvalidArgument "source:line: reason".
  Result<std::optional<InventoryRow>> Next();

 private:
  Status Error(const std::string& reason) const { return csv_.Error(reason); }

  CsvReader csv_;
  // Column index of each field (-1: not in the schema).
  int bucket_ = -1, key_ = -1, version_ = -1, latest_ = -1, delete_marker_ = -1, size_ = -1,
      modified_ = -1, class_ = -1, tier_ = -1, etag_ = -1;
  size_t columns_ = 0;
  std::vector<std::string> fields_;
};

// Which rows a restore (or a summary) takes: the usual selectors.
struct InventorySelector {
  std::string prefix;                        // from s3://BUCKET/PREFIX; "" = all
  std::vector<std::string> include;          // prefixes or globs (GlobMatch); empty = all
  std::vector<std::string> exclude;          // prefixes or globs
  std::vector<std::string> storage_classes;  // empty = any
  uint64_t min_size = 0;
  std::optional<Clock::TimePoint> modified_before;  // --older-than
  // A pattern with * ? or [ is a glob, anything else a key prefix.
  bool Matches(const InventoryRow& row) const;
};

// An inventory report opened from a local manifest.json or s3://BUCKET/KEY/manifest.json.
class InventoryReport {
 public:
  // `client` is needed for s3:// locations (may be null for local ones). `expected_bucket`
  // (may be empty) must be the report's source bucket. Downloads wait in `tmp_dir`.
  static Result<std::unique_ptr<InventoryReport>> Open(const std::string& location,
                                                       s3::S3Client* client,
                                                       const std::string& expected_bucket,
                                                       const std::string& tmp_dir);
  ~InventoryReport();

  const InventoryManifest& manifest() const { return manifest_; }

  // Calls `fn` for every row of every data file, in order, after checking each file's MD5;
  // stops at the first error (a bad file, a row of another bucket, or an error from `fn`).
  Status ForEachRow(const std::function<Status(const InventoryRow&)>& fn);

 private:
  InventoryReport() = default;
  // A local path holding data file `i` (downloaded and MD5-checked on first use).
  Result<std::string> DataFile(size_t i);

  std::string location_;
  s3::S3Client* client_ = nullptr;
  std::string local_dir_;  // the manifest's directory (local reports)
  std::string tmp_dir_;
  InventoryManifest manifest_;
  std::vector<std::string> fetched_;  // local path per file once fetched
  std::vector<std::string> temp_files_;
};

// Feeds the rows `selector` takes to `add` as (object, what the report knows) pairs, the same
// pairs `thaw restore --recursive` feeds from a listing (BulkRestore::Add): rows the report
// shows as not archived come with their info (counted as not archived, no request); archived
// ones too, taken as not restored (the report has no restore state), unless `check_restored`:
// then without, so that the engine HEADs them. Delete markers and non-current versions are left
// out. Stops at the first error of the report.
struct InventoryFeedCounts {
  uint64_t rows = 0;
  uint64_t selected = 0;
  uint64_t not_current = 0;  // delete markers and older versions
};
Status FeedInventory(
    InventoryReport& report, const InventorySelector& selector, bool check_restored,
    const std::function<void(const ObjectRef&, std::optional<s3::ObjectInfo>)>& add,
    InventoryFeedCounts* counts);

// A listing entry as a row, so the same selectors apply to `--recursive`.
InventoryRow RowFromListing(const std::string& bucket, const s3::ObjectSummary& o);

// Counts, bytes and estimated restore cost of a report's rows by storage class and by prefix
// (`thaw ls --inventory`).
class InventoryTally {
 public:
  struct Group {
    uint64_t objects = 0;
    uint64_t bytes = 0;
  };
  // `prefix_depth`: how many leading path segments name a prefix group.
  explicit InventoryTally(int prefix_depth = 1) : depth_(prefix_depth) {}
  void Add(const InventoryRow& row);

  // Storage class (Intelligent-Tiering with its access tier) -> group.
  const std::map<std::string, Group>& by_class() const { return by_class_; }
  // Prefix ("a/b/", or "" for keys with fewer segments) -> group.
  const std::map<std::string, Group>& by_prefix() const { return by_prefix_; }
  // Restoring every archived row with `tier` for `days`: cost lines per archive kind. Objects
  // whose kind cannot use the tier (Expedited for Deep Archive) are left out and counted in
  // `not_eligible`.
  CostSummary Cost(s3::RestoreTier tier, int days, uint64_t* not_eligible) const;
  uint64_t rows() const { return rows_; }

 private:
  int depth_;
  uint64_t rows_ = 0;
  std::map<std::string, Group> by_class_;
  std::map<std::string, Group> by_prefix_;
  // Archived rows by kind: a size histogram is not needed, costs are linear in bytes.
  std::map<ArchiveKind, Group> archived_;
};

}  // namespace thaw::restore
