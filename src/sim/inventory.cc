// S3 Inventory configurations and report rows for thaw sim (see inventory.h).
#include "sim/inventory.h"

#include <pugixml.hpp>

#include "common/strings.h"
#include "common/time_format.h"
#include "s3/types.h"
#include "sim/s3_error.h"

namespace thaw::sim {
namespace {

// AWS's column order for the optional fields (the order of its InventoryOptionalField list).
constexpr const char* kFieldOrder[] = {"Size",
                                       "LastModifiedDate",
                                       "ETag",
                                       "StorageClass",
                                       "IsMultipartUploaded",
                                       "ReplicationStatus",
                                       "EncryptionStatus",
                                       "ObjectLockRetainUntilDate",
                                       "ObjectLockMode",
                                       "ObjectLockLegalHoldStatus",
                                       "IntelligentTieringAccessTier",
                                       "BucketKeyStatus",
                                       "ChecksumAlgorithm",
                                       "ObjectAccessControlList",
                                       "ObjectOwner"};

bool KnownField(std::string_view f) {
  for (const char* k : kFieldOrder) {
    if (f == k) return true;
  }
  return false;
}

std::string Quote(std::string_view v) {
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Value(const ObjectRecord& rec, const std::string& column) {
  if (column == "Bucket") return rec.bucket;
  // URL-encoded as S3 writes inventory keys: a key may hold commas, quotes and newlines.
  if (column == "Key") return UriEncode(rec.key, /*keep_slash=*/true);
  if (column == "VersionId") return "";
  if (column == "IsLatest") return "true";
  if (column == "IsDeleteMarker") return "false";
  if (column == "Size") return std::to_string(rec.size);
  if (column == "LastModifiedDate") return FormatIso8601(rec.last_modified);
  if (column == "ETag") {
    std::string e = rec.etag;
    if (e.size() >= 2 && e.front() == '"' && e.back() == '"') e = e.substr(1, e.size() - 2);
    return e;
  }
  if (column == "StorageClass") return rec.archive.storage_class;
  if (column == "IsMultipartUploaded") {
    return rec.etag.find('-') != std::string::npos ? "true" : "false";
  }
  if (column == "EncryptionStatus") return "SSE-S3";
  if (column == "IntelligentTieringAccessTier") {
    if (rec.archive.storage_class != s3::kIntelligentTiering) return "";
    return rec.archive.archive_status.empty() ? "FREQUENT" : rec.archive.archive_status;
  }
  if (column == "BucketKeyStatus") return "DISABLED";
  if (column == "ObjectLockLegalHoldStatus") return "OFF";
  return "";  // replication, object lock dates, ACLs: nothing the sim tracks
}

}  // namespace

Result<InventoryConfig> ParseInventoryConfiguration(std::string_view xml, const std::string& id) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return S3Err("MalformedXML");
  pugi::xml_node root = doc.child("InventoryConfiguration");
  if (!root) return S3Err("MalformedXML");
  InventoryConfig c;
  c.id = std::string(Trim(root.child_value("Id")));
  if (c.id.empty()) return S3Err("MalformedXML", "an InventoryConfiguration needs an Id");
  if (c.id != id) {
    return S3Err("InvalidArgument", "the Id in the body does not match the id in the request");
  }
  std::string enabled = std::string(Trim(root.child_value("IsEnabled")));
  if (enabled != "true" && enabled != "false") {
    return S3Err("MalformedXML", "IsEnabled must be true or false");
  }
  c.enabled = enabled == "true";
  pugi::xml_node dest = root.child("Destination").child("S3BucketDestination");
  if (!dest) return S3Err("MalformedXML", "Destination/S3BucketDestination is required");
  std::string arn = std::string(Trim(dest.child_value("Bucket")));
  if (!StartsWith(arn, "arn:aws:s3:::") || arn.size() <= 13) {
    return S3Err("InvalidArgument", "the destination Bucket must be an ARN: arn:aws:s3:::NAME");
  }
  c.dest_bucket = arn.substr(13);
  c.dest_prefix = dest.child_value("Prefix");
  while (EndsWith(c.dest_prefix, "/")) c.dest_prefix.pop_back();
  std::string format = std::string(Trim(dest.child_value("Format")));
  if (format == "ORC" || format == "Parquet") {
    return S3Err("NotImplemented", "thaw sim writes inventory reports in CSV format only");
  }
  if (format != "CSV") return S3Err("MalformedXML", "Format must be CSV, ORC or Parquet");
  std::string versions = std::string(Trim(root.child_value("IncludedObjectVersions")));
  if (versions != "All" && versions != "Current") {
    return S3Err("MalformedXML", "IncludedObjectVersions must be All or Current");
  }
  c.all_versions = versions == "All";
  std::string freq = std::string(Trim(root.child("Schedule").child_value("Frequency")));
  if (freq == "Weekly") {
    c.period = std::chrono::hours(24 * 7);
  } else if (freq != "Daily") {
    return S3Err("MalformedXML", "Schedule/Frequency must be Daily or Weekly");
  }
  c.filter_prefix = root.child("Filter").child_value("Prefix");
  std::vector<std::string> asked;
  for (pugi::xml_node f : root.child("OptionalFields").children("Field")) {
    std::string name = std::string(Trim(f.child_value()));
    if (!KnownField(name)) return S3Err("MalformedXML", "unknown optional field " + name);
    asked.push_back(name);
  }
  for (const char* k : kFieldOrder) {
    for (const std::string& a : asked) {
      if (a == k) {
        c.fields.push_back(a);
        break;
      }
    }
  }
  c.xml = std::string(xml);
  return c;
}

std::vector<std::string> InventoryColumns(const InventoryConfig& config) {
  std::vector<std::string> cols = {"Bucket", "Key"};
  if (config.all_versions) {
    for (const char* v : {"VersionId", "IsLatest", "IsDeleteMarker"}) cols.push_back(v);
  }
  for (const std::string& f : config.fields) cols.push_back(f);
  return cols;
}

std::string InventoryCsvLine(const ObjectRecord& rec, const std::vector<std::string>& columns) {
  std::string line;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i) line += ',';
    line += Quote(Value(rec, columns[i]));
  }
  return line + "\n";
}

}  // namespace thaw::sim
