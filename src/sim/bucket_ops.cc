// Bucket operations: ListBuckets, CreateBucket, HeadBucket, DeleteBucket, GetBucketLocation,
// ListObjects (V1 and V2, with delimiter grouping, pagination, encoding-type=url and the
// RestoreStatus optional attribute) and ListMultipartUploads.
#include <algorithm>

#include "common/strings.h"
#include "common/time_format.h"
#include "sim/checksums.h"
#include "sim/s3_error.h"
#include "sim/service.h"
#include "sim/xml_writer.h"

namespace thaw::sim {
namespace {

constexpr const char* kOwnerId = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

Response XmlResponse(std::string body, int status = 200) {
  Response r;
  r.status = status;
  r.headers.Set("Content-Type", "application/xml");
  r.body = std::move(body);
  return r;
}

bool ValidBucketName(const std::string& name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return false;
    }
  }
  return std::isalnum(static_cast<unsigned char>(name.front())) &&
         std::isalnum(static_cast<unsigned char>(name.back()));
}

// Everything after any key with prefix `p` (UTF-8 never contains 0xFF).
std::string PastPrefix(const std::string& p) {
  return p + "\xff\xff\xff\xff";
}

struct ListParams {
  std::string prefix;
  std::string delimiter;
  std::string cursor;  // list keys > cursor
  int max_keys = 1000;
};

struct ListOutcome {
  std::vector<ObjectRecord> objects;
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string last;         // last key or common prefix returned
  std::string next_cursor;  // where the next page starts
};

}  // namespace

Result<Response> Service::ListBuckets(Call& call) {
  THAW_ASSIGN_OR_RETURN(auto all, store_.ListBuckets());
  // Paging as S3 has it since 2024: max-buckets (1..10000), an opaque continuation-token,
  // prefix. Without max-buckets everything comes in one answer, as before.
  const Request& req = call.req;
  size_t max = all.size();
  if (req.HasQuery("max-buckets")) {
    auto n = ParseInt64(req.Query("max-buckets"));
    if (!n || *n < 1 || *n > 10000) {
      return S3Err("InvalidArgument", "max-buckets must be an integer from 1 to 10000");
    }
    max = static_cast<size_t>(*n);
  }
  std::string prefix = req.Query("prefix");
  std::string after;
  if (req.HasQuery("continuation-token")) {
    auto decoded = Base64Decode(req.Query("continuation-token"));
    if (!decoded) return S3Err("InvalidArgument", "The continuation token provided is incorrect");
    after = *decoded;
  }
  std::vector<BucketRecord> buckets;
  std::string next;
  for (BucketRecord& b : all) {
    if (!StartsWith(b.name, prefix) || b.name <= after) continue;
    if (buckets.size() == max) {
      next = buckets.back().name;
      break;
    }
    buckets.push_back(std::move(b));
  }
  XmlWriter w;
  w.Open("ListAllMyBucketsResult", true);
  w.Open("Owner");
  w.Element("ID", kOwnerId);
  w.Element("DisplayName", "thaw-sim");
  w.Close("Owner");
  w.Open("Buckets");
  for (const BucketRecord& b : buckets) {
    w.Open("Bucket");
    w.Element("Name", b.name);
    w.Element("CreationDate", FormatIso8601(b.created));
    w.Close("Bucket");
  }
  w.Close("Buckets");
  if (!next.empty()) w.Element("ContinuationToken", Base64Encode(next));
  if (req.HasQuery("prefix")) w.Element("Prefix", prefix);
  w.Close("ListAllMyBucketsResult");
  return XmlResponse(w.Finish());
}

Result<Response> Service::CreateBucket(Call& call) {
  const std::string& name = call.route.bucket;
  if (!ValidBucketName(name)) return S3Err("InvalidBucketName");
  THAW_ASSIGN_OR_RETURN(std::string region, CreateBucketRegion(call));
  Status s = store_.CreateBucket({name, region, clock_.Now()});
  if (s.code() == StatusCode::kAlreadyExists) {
    // S3's legacy answer in N. Virginia: re-creating your own bucket there succeeds.
    if (region != "us-east-1" || BucketRegion(name) != "us-east-1") {
      return S3Err("BucketAlreadyOwnedByYou");
    }
    s = Status::Ok();
  }
  THAW_RETURN_IF_ERROR(s);
  Response r;
  r.headers.Set("Location", "/" + name);
  return r;
}

Result<Response> Service::HeadBucket(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  Response r;
  r.headers.Set("x-amz-bucket-region", BucketRegion(call.route.bucket));
  return r;
}

Result<Response> Service::DeleteBucket(Call& call) {
  Status s = store_.DeleteBucket(call.route.bucket);
  if (s.IsNotFound()) return S3Err("NoSuchBucket");
  if (s.IsFailedPrecondition()) return S3Err("BucketNotEmpty");
  THAW_RETURN_IF_ERROR(s);
  ForgetRequestPayment(call.route.bucket);
  Response r;
  r.status = 204;
  return r;
}

Result<Response> Service::GetBucketLocation(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  std::string region = BucketRegion(call.route.bucket);
  XmlWriter w;
  // us-east-1 is reported as an empty LocationConstraint, as S3 does.
  w.Open("LocationConstraint", true);
  std::string body =
      w.Finish() + XmlEscape(region == "us-east-1" ? "" : region) + "</LocationConstraint>";
  return XmlResponse(body);
}

Result<Response> Service::ListObjects(Call& call, bool v2) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  const Request& req = call.req;
  ListParams p;
  p.prefix = req.Query("prefix");
  p.delimiter = req.Query("delimiter");
  if (req.HasQuery("max-keys")) {
    auto n = ParseInt64(req.Query("max-keys"));
    if (!n || *n < 0) return S3Err("InvalidArgument", "max-keys must be a non-negative integer");
    p.max_keys = static_cast<int>(std::min<int64_t>(*n, 1000));
  }
  bool url = req.Query("encoding-type") == "url";
  if (req.HasQuery("encoding-type") && !url)
    return S3Err("InvalidArgument", "Invalid Encoding Method specified in Request");
  std::string start_after = req.Query("start-after");
  std::string marker = req.Query("marker");
  std::string token = req.Query("continuation-token");
  if (v2) {
    p.cursor = start_after;
    if (!token.empty()) {
      auto decoded = Base64Decode(token);
      if (!decoded) return S3Err("InvalidArgument", "The continuation token provided is incorrect");
      p.cursor = std::max(p.cursor, *decoded);
    }
  } else {
    p.cursor = marker;
    // A marker that is a common prefix (V1's NextMarker) continues after everything under it.
    if (!p.delimiter.empty() && StartsWith(marker, p.prefix) && EndsWith(marker, p.delimiter) &&
        marker.size() > p.prefix.size()) {
      p.cursor = PastPrefix(marker);
    }
  }
  // S3 checks the names (clients rely on that to learn whether RestoreStatus is understood).
  std::string optional = req.headers.Get("x-amz-optional-object-attributes");
  if (!optional.empty() && !s3::KnownOptionalObjectAttributes(optional)) {
    return S3Err("InvalidArgument", "Invalid attribute name specified");
  }
  bool restore_status = !optional.empty();

  ListOutcome out;
  std::string cursor = p.cursor;
  int count = 0;
  bool done = p.max_keys == 0;
  // With a delimiter, a batch may end at its first row (a common prefix skips the rest): start
  // small and grow while whole batches are used, so a directory of a few files next to a big
  // subtree does not read a thousand rows of it (that made a mount's first lookup 4 ms slower).
  int batch_rows = p.delimiter.empty() ? 1000 : 16;
  while (!done) {
    int limit = std::min(batch_rows, p.max_keys - count + 1);
    THAW_ASSIGN_OR_RETURN(auto batch,
                          store_.ListObjects(call.route.bucket, p.prefix, cursor, limit));
    bool restart = false;
    for (ObjectRecord& rec : batch) {
      std::string common;
      if (!p.delimiter.empty()) {
        size_t pos = rec.key.find(p.delimiter, p.prefix.size());
        if (pos != std::string::npos) common = rec.key.substr(0, pos + p.delimiter.size());
      }
      if (count == p.max_keys) {
        out.truncated = true;
        done = true;
        break;
      }
      ++count;
      if (!common.empty()) {
        out.prefixes.push_back(common);
        out.last = common;
        out.next_cursor = cursor = PastPrefix(common);
        restart = true;  // skip the rest of this prefix with a new query
        break;
      }
      // Listings show the class lifecycle gave and the current restore state.
      if (Advance(rec)) THAW_RETURN_IF_ERROR(store_.UpdateObject(rec));
      out.last = out.next_cursor = cursor = rec.key;
      out.objects.push_back(std::move(rec));
    }
    if (!restart && static_cast<int>(batch.size()) < limit) done = true;
    if (!restart) batch_rows = std::min(1000, batch_rows * 2);
  }

  auto enc = [url](const std::string& s) { return url ? UriEncode(s, true) : s; };
  // About 200 bytes per entry: the body is built without regrowing.
  XmlWriter w(1024 + 256 * (out.objects.size() + out.prefixes.size()));
  w.Open("ListBucketResult", true);
  w.Element("Name", call.route.bucket);
  w.Element("Prefix", enc(p.prefix));
  if (v2) {
    if (!token.empty()) w.Element("ContinuationToken", token);
    if (!start_after.empty()) w.Element("StartAfter", enc(start_after));
    w.Element("KeyCount", static_cast<uint64_t>(count));
  } else {
    w.Element("Marker", enc(marker));
    if (out.truncated && !p.delimiter.empty()) w.Element("NextMarker", enc(out.last));
  }
  w.Element("MaxKeys", static_cast<uint64_t>(p.max_keys));
  if (!p.delimiter.empty()) w.Element("Delimiter", enc(p.delimiter));
  if (url) w.Element("EncodingType", "url");
  w.Bool("IsTruncated", out.truncated);
  if (v2 && out.truncated) w.Element("NextContinuationToken", Base64Encode(out.next_cursor));
  for (const ObjectRecord& rec : out.objects) {
    w.Open("Contents");
    w.Element("Key", enc(rec.key));
    w.Element("LastModified", FormatIso8601(rec.last_modified));
    w.Element("ETag", rec.etag);
    w.Element("Size", rec.size);
    w.Element("StorageClass", rec.archive.storage_class);
    if (!v2 || req.Query("fetch-owner") == "true") {
      w.Open("Owner");
      w.Element("ID", kOwnerId);
      w.Element("DisplayName", "thaw-sim");
      w.Close("Owner");
    }
    if (restore_status && rec.archive.restore != ArchiveState::Restore::kNone) {
      w.Open("RestoreStatus");
      bool ongoing = rec.archive.restore == ArchiveState::Restore::kOngoing;
      w.Bool("IsRestoreInProgress", ongoing);
      if (!ongoing) w.Element("RestoreExpiryDate", FormatIso8601(rec.archive.expiry));
      w.Close("RestoreStatus");
    }
    w.Close("Contents");
  }
  for (const std::string& cp : out.prefixes) {
    w.Open("CommonPrefixes");
    w.Element("Prefix", enc(cp));
    w.Close("CommonPrefixes");
  }
  w.Close("ListBucketResult");
  return XmlResponse(w.Finish());
}

Result<Response> Service::ListMultipartUploads(Call& call) {
  THAW_RETURN_IF_ERROR(CheckBucket(call.route.bucket));
  THAW_ASSIGN_OR_RETURN(auto uploads, store_.ListUploads(call.route.bucket));
  std::string prefix = call.req.Query("prefix");
  // encoding-type=url as in ListObjects: keys with characters XML 1.0 cannot carry (C0
  // controls) reach strict parsers percent-encoded.
  bool url = call.req.Query("encoding-type") == "url";
  if (call.req.HasQuery("encoding-type") && !url)
    return S3Err("InvalidArgument", "Invalid Encoding Method specified in Request");
  auto enc = [url](const std::string& s) { return url ? UriEncode(s, true) : s; };
  XmlWriter w;
  w.Open("ListMultipartUploadsResult", true);
  w.Element("Bucket", call.route.bucket);
  w.Element("KeyMarker", "");
  w.Element("UploadIdMarker", "");
  w.Element("Prefix", enc(prefix));
  if (url) w.Element("EncodingType", "url");
  w.Element("MaxUploads", 1000);
  w.Bool("IsTruncated", false);
  for (const UploadRecord& u : uploads) {
    if (!StartsWith(u.key, prefix)) continue;
    w.Open("Upload");
    w.Element("Key", enc(u.key));
    w.Element("UploadId", u.upload_id);
    w.Element("StorageClass", u.object.archive.storage_class);
    w.Element("Initiated", FormatIso8601(u.initiated));
    w.Close("Upload");
  }
  w.Close("ListMultipartUploadsResult");
  return XmlResponse(w.Finish());
}

}  // namespace thaw::sim
