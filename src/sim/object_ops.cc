// Object operations: PutObject, GetObject/HeadObject (archive check, conditions, ranges),
// DeleteObject, DeleteObjects and CopyObject (the way objects move between storage classes).
#include <pugixml.hpp>

#include "common/strings.h"
#include "common/time_format.h"
#include "sim/checksums.h"
#include "sim/http_conditions.h"
#include "sim/object_parts.h"
#include "sim/s3_error.h"
#include "sim/service.h"
#include "sim/xml_reader.h"
#include "sim/xml_writer.h"

namespace thaw::sim {
namespace {

Status ArchivedError(const ObjectRecord& rec) {
  std::vector<std::pair<std::string, std::string>> extra = {
      {"StorageClass", rec.archive.storage_class}};
  if (!rec.archive.archive_status.empty())
    extra.emplace_back("AccessTier", rec.archive.archive_status);
  return S3Err("InvalidObjectState", "The operation is not valid for the object's storage class",
               std::move(extra));
}

void SetChecksumHeader(ObjectRecord& rec, const UploadResult& up) {
  if (!up.checksum) return;
  rec.headers["x-amz-checksum-" + ChecksumName(*up.checksum)] = up.checksum_b64;
  rec.headers["x-amz-checksum-type"] = "FULL_OBJECT";  // one PUT: the whole object's checksum
}

}  // namespace

std::mutex& Service::KeyLock(const std::string& bucket, const std::string& key) {
  return key_locks_[std::hash<std::string>{}(bucket + "/" + key) % key_locks_.size()];
}

Status Service::CheckConditionalWrite(const Call& call, Clock::TimePoint since) {
  if (!call.req.headers.Has("If-None-Match") && !call.req.headers.Has("If-Match")) {
    return Status::Ok();
  }
  auto current = store_.GetObject(call.route.bucket, call.route.key);
  if (!current.ok() && !current.status().IsNotFound()) return current.status();
  Status s = CheckWriteConditions(call.req.headers, current.ok() ? &current->etag : nullptr);
  if (!s.ok() && current.ok() && current->last_modified > since &&
      ToS3Error(s).code == "PreconditionFailed") {
    return S3Err("ConditionalRequestConflict");
  }
  return s;
}

Result<Response> Service::PutObject(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  if (call.route.key.size() > 1024) return S3Err("KeyTooLongError");
  THAW_ASSIGN_OR_RETURN(ObjectRecord rec,
                        ObjectFromHeaders(call.req, call.route.bucket, call.route.key));
  const UploadResult& up = *call.req.upload;
  rec.size = up.size_bytes;
  rec.etag = QuotedEtag(up.md5);
  SetChecksumHeader(rec, up);
  {
    std::lock_guard<std::mutex> lock(KeyLock(rec.bucket, rec.key));
    THAW_RETURN_IF_ERROR(CheckConditionalWrite(call, call.sim_start));
    THAW_RETURN_IF_ERROR(store_.PutObject(rec, up.temp_path));
  }
  Response r;
  r.headers.Set("ETag", rec.etag);
  if (!rec.version_id.empty()) r.headers.Set("x-amz-version-id", rec.version_id);
  if (up.checksum) {
    r.headers.Set("x-amz-checksum-" + ChecksumName(*up.checksum), up.checksum_b64);
    r.headers.Set("x-amz-checksum-type", "FULL_OBJECT");
  }
  call.req.upload.reset();  // consumed (`up` dangles from here)
  return r;
}

Result<Response> Service::GetObject(Call& call, bool head) {
  auto loaded = LoadObject(call.route.bucket, call.route.key, call.req.Query("versionId"));
  if (!loaded.ok()) {
    // A key whose newest version is a delete marker reads as deleted, and says so.
    S3Error e = ToS3Error(loaded.status());
    bool by_id = call.req.HasQuery("versionId");
    if (e.code == "NoSuchKey" || (by_id && e.code == "MethodNotAllowed")) {
      auto marker = by_id ? store_.GetObjectVersion(call.route.bucket, call.route.key,
                                                    call.req.Query("versionId"))
                          : store_.GetLatestDeleteMarker(call.route.bucket, call.route.key);
      if (marker.ok() && marker->delete_marker) {
        Response err = ErrorResponse(call, loaded.status());
        err.headers.Set("x-amz-delete-marker", "true");
        err.headers.Set("x-amz-version-id", marker->version_id);
        return err;
      }
    }
    return loaded.status();
  }
  ObjectRecord rec = std::move(*loaded);
  // HEAD works on archived objects; GET needs a restored copy.
  if (!head && !rec.archive.readable()) return ArchivedError(rec);
  Response r;
  switch (EvaluateConditions(call.req.headers, rec.etag, rec.last_modified)) {
    case ConditionResult::kPreconditionFailed:
      return S3Err("PreconditionFailed");
    case ConditionResult::kNotModified:
      r.status = 304;
      r.head = true;
      r.headers.Set("ETag", rec.etag);
      r.headers.Set("Last-Modified", FormatHttpDate(rec.last_modified));
      return r;
    case ConditionResult::kProceed:
      break;
  }
  AddObjectHeaders(rec, call.req, r);
  // Presigned links choose how a browser treats the download (S3's response-* parameters).
  for (const char* header : {"Cache-Control", "Content-Disposition", "Content-Encoding",
                             "Content-Language", "Content-Type", "Expires"}) {
    std::string param = "response-" + ToLower(header);
    if (call.req.HasQuery(param)) r.headers.Set(header, call.req.Query(param));
  }
  FileBody body{store_.ObjectPath(rec.file), 0, rec.size};
  if (call.req.HasQuery("partNumber")) {
    // A part of a multipart object, as S3 answers it: its bytes (206) and the parts count.
    if (call.req.headers.Has("Range")) {
      return S3Err("InvalidRequest",
                   "Cannot specify both Range header and partNumber query "
                   "parameter");
    }
    auto n = ParseInt64(call.req.Query("partNumber"));
    if (!n || *n < 1 || *n > 10000) {
      return S3Err(
          "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive",
          {{"ArgumentName", "partNumber"}, {"ArgumentValue", call.req.Query("partNumber")}});
    }
    THAW_ASSIGN_OR_RETURN(PartRange part, LocatePart(rec, static_cast<int>(*n)));
    body.offset = part.offset;
    body.length = part.length;
    if (part.parts_count > 0) {
      r.headers.Set("x-amz-mp-parts-count", std::to_string(part.parts_count));
    }
    if (rec.size > 0) {
      r.status = 206;
      r.headers.Set("Content-Range", "bytes " + std::to_string(body.offset) + "-" +
                                         std::to_string(body.offset + body.length - 1) + "/" +
                                         std::to_string(rec.size));
    }
    if (part.parts_count > 0) {
      for (const auto& [name, value] : rec.headers) {
        if (StartsWith(name, "x-amz-checksum-")) r.headers.Remove(name);
      }
    }
  } else if (const std::string* range = call.req.headers.Find("Range")) {
    auto parsed = ParseRange(*range, rec.size);
    if (!parsed.ok()) {
      Status s = parsed.status();
      Response err = ErrorResponse(call, s);
      err.headers.Set("Content-Range", "bytes */" + std::to_string(rec.size));
      return err;
    }
    if (*parsed) {
      body.offset = (*parsed)->first;
      body.length = (*parsed)->length;
      r.status = 206;
      r.headers.Set("Content-Range", "bytes " + std::to_string(body.offset) + "-" +
                                         std::to_string(body.offset + body.length - 1) + "/" +
                                         std::to_string(rec.size));
      // A checksum covers the whole object, not a range.
      for (const auto& [name, value] : rec.headers) {
        if (StartsWith(name, "x-amz-checksum-")) r.headers.Remove(name);
      }
    }
  }
  r.headers.Set("Content-Length", std::to_string(body.length));
  r.object_size = rec.size;
  if (head) {
    r.head = true;
  } else {
    r.file = body;
  }
  return r;
}

Result<Response> Service::DeleteObject(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  std::string version_id = call.req.Query("versionId");
  bool by_id = call.req.HasQuery("versionId");
  if (by_id && !ValidVersionId(version_id)) {
    return S3Err("InvalidArgument", "Invalid version id specified",
                 {{"ArgumentName", "versionId"}, {"ArgumentValue", version_id}});
  }
  DeleteOutcome done;
  THAW_RETURN_IF_ERROR(store_.DeleteObject(call.route.bucket, call.route.key,
                                           by_id ? &version_id : nullptr, &done, clock_.Now()));
  Response r;
  r.status = 204;
  if (done.delete_marker) r.headers.Set("x-amz-delete-marker", "true");
  if (!done.version_id.empty()) r.headers.Set("x-amz-version-id", done.version_id);
  return r;
}

Result<Response> Service::DeleteObjects(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  pugi::xml_document doc;
  THAW_ASSIGN_OR_RETURN(pugi::xml_node del, LoadXmlBody(doc, call.req.body, "Delete"));
  bool quiet = std::string(del.child_value("Quiet")) == "true";
  XmlWriter w;
  w.Open("DeleteResult", true);
  int n = 0;
  for (pugi::xml_node obj : del.children("Object")) {
    if (++n > 1000) return S3Err("MalformedXML", "at most 1000 keys per DeleteObjects");
    std::string key = obj.child_value("Key");
    pugi::xml_node version = obj.child("VersionId");
    std::string version_id = version.child_value();
    DeleteOutcome done;
    Status s = version && !ValidVersionId(version_id)
                   ? S3Err("NoSuchVersion", "The specified version does not exist.")
                   : store_.DeleteObject(call.route.bucket, key, version ? &version_id : nullptr,
                                         &done, clock_.Now());
    if (s.ok()) {
      if (quiet) continue;
      w.Open("Deleted");
      w.Element("Key", key);
      if (version) w.Element("VersionId", version_id);
      if (done.delete_marker) {
        w.Bool("DeleteMarker", true);
        if (!version) w.Element("DeleteMarkerVersionId", done.version_id);
      }
      w.Close("Deleted");
    } else {
      S3Error e = ToS3Error(s);
      w.Open("Error");
      w.Element("Key", key);
      w.Element("Code", e.code);
      w.Element("Message", e.message);
      w.Close("Error");
    }
  }
  w.Close("DeleteResult");
  Response r;
  r.headers.Set("Content-Type", "application/xml");
  r.body = w.Finish();
  return r;
}

Result<Response> Service::CopyObject(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  THAW_ASSIGN_OR_RETURN(ObjectRecord source, LoadCopySource(call.req));
  std::string directive = call.req.headers.Get("x-amz-metadata-directive");
  if (directive.empty()) directive = "COPY";
  if (directive != "COPY" && directive != "REPLACE") {
    return S3Err("InvalidArgument", "Unknown metadata directive.");
  }
  bool same = source.bucket == call.route.bucket && source.key == call.route.key;
  bool class_given = call.req.headers.Has("x-amz-storage-class");
  if (same && directive == "COPY" && !class_given) {
    return S3Err("InvalidRequest",
                 "This copy request is illegal because it is trying to copy an object to itself "
                 "without changing the object's metadata, storage class, website redirect "
                 "location or encryption attributes.");
  }
  // The new object's class comes from the request (STANDARD when absent, as in S3), never from
  // the source: copying is how an object moves between classes.
  THAW_ASSIGN_OR_RETURN(ObjectRecord rec,
                        ObjectFromHeaders(call.req, call.route.bucket, call.route.key));
  if (directive == "COPY") {
    rec.content_type = source.content_type;
    rec.user_metadata = source.user_metadata;
    rec.headers = source.headers;
  } else {
    for (const auto& [name, value] : source.headers) {
      // The ETag is the source's, so are its checksums and part layout.
      if (StartsWith(name, "x-amz-checksum-") || IsInternalEntry(name)) rec.headers[name] = value;
    }
  }
  rec.size = source.size;
  rec.etag = source.etag;
  {
    std::lock_guard<std::mutex> lock(KeyLock(rec.bucket, rec.key));
    THAW_RETURN_IF_ERROR(store_.CopyObject(source, rec));
  }
  Response r;
  if (!rec.version_id.empty()) r.headers.Set("x-amz-version-id", rec.version_id);
  if (call.req.headers.Get("x-amz-copy-source").find("?versionId=") != std::string::npos) {
    r.headers.Set("x-amz-copy-source-version-id", VersionIdOrNull(source.version_id));
  }
  XmlWriter w;
  w.Open("CopyObjectResult", true);
  w.Element("LastModified", FormatIso8601(rec.last_modified));
  w.Element("ETag", rec.etag);
  w.Close("CopyObjectResult");
  r.headers.Set("Content-Type", "application/xml");
  r.body = w.Finish();
  return r;
}

}  // namespace thaw::sim
