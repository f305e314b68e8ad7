// Bucket versioning: PutBucketVersioning / GetBucketVersioning (Enabled, Suspended; MFA delete
// is refused as not implemented) and ListObjectVersions (versions and delete markers, newest
// first per key, paged with key-marker / version-id-marker, encoding-type=url). What versioning
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
  if (!req.Query("delimiter").empty()) {
    return S3Err("NotImplemented",
                 "ListObjectVersions with a delimiter is not implemented by thaw sim");
  }
  std::string prefix = req.Query("prefix");
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

  THAW_ASSIGN_OR_RETURN(auto rows, store_.ListVersions(call.route.bucket, prefix, key_marker,
                                                       version_marker, max_keys + 1));
  bool truncated = static_cast<int>(rows.size()) > max_keys;
  if (truncated) rows.resize(max_keys);

  XmlWriter w;
  w.Open("ListVersionsResult", true);
  w.Element("Name", call.route.bucket);
  w.Element("Prefix", enc(prefix));
  w.Element("KeyMarker", enc(key_marker));
  w.Element("VersionIdMarker", version_marker);
  if (truncated && !rows.empty()) {
    w.Element("NextKeyMarker", enc(rows.back().key));
    w.Element("NextVersionIdMarker", VersionIdOrNull(rows.back().version_id));
  }
  w.Element("MaxKeys", static_cast<uint64_t>(max_keys));
  if (url) w.Element("EncodingType", "url");
  w.Bool("IsTruncated", truncated);
  for (ObjectRecord& rec : rows) {
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
  w.Close("ListVersionsResult");
  return XmlOk(w.Finish());
}

}  // namespace thaw::sim
