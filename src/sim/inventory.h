// S3 Inventory in thaw sim: bucket inventory configurations (`?inventory&id=`) and the reports
// the sim writes for them on its clock, in AWS's layout, so that `thaw restore --inventory` and
// any other reader of S3 Inventory can be tested without AWS.
//
// Report layout (AWS's): in the destination bucket, under DEST-PREFIX/SOURCE-BUCKET/CONFIG-ID/:
//   YYYY-MM-DDTHH-MMZ/manifest.json      sourceBucket, destinationBucket (ARN), version,
//                                        creationTimestamp, fileFormat, fileSchema, files[]
//   YYYY-MM-DDTHH-MMZ/manifest.checksum  MD5 (hex) of manifest.json
//   hive/dt=YYYY-MM-DD-HH-MM/symlink.txt the data files' s3:// URIs
//   data/<uuid>.csv.gz                   gzip CSV, every value quoted, keys URL-encoded
// Columns: Bucket, Key, then the configured optional fields in AWS's order. The sim keeps no
// versions, so IncludedObjectVersions=All adds VersionId ("") IsLatest (true) and
// IsDeleteMarker (false). Only CSV is written: a configuration asking for ORC or Parquet is
// refused (NotImplemented).
//
// Schedule: a report at the first sweep after the configuration is stored, then one per day of
// sim time (Daily) or per seven days (Weekly); with --time-scale 86400 a day is a second.
// Configurations live in memory: a restarted sim has none (documented limit).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "sim/store.h"

namespace thaw::sim {

struct InventoryConfig {
  std::string id;
  std::string xml;  // as stored (GET returns it)
  bool enabled = true;
  std::string dest_bucket;  // name (the configuration gives an ARN)
  std::string dest_prefix;  // "" or ends without '/'
  std::string filter_prefix;
  bool all_versions = false;
  std::vector<std::string> fields;  // optional fields, in AWS's column order
  std::chrono::hours period{24};
  Clock::TimePoint next_run{};  // zero: at the next sweep
};

// Parses a PutBucketInventoryConfiguration body; S3 errors (MalformedXML, InvalidArgument,
// NotImplemented for ORC/Parquet) as Status. `id` is the ?id= of the request.
Result<InventoryConfig> ParseInventoryConfiguration(std::string_view xml, const std::string& id);

// The column list of a report ("Bucket, Key, Size, ...").
std::vector<std::string> InventoryColumns(const InventoryConfig& config);
// One CSV line (with its newline) for `rec` under `columns`.
std::string InventoryCsvLine(const ObjectRecord& rec, const std::vector<std::string>& columns);

}  // namespace thaw::sim
