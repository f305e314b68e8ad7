// S3 Inventory: manifest.json, CSV rows, selectors and the summary tally (see inventory.h).
// Fetching and checking the data files is in inventory_report.cc.
#include "restore/inventory.h"

#include <nlohmann/json.hpp>

#include "common/strings.h"
#include "common/time_format.h"
#include "restore/policy.h"

namespace thaw::restore {
namespace {

std::string BucketOfArn(const std::string& arn) {
  constexpr std::string_view kArnPrefix = "arn:aws:s3:::";
  if (StartsWith(arn, kArnPrefix)) return arn.substr(kArnPrefix.size());
  return arn;
}

bool IsGlob(std::string_view p) {
  return p.find_first_of("*?[") != std::string_view::npos;
}

bool PatternMatches(const std::string& pattern, const std::string& key) {
  return IsGlob(pattern) ? GlobMatch(pattern, key) : StartsWith(key, pattern);
}

}  // namespace

Result<InventoryManifest> ParseInventoryManifest(std::string_view json,
                                                 std::string_view source_name) {
  std::string src(source_name);
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(src + ": not an S3 Inventory manifest: " + why);
  };
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  auto str = [&](const char* name) -> std::string {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  InventoryManifest m;
  m.source_bucket = str("sourceBucket");
  m.destination_bucket = BucketOfArn(str("destinationBucket"));
  m.file_format = str("fileFormat");
  if (m.source_bucket.empty()) return bad("no sourceBucket");
  if (m.file_format.empty()) return bad("no fileFormat");
  if (!EqualsIgnoreCase(m.file_format, "CSV")) {
    return Status::InvalidArgument(src + ": the report is in " + m.file_format +
                                   " format; thaw reads S3 Inventory reports in CSV format only "
                                   "(set the inventory configuration's format to CSV)");
  }
  std::string schema = str("fileSchema");
  if (schema.empty()) return bad("no fileSchema");
  for (const std::string& col : Split(schema, ',')) m.schema.emplace_back(Trim(col));
  auto files = j.find("files");
  if (files == j.end() || !files->is_array()) return bad("no files[]");
  for (const auto& f : *files) {
    if (!f.is_object()) return bad("files[] holds a non-object");
    InventoryFile file;
    auto key = f.find("key");
    auto md5 = f.find("MD5checksum");
    auto size = f.find("size");
    if (key == f.end() || !key->is_string() || key->get<std::string>().empty()) {
      return bad("a file without key");
    }
    if (md5 == f.end() || !md5->is_string()) {
      return bad("file " + key->get<std::string>() + " has no MD5checksum");
    }
    file.key = key->get<std::string>();
    file.md5_hex = ToLower(md5->get<std::string>());
    if (size != f.end() && size->is_number_unsigned()) file.size = size->get<uint64_t>();
    m.files.push_back(std::move(file));
  }
  return m;
}

std::string InventoryRow::ArchiveStatus() const {
  if (storage_class != s3::kIntelligentTiering) return "";
  if (intelligent_tiering_tier == "ARCHIVE_ACCESS") return "ARCHIVE_ACCESS";
  if (intelligent_tiering_tier == "DEEP_ARCHIVE_ACCESS") return "DEEP_ARCHIVE_ACCESS";
  return "";
}

bool InventoryRow::Archived() const {
  if (storage_class.empty()) return true;  // the report does not say: let a HEAD decide
  if (storage_class == s3::kIntelligentTiering && intelligent_tiering_tier.empty()) return true;
  return s3::IsArchived(storage_class, ArchiveStatus());
}

s3::ObjectInfo InventoryRow::Info() const {
  s3::ObjectInfo info;
  info.bucket = object.bucket;
  info.key = object.key;
  info.version_id = object.version_id;
  info.size = size.value_or(0);
  info.etag = etag.empty() ? "" : "\"" + etag + "\"";
  if (last_modified) info.last_modified = *last_modified;
  if (!storage_class.empty()) info.storage_class = storage_class;
  info.archive_status = ArchiveStatus();
  return info;
}

InventoryCsvReader::InventoryCsvReader(std::istream& in, const std::vector<std::string>& schema,
                                       std::string source_name)
    : csv_(in, std::move(source_name)), columns_(schema.size()) {
  for (size_t i = 0; i < schema.size(); ++i) {
    const std::string& c = schema[i];
    int idx = static_cast<int>(i);
    if (c == "Bucket") bucket_ = idx;
    if (c == "Key") key_ = idx;
    if (c == "VersionId") version_ = idx;
    if (c == "IsLatest") latest_ = idx;
    if (c == "IsDeleteMarker") delete_marker_ = idx;
    if (c == "Size") size_ = idx;
    if (c == "LastModifiedDate") modified_ = idx;
    if (c == "StorageClass") class_ = idx;
    if (c == "IntelligentTieringAccessTier") tier_ = idx;
    if (c == "ETag") etag_ = idx;
  }
}

Result<std::optional<InventoryRow>> InventoryCsvReader::Next() {
  if (bucket_ < 0 || key_ < 0) return Error("the schema has no Bucket or Key column");
  while (true) {
    THAW_ASSIGN_OR_RETURN(bool got, csv_.Next(&fields_));
    if (!got) return std::optional<InventoryRow>();
    if (fields_.size() == 1 && fields_[0].empty()) continue;  // blank line
    if (fields_.size() != columns_) {
      return Error("expected " + std::to_string(columns_) + " fields (fileSchema), found " +
                   std::to_string(fields_.size()));
    }
    InventoryRow row;
    row.object.bucket = fields_[bucket_];
    auto key = UriDecode(fields_[key_], /*plus_is_space=*/true);
    if (!key || key->empty()) return Error("bad URL-encoded key '" + fields_[key_] + "'");
    row.object.key = std::move(*key);
    if (version_ >= 0 && !fields_[version_].empty()) {
      auto v = UriDecode(fields_[version_], true);
      if (!v) return Error("bad version id");
      row.object.version_id = std::move(*v);
    }
    if (latest_ >= 0) row.is_latest = fields_[latest_] != "false";
    if (delete_marker_ >= 0) row.is_delete_marker = fields_[delete_marker_] == "true";
    if (size_ >= 0 && !fields_[size_].empty()) {
      row.size = ParseUint64(fields_[size_]);
      if (!row.size) return Error("bad Size '" + fields_[size_] + "'");
    }
    if (modified_ >= 0 && !fields_[modified_].empty()) {
      row.last_modified = ParseIso8601(fields_[modified_]);
      if (!row.last_modified) return Error("bad LastModifiedDate '" + fields_[modified_] + "'");
    }
    if (class_ >= 0) row.storage_class = fields_[class_];
    if (tier_ >= 0) row.intelligent_tiering_tier = fields_[tier_];
    if (etag_ >= 0) row.etag = fields_[etag_];
    return std::optional<InventoryRow>(std::move(row));
  }
}

bool InventorySelector::Matches(const InventoryRow& row) const {
  const std::string& key = row.object.key;
  if (!StartsWith(key, prefix)) return false;
  if (!include.empty()) {
    bool any = false;
    for (const std::string& p : include) any = any || PatternMatches(p, key);
    if (!any) return false;
  }
  for (const std::string& p : exclude) {
    if (PatternMatches(p, key)) return false;
  }
  if (!storage_classes.empty()) {
    bool any = false;
    for (const std::string& c : storage_classes)
      any = any || EqualsIgnoreCase(c, row.storage_class);
    if (!any) return false;
  }
  if (min_size > 0 && row.size.value_or(0) < min_size) return false;
  if (modified_before && (!row.last_modified || *row.last_modified >= *modified_before)) {
    return false;
  }
  return true;
}

Status FeedInventory(
    InventoryReport& report, const InventorySelector& selector, bool check_restored,
    const std::function<void(const ObjectRef&, std::optional<s3::ObjectInfo>)>& add,
    InventoryFeedCounts* counts) {
  InventoryFeedCounts c;
  Status s = report.ForEachRow([&](const InventoryRow& row) {
    ++c.rows;
    if (row.is_delete_marker || !row.is_latest) {
      ++c.not_current;
      return Status::Ok();
    }
    if (!selector.Matches(row)) return Status::Ok();
    ++c.selected;
    // The current version is the object itself: the same journal row as a listing gives.
    ObjectRef object{row.object.bucket, row.object.key, ""};
    if (!row.Archived() || !check_restored) {
      add(object, row.Info());
    } else {
      add(object, std::nullopt);
    }
    return Status::Ok();
  });
  if (counts) *counts = c;
  return s;
}

InventoryRow RowFromListing(const std::string& bucket, const s3::ObjectSummary& o) {
  InventoryRow row;
  row.object = {bucket, o.key, ""};
  row.size = o.size;
  row.last_modified = o.last_modified;
  row.storage_class = o.storage_class;
  return row;
}

void InventoryTally::Add(const InventoryRow& row) {
  ++rows_;
  uint64_t bytes = row.size.value_or(0);
  std::string cls = row.storage_class.empty() ? "(unknown)" : row.storage_class;
  if (row.storage_class == s3::kIntelligentTiering && !row.intelligent_tiering_tier.empty()) {
    cls += " " + row.intelligent_tiering_tier;
  }
  Group& c = by_class_[cls];
  ++c.objects;
  c.bytes += bytes;
  std::string prefix;
  size_t pos = 0;
  for (int i = 0; i < depth_; ++i) {
    size_t slash = row.object.key.find('/', pos);
    if (slash == std::string::npos) break;
    pos = slash + 1;
    prefix = row.object.key.substr(0, pos);
  }
  Group& p = by_prefix_[prefix];
  ++p.objects;
  p.bytes += bytes;
  if (auto kind = ArchiveKindOf(row.storage_class, row.ArchiveStatus())) {
    Group& a = archived_[*kind];
    ++a.objects;
    a.bytes += bytes;
  }
}

CostSummary InventoryTally::Cost(s3::RestoreTier tier, int days, uint64_t* not_eligible) const {
  CostSummary s;
  uint64_t left_out = 0;
  for (const auto& [kind, g] : archived_) {
    if (tier == s3::RestoreTier::kExpedited && !SupportsExpedited(kind)) {
      left_out += g.objects;
      continue;
    }
    s.AddMany(kind, tier, g.objects, g.bytes,
              IsIntelligentTiering(kind) ? std::nullopt : std::optional<int>(days));
  }
  if (not_eligible) *not_eligible = left_out;
  return s;
}

}  // namespace thaw::restore
