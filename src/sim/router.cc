// Request routing: addressing style, then (method, level, sub-resource) to an operation name
// through one table, kRoutes, that lists every operation of S3's API (botocore's s3 model,
// 2006-03-01). Whether the sim implements an operation is the Service's business: one it does
// not answers 501 NotImplemented naming the operation, never another operation's answer.
#include "sim/router.h"

#include <set>

#include "common/strings.h"
#include "sim/s3_error.h"
#include "sim/s3control.h"

namespace thaw::sim {
namespace {

// Where an operation applies: the service (GET /), a bucket (/bucket) or an object (/b/key).
enum class Level { kService, kBucket, kObject };

// One way to reach an operation. `sub` is the query key that selects it ("" for none);
// `also` is a further condition: "?name" a query key that must be present, "name" a header.
// The first matching row wins, so rows with conditions come before the unconditioned ones.
struct RouteRow {
  const char* method;
  Level level;
  const char* sub;
  const char* also;
  const char* op;
};

constexpr Level S = Level::kService, B = Level::kBucket, O = Level::kObject;

// Adding an operation: one row here (when the model's request URI is new), one line in
// Service::Dispatch.
constexpr RouteRow kRoutes[] = {
    {"GET", S, "", "", "ListBuckets"},
    // Bucket sub-resources.
    {"GET", B, "abac", "", "GetBucketAbac"},
    {"PUT", B, "abac", "", "PutBucketAbac"},
    {"GET", B, "accelerate", "", "GetBucketAccelerateConfiguration"},
    {"PUT", B, "accelerate", "", "PutBucketAccelerateConfiguration"},
    {"GET", B, "acl", "", "GetBucketAcl"},
    {"PUT", B, "acl", "", "PutBucketAcl"},
    {"DELETE", B, "analytics", "", "DeleteBucketAnalyticsConfiguration"},
    {"GET", B, "analytics", "?id", "GetBucketAnalyticsConfiguration"},
    {"GET", B, "analytics", "", "ListBucketAnalyticsConfigurations"},
    {"PUT", B, "analytics", "", "PutBucketAnalyticsConfiguration"},
    {"DELETE", B, "cors", "", "DeleteBucketCors"},
    {"GET", B, "cors", "", "GetBucketCors"},
    {"PUT", B, "cors", "", "PutBucketCors"},
    {"POST", B, "delete", "", "DeleteObjects"},
    {"DELETE", B, "encryption", "", "DeleteBucketEncryption"},
    {"GET", B, "encryption", "", "GetBucketEncryption"},
    {"PUT", B, "encryption", "", "PutBucketEncryption"},
    {"DELETE", B, "intelligent-tiering", "", "DeleteBucketIntelligentTieringConfiguration"},
    {"GET", B, "intelligent-tiering", "?id", "GetBucketIntelligentTieringConfiguration"},
    {"GET", B, "intelligent-tiering", "", "ListBucketIntelligentTieringConfigurations"},
    {"PUT", B, "intelligent-tiering", "", "PutBucketIntelligentTieringConfiguration"},
    {"DELETE", B, "inventory", "", "DeleteBucketInventoryConfiguration"},
    {"GET", B, "inventory", "?id", "GetBucketInventoryConfiguration"},
    {"GET", B, "inventory", "", "ListBucketInventoryConfigurations"},
    {"PUT", B, "inventory", "", "PutBucketInventoryConfiguration"},
    {"DELETE", B, "lifecycle", "", "DeleteBucketLifecycle"},
    {"GET", B, "lifecycle", "", "GetBucketLifecycleConfiguration"},
    {"PUT", B, "lifecycle", "", "PutBucketLifecycleConfiguration"},
    {"GET", B, "location", "", "GetBucketLocation"},
    {"GET", B, "logging", "", "GetBucketLogging"},
    {"PUT", B, "logging", "", "PutBucketLogging"},
    {"POST", B, "metadataConfiguration", "", "CreateBucketMetadataConfiguration"},
    {"DELETE", B, "metadataConfiguration", "", "DeleteBucketMetadataConfiguration"},
    {"GET", B, "metadataConfiguration", "", "GetBucketMetadataConfiguration"},
    {"PUT", B, "metadataInventoryTable", "", "UpdateBucketMetadataInventoryTableConfiguration"},
    {"PUT", B, "metadataJournalTable", "", "UpdateBucketMetadataJournalTableConfiguration"},
    {"POST", B, "metadataTable", "", "CreateBucketMetadataTableConfiguration"},
    {"DELETE", B, "metadataTable", "", "DeleteBucketMetadataTableConfiguration"},
    {"GET", B, "metadataTable", "", "GetBucketMetadataTableConfiguration"},
    {"DELETE", B, "metrics", "", "DeleteBucketMetricsConfiguration"},
    {"GET", B, "metrics", "?id", "GetBucketMetricsConfiguration"},
    {"GET", B, "metrics", "", "ListBucketMetricsConfigurations"},
    {"PUT", B, "metrics", "", "PutBucketMetricsConfiguration"},
    {"GET", B, "notification", "", "GetBucketNotificationConfiguration"},
    {"PUT", B, "notification", "", "PutBucketNotificationConfiguration"},
    {"GET", B, "object-lock", "", "GetObjectLockConfiguration"},
    {"PUT", B, "object-lock", "", "PutObjectLockConfiguration"},
    {"DELETE", B, "ownershipControls", "", "DeleteBucketOwnershipControls"},
    {"GET", B, "ownershipControls", "", "GetBucketOwnershipControls"},
    {"PUT", B, "ownershipControls", "", "PutBucketOwnershipControls"},
    {"DELETE", B, "policy", "", "DeleteBucketPolicy"},
    {"GET", B, "policy", "", "GetBucketPolicy"},
    {"PUT", B, "policy", "", "PutBucketPolicy"},
    {"GET", B, "policyStatus", "", "GetBucketPolicyStatus"},
    {"DELETE", B, "publicAccessBlock", "", "DeletePublicAccessBlock"},
    {"GET", B, "publicAccessBlock", "", "GetPublicAccessBlock"},
    {"PUT", B, "publicAccessBlock", "", "PutPublicAccessBlock"},
    {"DELETE", B, "replication", "", "DeleteBucketReplication"},
    {"GET", B, "replication", "", "GetBucketReplication"},
    {"PUT", B, "replication", "", "PutBucketReplication"},
    {"GET", B, "requestPayment", "", "GetBucketRequestPayment"},
    {"PUT", B, "requestPayment", "", "PutBucketRequestPayment"},
    {"GET", B, "session", "", "CreateSession"},
    {"DELETE", B, "tagging", "", "DeleteBucketTagging"},
    {"GET", B, "tagging", "", "GetBucketTagging"},
    {"PUT", B, "tagging", "", "PutBucketTagging"},
    {"GET", B, "uploads", "", "ListMultipartUploads"},
    {"GET", B, "versioning", "", "GetBucketVersioning"},
    {"PUT", B, "versioning", "", "PutBucketVersioning"},
    {"GET", B, "versions", "", "ListObjectVersions"},
    {"DELETE", B, "website", "", "DeleteBucketWebsite"},
    {"GET", B, "website", "", "GetBucketWebsite"},
    {"PUT", B, "website", "", "PutBucketWebsite"},
    // Buckets without a sub-resource.
    {"PUT", B, "", "", "CreateBucket"},
    {"DELETE", B, "", "", "DeleteBucket"},
    {"HEAD", B, "", "", "HeadBucket"},
    {"GET", B, "", "?list-type", "ListObjectsV2"},
    {"GET", B, "", "", "ListObjects"},
    // Object sub-resources.
    {"GET", O, "acl", "", "GetObjectAcl"},
    {"PUT", O, "acl", "", "PutObjectAcl"},
    {"GET", O, "attributes", "", "GetObjectAttributes"},
    {"PUT", O, "encryption", "", "UpdateObjectEncryption"},
    {"GET", O, "legal-hold", "", "GetObjectLegalHold"},
    {"PUT", O, "legal-hold", "", "PutObjectLegalHold"},
    {"PUT", O, "renameObject", "", "RenameObject"},
    {"POST", O, "restore", "", "RestoreObject"},
    {"GET", O, "retention", "", "GetObjectRetention"},
    {"PUT", O, "retention", "", "PutObjectRetention"},
    {"POST", O, "select", "", "SelectObjectContent"},
    {"DELETE", O, "tagging", "", "DeleteObjectTagging"},
    {"GET", O, "tagging", "", "GetObjectTagging"},
    {"PUT", O, "tagging", "", "PutObjectTagging"},
    {"GET", O, "torrent", "", "GetObjectTorrent"},
    {"POST", O, "uploads", "", "CreateMultipartUpload"},
    {"PUT", O, "uploadId", "x-amz-copy-source", "UploadPartCopy"},
    {"PUT", O, "uploadId", "", "UploadPart"},
    {"POST", O, "uploadId", "", "CompleteMultipartUpload"},
    {"DELETE", O, "uploadId", "", "AbortMultipartUpload"},
    {"GET", O, "uploadId", "", "ListParts"},
    // Objects without a sub-resource.
    {"PUT", O, "", "x-amz-copy-source", "CopyObject"},
    {"PUT", O, "", "", "PutObject"},
    {"GET", O, "", "", "GetObject"},
    {"HEAD", O, "", "", "HeadObject"},
    {"DELETE", O, "", "", "DeleteObject"},
};

// Every query key that selects an operation somewhere in kRoutes.
const std::set<std::string>& SubResources() {
  static const auto* subs = [] {
    auto* s = new std::set<std::string>;
    for (const RouteRow& row : kRoutes) {
      if (*row.sub) s->insert(row.sub);
    }
    return s;
  }();
  return *subs;
}

bool Holds(const Request& req, const char* also) {
  if (!*also) return true;
  if (also[0] == '?') return req.HasQuery(also + 1);
  return req.headers.Has(also);
}

const char* LevelName(Level level) {
  return level == S ? "the service" : level == B ? "a bucket" : "an object";
}

// The operation for (method, level) and the sub-resources present in the request.
Status Match(const Request& req, Level level, Route& r) {
  // The sub-resource of the request: the first known key present, in table order (so that
  // ?uploads&prefix= and ?tagging&versionId= pick the operation, not a parameter).
  std::string sub;
  for (const RouteRow& row : kRoutes) {
    if (row.level == level && *row.sub && req.HasQuery(row.sub)) {
      sub = row.sub;
      break;
    }
  }
  if (sub.empty()) {
    // A key S3 knows only at another level (?versioning on an object, ?restore on a bucket).
    for (const std::string& known : SubResources()) {
      if (req.HasQuery(known)) {
        return S3Err("NotImplemented", "?" + known + " is not a sub-resource of " +
                                           LevelName(level) + " that thaw sim knows");
      }
    }
  }
  for (const RouteRow& row : kRoutes) {
    if (row.level != level || sub != row.sub || !Holds(req, row.also)) continue;
    if (req.method != row.method) continue;
    r.op = row.op;
    r.subresource = sub;
    return Status::Ok();
  }
  std::string what = sub.empty() ? std::string(LevelName(level)) : "?" + sub;
  return S3Err("MethodNotAllowed", "The specified method is not allowed against this resource (" +
                                       req.method + " " + what + ").");
}

}  // namespace

std::vector<std::string> AllRoutedOperations() {
  std::vector<std::string> ops;
  for (const RouteRow& row : kRoutes) ops.push_back(row.op);
  return ops;
}

Status ParseTarget(Request& req) {
  size_t q = req.target.find('?');
  req.path = req.target.substr(0, q);
  req.raw_query = q == std::string::npos ? "" : req.target.substr(q + 1);
  req.query.clear();
  for (const std::string& piece : Split(req.raw_query, '&')) {
    if (piece.empty()) continue;
    size_t eq = piece.find('=');
    auto name = UriDecode(piece.substr(0, eq), true);
    auto value = UriDecode(eq == std::string::npos ? "" : piece.substr(eq + 1), true);
    if (!name || !value) return S3Err("InvalidArgument", "malformed query string");
    req.query[*name] = *value;
  }
  if (req.path.empty() || req.path[0] != '/') return S3Err("InvalidRequest", "bad request target");
  return Status::Ok();
}

Result<Route> RouteRequest(const Request& req, const std::string& virtual_host_suffix) {
  Route r;
  auto path = UriDecode(req.path);
  if (!path) return S3Err("InvalidURI", "Couldn't parse the specified URI.");
  std::string_view p = *path;
  p.remove_prefix(1);  // leading '/'
  if (StartsWith(p, "_thaw/") || p == "_thaw") {
    r.op = "Admin";
    r.key = std::string(p.size() > 6 ? p.substr(6) : "");
    return r;
  }
  if (auto control = RouteControlPlane(req, p)) return *control;  // S3 Control, STS
  std::string host = req.headers.Get("Host");
  host = host.substr(0, host.rfind(':') == std::string::npos || host.find(']') != std::string::npos
                            ? host.size()
                            : host.rfind(':'));
  std::string suffix = "." + virtual_host_suffix;
  if (!virtual_host_suffix.empty() && EndsWith(host, suffix) && host.size() > suffix.size()) {
    r.bucket = host.substr(0, host.size() - suffix.size());
    r.key = std::string(p);
    r.virtual_hosted = true;
  } else {
    size_t slash = p.find('/');
    r.bucket = std::string(p.substr(0, slash));
    r.key = slash == std::string_view::npos ? "" : std::string(p.substr(slash + 1));
  }
  if (r.bucket.empty()) {
    // The STS Query API on the same port (sts_ops.cc): a form POST (or a GET with Action=) to
    // "/", which no S3 operation is.
    bool form =
        StartsWith(ToLower(req.headers.Get("Content-Type")), "application/x-www-form-urlencoded");
    if ((req.method == "POST" && form) || (req.method == "GET" && req.HasQuery("Action"))) {
      r.op = "STS";
      return r;
    }
  }
  Level level = r.bucket.empty() ? S : r.key.empty() ? B : O;
  THAW_RETURN_IF_ERROR(Match(req, level, r));
  return r;
}

}  // namespace thaw::sim
