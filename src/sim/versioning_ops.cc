// Bucket versioning: PutBucketVersioning / GetBucketVersioning (Enabled, Suspended; MFA delete
// is refused as not implemented) and ListObjectVersions (versions and delete markers, newest
// first per key, paged with key-marker / version-id-marker, prefix and delimiter
// (CommonPrefixes), encoding-type=url). What versioning
// does to PUT, DELETE, GET and restores lives in the store (store.h) and the object operations.
#include <pugixml.hpp>

#include "common/strings.h"
#include "common/time_format.h"
#include "sim/s3_error.h"
#include "sim/service.h"
#include "sim/xml_reader.h"
#include "sim/xml_writer.h"

namespace thaw::sim {
namespace {

constexpr const char* kOwnerId = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

Response XmlOk(std::string body) {
  Response r;
  r.headers.Set("Content-Type", "application/xml");
  r.body = std::move(body);
  return r;
}

}  // namespace

Result<Response> Service::PutBucketVersioning(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  pugi::xml_document doc;
  THAW_ASSIGN_OR_RETURN(pugi::xml_node root,
                        LoadXmlBody(doc, call.req.body, "VersioningConfiguration"));
  std::string status = root.child_value("Status");
  if (status != "Enabled" && status != "Suspended") {
    return S3Err("MalformedXML", "Status must be Enabled or Suspended");
  }
  if (std::string(root.child_value("MfaDelete")) == "Enabled") {
    return S3Err("NotImplemented", "MFA delete is not implemented by thaw sim");
  }
  THAW_RETURN_IF_ERROR(store_.SetVersioning(call.route.bucket, status));
  return Response{};
}

Result<Response> Service::GetBucketVersioning(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  THAW_ASSIGN_OR_RETURN(std::string status, store_.GetVersioning(call.route.bucket));
  XmlWriter w;
  w.Open("VersioningConfiguration", true);
  if (!status.empty()) w.Element("Status", status);
  w.Close("VersioningConfiguration");
  return XmlOk(w.Finish());
}

Result<Response> Service::ListObjectVersions(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  const Request& req = call.req;
  std::string prefix = req.Query("prefix");
  std::string delimiter = req.Query("delimiter");
  std::string key_marker = req.Query("key-marker");
  std::string version_marker = req.Query("version-id-marker");
  if (!version_marker.empty() && key_marker.empty()) {
    return S3Err("InvalidArgument",
                 "A version-id marker cannot be specified without a key marker.");
  }
  int max_keys = 1000;
  if (req.HasQuery("max-keys")) {
    auto n = ParseInt64(req.Query("max-keys"));
    if (!n || *n < 0) return S3Err("InvalidArgument", "max-keys must be a non-negative integer");
    max_keys = static_cast<int>(std::min<int64_t>(*n, 1000));
  }
  bool url = req.Query("encoding-type") == "url";
  if (req.HasQuery("encoding-type") && !url)
    return S3Err("InvalidArgument", "Invalid Encoding Method specified in Request");
  auto enc = [url](const std::string& s) { return url ? UriEncode(s, true) : s; };

  THAW_ASSIGN_OR_RETURN(VersionPage page, PageVersions(call.route.bucket, prefix, delimiter,
                                                       key_marker, version_marker, max_keys));
  XmlWriter w;
  w.Open("ListVersionsResult", true);
  w.Element("Name", call.route.bucket);
  w.Element("Prefix", enc(prefix));
  w.Element("KeyMarker", enc(key_marker));
  w.Element("VersionIdMarker", version_marker);
  if (page.truncated) {
    w.Element("NextKeyMarker", enc(page.next_key_marker));
    if (!page.next_version_marker.empty()) {
      w.Element("NextVersionIdMarker", page.next_version_marker);
    }
  }
  w.Element("MaxKeys", static_cast<uint64_t>(max_keys));
  if (!delimiter.empty()) w.Element("Delimiter", enc(delimiter));
  if (url) w.Element("EncodingType", "url");
  w.Bool("IsTruncated", page.truncated);
  for (ObjectRecord& rec : page.versions) {
    // Listings show the restore state as of now (it is not persisted from here).
    if (!rec.delete_marker) AdvanceTo(rec.archive, clock_.Now());
    const char* element = rec.delete_marker ? "DeleteMarker" : "Version";
    w.Open(element);
    w.Element("Key", enc(rec.key));
    w.Element("VersionId", VersionIdOrNull(rec.version_id));
    w.Bool("IsLatest", rec.latest);
    w.Element("LastModified", FormatIso8601(rec.last_modified));
    if (!rec.delete_marker) {
      w.Element("ETag", rec.etag);
      w.Element("Size", rec.size);
      w.Element("StorageClass", rec.archive.storage_class);
    }
    w.Open("Owner");
    w.Element("ID", kOwnerId);
    w.Element("DisplayName", "thaw-sim");
    w.Close("Owner");
    w.Close(element);
  }
  for (const std::string& p : page.common_prefixes) {
    w.Open("CommonPrefixes");
    w.Element("Prefix", enc(p));
    w.Close("CommonPrefixes");
  }
  w.Close("ListVersionsResult");
  return XmlOk(w.Finish());
}

// One page of ListObjectVersions: versions and delete markers in key order (newest first per
// key), keys that share a common prefix (up to the delimiter after `prefix`) rolled into one
// entry. Each entry counts once toward max_keys, as S3 counts them.
Result<VersionPage> Service::PageVersions(const std::string& bucket, const std::string& prefix,
                                          const std::string& delimiter,
                                          const std::string& key_marker,
                                          const std::string& version_marker, int max_keys) {
  // Keys are UTF-8, which never contains 0xFF: marker + this sorts after every key under it.
  static const std::string kPast = "\xff\xff\xff\xff";
  auto common_prefix = [&](const std::string& key) -> std::string {
    if (delimiter.empty()) return "";
    size_t at = key.find(delimiter, prefix.size());
    return at == std::string::npos ? "" : key.substr(0, at + delimiter.size());
  };
  std::string marker = key_marker, vmarker = version_marker;
  // A key marker that is a common prefix (a previous page's NextKeyMarker) resumes after it.
  if (!marker.empty() && StartsWith(marker, prefix) && common_prefix(marker) == marker) {
    marker += kPast;
    vmarker.clear();
  }
  VersionPage page;
  int count = 0;
  bool more = true;
  while (more) {
    THAW_ASSIGN_OR_RETURN(
        auto rows, store_.ListVersions(bucket, prefix, marker, vmarker, max_keys - count + 1));
    more = false;
    for (ObjectRecord& rec : rows) {
      if (count == max_keys) {
        page.truncated = true;
        return page;
      }
      ++count;
      std::string cp = common_prefix(rec.key);
      if (!cp.empty()) {
        page.common_prefixes.push_back(cp);
        page.next_key_marker = cp;
        page.next_version_marker.clear();
        marker = cp + kPast;  // skip the rest of this prefix
        vmarker.clear();
        more = true;
        break;
      }
      page.next_key_marker = rec.key;
      page.next_version_marker = VersionIdOrNull(rec.version_id);
      marker = rec.key;
      vmarker = page.next_version_marker;
      page.versions.push_back(std::move(rec));
    }
  }
  return page;
}

}  // namespace thaw::sim
