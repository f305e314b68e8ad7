// Request routing: addressing style, then (method, sub-resource) to operation name.
#include "sim/router.h"

#include "common/strings.h"
#include "sim/s3_error.h"
#include "sim/s3control.h"

namespace thaw::sim {

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
  } else {
    size_t slash = p.find('/');
    r.bucket = std::string(p.substr(0, slash));
    r.key = slash == std::string_view::npos ? "" : std::string(p.substr(slash + 1));
  }
  const std::string& m = req.method;
  auto bad_method = [] { return S3Err("MethodNotAllowed"); };
  if (r.bucket.empty()) {
    if (m == "GET")
      r.op = "ListBuckets";
    else
      return bad_method();
    return r;
  }
  if (r.key.empty()) {
    if (req.HasQuery("lifecycle")) {
      if (m == "PUT")
        r.op = "PutBucketLifecycleConfiguration";
      else if (m == "GET")
        r.op = "GetBucketLifecycleConfiguration";
      else if (m == "DELETE")
        r.op = "DeleteBucketLifecycle";
      else
        return bad_method();
      return r;
    }
    for (const char* sub : {"policy", "acl", "cors", "tagging", "notification", "website",
                            "replication", "encryption", "object-lock", "logging"}) {
      if (req.HasQuery(sub))
        return S3Err("NotImplemented", std::string("?") + sub + " is not implemented by thaw sim");
    }
    if (m == "PUT")
      r.op = "CreateBucket";
    else if (m == "HEAD")
      r.op = "HeadBucket";
    else if (m == "DELETE")
      r.op = "DeleteBucket";
    else if (m == "POST" && req.HasQuery("delete"))
      r.op = "DeleteObjects";
    else if (m == "GET") {
      if (req.HasQuery("location"))
        r.op = "GetBucketLocation";
      else if (req.HasQuery("versioning"))
        r.op = "GetBucketVersioning";
      else if (req.HasQuery("uploads"))
        r.op = "ListMultipartUploads";
      else if (req.Query("list-type") == "2")
        r.op = "ListObjectsV2";
      else
        r.op = "ListObjects";
    } else {
      return bad_method();
    }
    return r;
  }
  bool upload = req.HasQuery("uploadId");
  bool copy = req.headers.Has("x-amz-copy-source");
  if (m == "PUT") {
    if (req.HasQuery("tagging") || req.HasQuery("acl")) return S3Err("NotImplemented");
    r.op = upload ? (copy ? "UploadPartCopy" : "UploadPart") : (copy ? "CopyObject" : "PutObject");
  } else if (m == "GET") {
    if (req.HasQuery("tagging") || req.HasQuery("acl") || req.HasQuery("attributes")) {
      return S3Err("NotImplemented");
    }
    r.op = upload ? "ListParts" : "GetObject";
  } else if (m == "HEAD") {
    r.op = "HeadObject";
  } else if (m == "DELETE") {
    r.op = upload ? "AbortMultipartUpload" : "DeleteObject";
  } else if (m == "POST") {
    if (req.HasQuery("uploads"))
      r.op = "CreateMultipartUpload";
    else if (upload)
      r.op = "CompleteMultipartUpload";
    else if (req.HasQuery("restore"))
      r.op = "RestoreObject";
    else
      return bad_method();
  } else {
    return bad_method();
  }
  return r;
}

}  // namespace thaw::sim
