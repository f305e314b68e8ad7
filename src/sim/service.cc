// Service: request life cycle (Begin/Finish), dispatch to operations, error bodies, the admin
// endpoint, and helpers shared by the operations.
#include "sim/service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>

#include "common/random_id.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "s3/sigv4.h"
#include "sim/checksums.h"
#include "sim/http_conditions.h"
#include "sim/meta_encoding.h"
#include "sim/object_parts.h"
#include "sim/router.h"
#include "sim/s3_error.h"
#include "sim/s3control.h"
#include "sim/xml_writer.h"

namespace thaw::sim {
namespace {

std::string NewRequestId() {
  return RandomChars(16, "0123456789ABCDEF");  // AWS request ids: 16 upper-case hex digits
}

bool StreamsBody(const std::string& op) {
  return op == "PutObject" || op == "UploadPart";
}

// The most a body read into memory (XML, admin text) may hold per operation. AWS documents no
// byte limits for these bodies, only counts (1,000 keys per DeleteObjects, 10,000 parts,
// 1,000 lifecycle rules): the caps hold the largest legal document with room to spare, and
// refuse the rest before it is read, with S3's 400 MaxMessageLengthExceeded.
uint64_t XmlBodyLimit(const std::string& op) {
  constexpr uint64_t kKiB = 1024, kMiB = 1024 * kKiB;
  if (op == "CompleteMultipartUpload") return 4 * kMiB;  // 10,000 parts with checksums ~ 1.6 MB
  if (op == "DeleteObjects") return 2 * kMiB;            // 1,000 keys of up to 1,024 bytes
  if (op == "PutBucketLifecycleConfiguration") return 1 * kMiB;  // 1,000 rules
  if (op == "RestoreObject") return 256 * kKiB;
  return 64 * kKiB;  // admin bodies, and bodies of operations that take none
}

}  // namespace

Status ValidateStorageClass(const std::string& c) {
  for (const char* known :
       {"STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING",
        "GLACIER", "DEEP_ARCHIVE", "OUTPOSTS", "GLACIER_IR", "EXPRESS_ONEZONE", "SNOW"}) {
    if (c == known) return Status::Ok();
  }
  return S3Err("InvalidStorageClass");
}

Result<double> ParseExpeditedSetting(std::string_view s) {
  std::string_view t = Trim(s);
  if (t == "available") return 0.0;
  if (t == "unavailable") return 1.0;
  char* end = nullptr;
  std::string str(t);
  double rate = std::strtod(str.c_str(), &end);
  if (str.empty() || *end != '\0' || !(rate >= 0 && rate <= 1)) {
    return Status::InvalidArgument(
        "expedited must be available, unavailable or a rate in [0,1], "
        "not '" +
        str + "'");
  }
  return rate;
}

std::string FormatTimeScale(double scale) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.10g", scale);
  return buf;
}

bool ValidVersionId(const std::string& id) {
  if (id == "null") return true;
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string QuotedEtag(const std::string& md5_raw) {
  return "\"" + HexEncode(md5_raw) + "\"";
}

Service::Service(Store& store, ScaledClock& sim_clock, Authenticator& auth, FaultInjector& faults,
                 std::string region)
    : store_(store),
      clock_(sim_clock),
      auth_(auth),
      faults_(faults),
      region_(std::move(region)),
      rng_(std::random_device{}()) {
  SetAccountId("123456789012");
}

namespace {

// A request with no signature at all (neither header nor query): an anonymous one.
bool Unsigned(const Request& req) {
  return !req.headers.Has("Authorization") && !req.HasQuery("X-Amz-Signature") &&
         !req.HasQuery("X-Amz-Credential") && !req.HasQuery("Signature");
}

}  // namespace

std::unique_ptr<Call> Service::Begin(Request req) {
  auto call = std::make_unique<Call>();
  call->req = std::move(req);
  call->request_id = NewRequestId();
  call->sim_start = clock_.Now();
  Status s = ParseTarget(call->req);
  if (s.ok()) {
    auto route = RouteRequest(call->req);
    if (route.ok()) call->route = *route;
    s = route.status();
  }
  if (s.ok()) call->body_limit = XmlBodyLimit(call->route.op);
  if (s.ok() && call->route.key.size() > kMaxKeyBytes && call->route.op != "Admin") {
    s = S3Err("KeyTooLongError", "Your key is too long",
              {{"Size", std::to_string(call->route.key.size())},
               {"MaxSizeAllowed", std::to_string(kMaxKeyBytes)}});
  }
  if (s.ok() && !StreamsBody(call->route.op)) {
    // Refused before any body byte is read; chunked bodies are capped while they are read.
    const std::string* length = call->req.headers.Find("Content-Length");
    auto n = length ? ParseUint64(Trim(*length)) : std::nullopt;
    if (n && *n > call->body_limit) {
      s = S3Err("MaxMessageLengthExceeded", "Your request was too big.",
                {{"MaxMessageLengthBytes", std::to_string(call->body_limit)}});
    }
  }
  if (s.ok() && call->route.op != "Admin") {
    call->faults = faults_.Decide(call->route.op);
    if (!call->faults.error.empty()) {
      s = call->faults.status ? S3ErrWithStatus(call->faults.status, call->faults.error)
                              : S3Err(call->faults.error, "Injected fault (thaw sim --faults)");
    }
  }
  if (s.ok()) s = CheckBucketRegion(*call);
  // STS signs the form body without x-amz-content-sha256: verified once the body is in.
  if (s.ok() && call->route.op != "STS") {
    auto auth = auth_.Verify(call->req);
    if (auth.ok()) call->auth = *auth;
    s = auth.status();
    // S3 tells an anonymous caller that a bucket does not exist before refusing it access.
    if (!s.ok() && Unsigned(call->req) && !call->route.bucket.empty() &&
        store_.GetBucket(call->route.bucket).status().IsNotFound()) {
      s = S3Err("NoSuchBucket", "The specified bucket does not exist",
                {{"BucketName", call->route.bucket}});
    }
  }
  if (s.ok()) s = CheckExpectedOwner(*call);
  if (s.ok()) s = CheckRequestPayer(*call);
  if (s.ok() && StreamsBody(call->route.op)) {
    auto spec = UploadSpecFromHeaders(call->req.headers, store_.NewTempPath());
    if (spec.ok()) {
      spec->signing = call->auth.chunk_signing;
      auto sink = UploadSink::Open(std::move(*spec));
      if (sink.ok()) call->sink = std::move(*sink);
      s = sink.status();
    } else {
      s = spec.status();
    }
  }
  if (!s.ok()) {
    call->early = ErrorResponse(*call, s);
    call->early->close = true;  // the body (if any) stays unread
  }
  return call;
}

Response Service::Finish(Call& call) {
  // STS calls are no S3 data events: they stay out of the CloudTrail-style output.
  bool s3_event = events_ && call.route.op != "Admin" && call.route.op != "STS";
  if (call.early) {
    if (s3_event) PostApiCall(call, *call.early);
    return *call.early;
  }
  Result<Response> r = Status::Internal("unreachable");
  if (call.sink) {
    auto upload = call.sink->Finish();
    if (upload.ok()) {
      call.req.upload = std::move(*upload);
      r = Dispatch(call);
    } else {
      r = upload.status();
    }
    call.sink.reset();
  } else {
    std::string md5 = call.req.headers.Get("Content-MD5");
    // A signed hash of the payload binds the body to the signature: without this check a
    // captured admin or DeleteObjects request could be replayed with another body.
    std::string sha256 = ToLower(Trim(call.req.headers.Get("x-amz-content-sha256")));
    if (!md5.empty() && Base64Decode(md5) != DigestOf(DigestKind::kMd5, call.req.body)) {
      r = S3Err("BadDigest");
    } else if (sha256.size() == 64 && sha256 != s3::Sha256Hex(call.req.body)) {
      r = S3Err("XAmzContentSHA256Mismatch");
    } else {
      r = Dispatch(call);
    }
  }
  // An upload the operation did not consume (it failed) is garbage.
  if (call.req.upload) std::remove(call.req.upload->temp_path.c_str());
  Response resp = r.ok() ? std::move(*r) : ErrorResponse(call, r.status());
  resp.headers.Set("x-amz-request-id", call.request_id);
  resp.headers.Set("x-amz-id-2", call.request_id);
  AnnounceTimeScale(resp);
  resp.head = resp.head || call.req.method == "HEAD";
  spdlog::debug("{} {} {}/{} -> {}", call.request_id, call.route.op, call.route.bucket,
                call.route.key, resp.status);
  if (s3_event) PostApiCall(call, resp);
  return resp;
}

void Service::AnnounceTimeScale(Response& resp) const {
  // Clients that know the header (thaw's restore tracker) poll restores on the sim's time
  // instead of AWS's hours; every other client ignores an unknown x- header.
  resp.headers.Set(std::string(s3::kTimeScaleHeader), FormatTimeScale(clock_.scale()));
}

void Service::PostApiCall(const Call& call, const Response& resp) {
  ApiCallRecord r;
  r.op = call.route.op;
  r.bucket = call.route.bucket;
  r.key = call.route.key;
  r.method = call.req.method;
  r.target = call.req.target;
  r.host = call.req.headers.Get("Host");
  r.user_agent = call.req.headers.Get("User-Agent");
  r.remote_ip = call.req.remote_ip;
  r.access_key = call.auth.access_key;
  // Only ids of the sim's own form: the access log line is space-separated.
  if (ValidVersionId(call.req.Query("versionId"))) r.version_id = call.req.Query("versionId");
  r.presigned = call.req.HasQuery("X-Amz-Signature") || call.req.HasQuery("Signature");
  r.status = resp.status;
  r.error_code = resp.error_code;
  r.error_message = resp.error_message;
  r.request_id = call.request_id;
  if (!resp.head) r.bytes_sent = resp.file ? resp.file->length : resp.body.size();
  if (call.req.upload) r.bytes_received = call.req.upload->size_bytes;
  r.object_size = resp.object_size;
  r.total_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - call.start)
                   .count();
  r.time = clock_.Now();
  events_->Post(std::move(r));
}

void Service::PostRestoreEvent(RestoreEventRecord::Kind kind, const ObjectRecord& rec,
                               Clock::TimePoint when, const std::string& request_id) {
  if (!events_) return;
  RestoreEventRecord e;
  e.kind = kind;
  e.bucket = rec.bucket;
  e.key = rec.key;
  e.size = rec.size;
  e.etag = rec.etag;
  e.version_id = rec.version_id;
  e.storage_class =
      rec.archive.archive_status.empty() ? rec.archive.storage_class : rec.archive.archive_status;
  if (kind == RestoreEventRecord::Kind::kCompleted && rec.archive.expiry != Clock::TimePoint{})
    e.expiry = rec.archive.expiry;
  e.request_id = request_id.empty() ? NewRequestId() : request_id;
  e.time = when;
  events_->Post(std::move(e));
}

bool Service::Advance(ObjectRecord& rec) {
  using Kind = RestoreEventRecord::Kind;
  using R = ArchiveState::Restore;
  ArchiveState before = rec.archive;
  bool changed = AdvanceTo(rec.archive, clock_.Now());
  if (changed && events_) {
    // Events carry the times the changes happened on the sim clock, not when we noticed them.
    ObjectRecord was = rec;
    was.archive = before;
    if (before.restore == R::kOngoing) {
      bool intelligent = !before.archive_status.empty();  // moves to the frequent tier: no copy
      was.archive.expiry =
          intelligent ? Clock::TimePoint{} : ExpiryFor(before.ready_at, before.days);
      PostRestoreEvent(Kind::kCompleted, was, before.ready_at, "");
      if (!intelligent && rec.archive.restore == R::kNone) {
        PostRestoreEvent(Kind::kDelete, was, was.archive.expiry, "");
      }
    } else if (before.restore == R::kRestored && rec.archive.restore == R::kNone) {
      PostRestoreEvent(Kind::kDelete, was, before.expiry, "");
    }
  }
  // Transition rules move current versions only (noncurrent ones have rules of their own).
  if (!rec.noncurrent) changed = ApplyLifecycle(rec) || changed;
  return changed;
}

Response Service::ErrorResponse(const Call& call, const Status& status) {
  S3Error e = ToS3Error(status);
  if (e.http_status == 500 && e.code == "InternalError" && !status.detail_as<S3Error>()) {
    spdlog::error("{} {}: {}", call.request_id, call.route.op, status.ToString());
  }
  Response resp;
  resp.status = e.http_status;
  resp.headers.Set("x-amz-request-id", call.request_id);
  resp.headers.Set("x-amz-id-2", call.request_id);
  AnnounceTimeScale(resp);
  resp.error_code = e.code;
  resp.error_message = e.message;
  for (const auto& [name, value] : e.headers) resp.headers.Set(name, value);
  // HeadBucket tells the bucket's region even when it refuses (403, 400, 301), as S3 does.
  if (call.route.op == "HeadBucket" && !resp.headers.Has("x-amz-bucket-region")) {
    if (std::string region = BucketRegion(call.route.bucket); !region.empty()) {
      resp.headers.Set("x-amz-bucket-region", region);
    }
  }
  if (call.req.method == "HEAD") {
    resp.head = true;  // HEAD errors carry no body
    resp.headers.Set("Content-Length", "0");
    return resp;
  }
  resp.headers.Set("Content-Type", "application/xml");
  std::string resource = call.req.path.empty() ? call.req.target : call.req.path;
  resp.body = RenderErrorXml(e, resource, call.request_id);
  resp.error_code = e.code;
  resp.error_message = e.message;
  return resp;
}

Result<Response> Service::Dispatch(Call& call) {
  const std::string& op = call.route.op;
  if (op == "Admin") return Admin(call);
  if (op == "STS") return Sts(call);
  if (IsControlPlaneOp(op)) return ControlPlane(call);
  if (op == "ListBuckets") return ListBuckets(call);
  if (op == "CreateBucket") return CreateBucket(call);
  if (op == "HeadBucket") return HeadBucket(call);
  if (op == "DeleteBucket") return DeleteBucket(call);
  if (op == "GetBucketLocation") return GetBucketLocation(call);
  if (op == "PutBucketRequestPayment") return PutBucketRequestPayment(call);
  if (op == "GetBucketRequestPayment") return GetBucketRequestPayment(call);
  if (op == "GetBucketVersioning") return GetBucketVersioning(call);
  if (op == "PutBucketVersioning") return PutBucketVersioning(call);
  if (op == "ListObjectVersions") return ListObjectVersions(call);
  if (op == "GetObjectAttributes") return GetObjectAttributes(call);
  if (op == "ListObjects") return ListObjects(call, false);
  if (op == "ListObjectsV2") return ListObjects(call, true);
  if (op == "ListMultipartUploads") return ListMultipartUploads(call);
  if (op == "PutObject") return PutObject(call);
  if (op == "GetObject") return GetObject(call, false);
  if (op == "HeadObject") return GetObject(call, true);
  if (op == "DeleteObject") return DeleteObject(call);
  if (op == "DeleteObjects") return DeleteObjects(call);
  if (op == "CopyObject") return CopyObject(call);
  if (op == "CreateMultipartUpload") return CreateMultipartUpload(call);
  if (op == "UploadPart") return UploadPart(call);
  if (op == "UploadPartCopy") return UploadPartCopy(call);
  if (op == "CompleteMultipartUpload") return CompleteMultipartUpload(call);
  if (op == "AbortMultipartUpload") return AbortMultipartUpload(call);
  if (op == "ListParts") return ListParts(call);
  if (op == "RestoreObject") return RestoreObject(call);
  if (op == "PutBucketLifecycleConfiguration") return PutBucketLifecycle(call);
  if (op == "GetBucketLifecycleConfiguration") return GetBucketLifecycle(call);
  if (op == "DeleteBucketLifecycle") return DeleteBucketLifecycle(call);
  if (op == "PutBucketInventoryConfiguration") return PutBucketInventory(call);
  if (op == "GetBucketInventoryConfiguration") return GetBucketInventory(call);
  if (op == "ListBucketInventoryConfigurations") return GetBucketInventory(call);
  if (op == "DeleteBucketInventoryConfiguration") return DeleteBucketInventory(call);
  // Every other operation of S3's API (the router knows them all): say which one, so that a
  // client never mistakes this for another operation's answer.
  std::string how = call.req.method + " " + (call.route.key.empty() ? "/bucket" : "/bucket/key");
  if (!call.route.subresource.empty()) how += "?" + call.route.subresource;
  return S3Err("NotImplemented", op + " (" + how + ") is not implemented by thaw sim");
}

// Admin endpoint. Signed like any S3 request with the sim's credentials (Begin() verifies it),
// unless the sim is --anonymous: whoever can reach the port could otherwise stop every GET or
// jump the clock past every restore.
//   GET /_thaw/faults          current fault spec
//   PUT /_thaw/faults          body = new spec (see faults.h); empty body clears
//   DELETE /_thaw/faults       clears all rules
//   GET /_thaw/time            the sim clock (ISO 8601) and the time scale
//   POST /_thaw/time?advance=D jumps the sim clock forward by D (90s, 48h, 30d)
//   GET /_thaw/expedited       the probability that Expedited restores answer 503
//   PUT /_thaw/expedited       body available | unavailable | rate in [0,1]
//   GET /_thaw/sts             STS calls per action ("AssumeRole 3") and "sessions N" issued
Result<Response> Service::Admin(Call& call) {
  Response r;
  r.headers.Set("Content-Type", "text/plain");
  const std::string& m = call.req.method;
  if (call.route.key == "faults") {
    if (m == "GET") {
      r.body = faults_.spec() + "\n";
      return r;
    }
    if (m == "PUT" || m == "POST" || m == "DELETE") {
      std::string spec = m == "DELETE" ? "" : std::string(Trim(call.req.body));
      Status s = faults_.SetSpec(spec);
      if (!s.ok()) return S3Err("InvalidArgument", s.message());
      spdlog::info("fault rules set to '{}'", spec);
      r.body = spec + "\n";
      return r;
    }
  }
  if (call.route.key == "expedited") {
    if (m == "PUT" || m == "POST") {
      auto rate = ParseExpeditedSetting(call.req.body);
      if (!rate.ok()) return S3Err("InvalidArgument", rate.status().message());
      expedited_unavailable_ = *rate;
      spdlog::info("expedited retrievals unavailable with probability {}", *rate);
    } else if (m != "GET") {
      return S3Err("MethodNotAllowed");
    }
    double rate = expedited_unavailable_;
    r.body = rate == 0 ? "available\n" : rate == 1 ? "unavailable\n" : std::to_string(rate) + "\n";
    return r;
  }
  if (call.route.key == "time" && (m == "POST" || m == "PUT")) {
    auto d = ParseDuration(call.req.Query("advance"));
    if (!d.ok() || d->count() < 0) {
      return S3Err("InvalidArgument", "advance=DURATION (e.g. 90s, 48h, 30d) is required");
    }
    clock_.Advance(std::chrono::duration_cast<Clock::Duration>(*d));
    r.body = FormatIso8601(clock_.Now()) + " scale " + std::to_string(clock_.scale()) + "\n";
    return r;
  }
  if (call.route.key == "sts" && m == "GET") {
    // Calls per STS action and the sessions issued, e.g. to see a client refresh.
    if (sts_ != nullptr) {
      for (const auto& [action, n] : sts_->counts())
        r.body += action + " " + std::to_string(n) + "\n";
      r.body += "sessions " + std::to_string(sts_->size()) + "\n";
    }
    return r;
  }
  if (call.route.key == "time" && m == "GET") {
    r.body = FormatIso8601(clock_.Now()) + " scale " + std::to_string(clock_.scale()) + "\n";
    return r;
  }
  return S3Err("InvalidRequest", "unknown admin request (see thaw sim --help)");
}

Status Service::CheckBucket(const std::string& bucket) {
  auto b = store_.GetBucket(bucket);
  if (b.status().IsNotFound()) return S3Err("NoSuchBucket");
  return b.status();
}

Result<ObjectRecord> Service::LoadObject(const std::string& bucket, const std::string& key,
                                         const std::string& version_id) {
  THAW_RETURN_IF_ERROR(CheckBucket(bucket));
  if (!version_id.empty() && !ValidVersionId(version_id)) {
    return S3Err("InvalidArgument", "Invalid version id specified",
                 {{"ArgumentName", "versionId"}, {"ArgumentValue", version_id}});
  }
  auto rec = version_id.empty() ? store_.GetObject(bucket, key)
                                : store_.GetObjectVersion(bucket, key, version_id);
  if (rec.status().IsNotFound()) {
    if (!version_id.empty()) {
      return S3Err("NoSuchVersion", "The specified version does not exist.",
                   {{"Key", key}, {"VersionId", version_id}});
    }
    return S3Err("NoSuchKey");
  }
  if (!rec.ok()) return rec.status();
  if (rec->delete_marker) return S3Err("MethodNotAllowed");
  if (Advance(*rec)) THAW_RETURN_IF_ERROR(store_.UpdateObject(*rec));
  return rec;
}

Result<ObjectRecord> Service::ObjectFromHeaders(const Request& req, const std::string& bucket,
                                                const std::string& key) {
  ObjectRecord rec;
  rec.bucket = bucket;
  rec.key = key;
  rec.last_modified = clock_.Now();
  rec.content_type = req.headers.Get("Content-Type");
  if (rec.content_type.empty()) rec.content_type = "binary/octet-stream";
  std::string archive_status = req.headers.Get("x-thaw-archive-status");
  if (const std::string* tagging = req.headers.Find("x-amz-tagging")) {
    THAW_RETURN_IF_ERROR(ParseTagging(*tagging).status());
    if (!tagging->empty()) rec.headers["x-amz-tagging"] = *tagging;
  }
  for (const auto& [name, value] : req.headers.entries()) {
    std::string lower = ToLower(name);
    if (StartsWith(lower, "x-amz-meta-")) {
      std::string meta = lower.substr(11);
      // Sim-specific: the Intelligent-Tiering access tier, settable from any client.
      if (meta == "thaw-archive-status")
        archive_status = value;
      else
        rec.user_metadata[meta] = DecodeMetadataValue(value);
    }
    for (const char* h : {"cache-control", "content-disposition", "content-language", "expires"}) {
      if (lower == h) rec.headers[h] = value;
    }
    if (lower == "content-encoding") {
      // aws-chunked is transfer framing, not a property of the object.
      std::string kept;
      for (const std::string& enc : Split(value, ',')) {
        if (Trim(enc) == "aws-chunked" || Trim(enc).empty()) continue;
        kept += (kept.empty() ? "" : ",") + std::string(Trim(enc));
      }
      if (!kept.empty()) rec.headers["content-encoding"] = kept;
    }
  }
  rec.archive.storage_class = req.headers.Get("x-amz-storage-class");
  if (rec.archive.storage_class.empty()) rec.archive.storage_class = "STANDARD";
  THAW_RETURN_IF_ERROR(ValidateStorageClass(rec.archive.storage_class));
  if (!archive_status.empty()) {
    if (rec.archive.storage_class != s3::kIntelligentTiering) {
      return S3Err("InvalidArgument",
                   "an archive status needs the INTELLIGENT_TIERING storage class");
    }
    if (archive_status != s3::kArchiveAccess && archive_status != s3::kDeepArchiveAccess) {
      return S3Err("InvalidArgument",
                   "archive status must be ARCHIVE_ACCESS or DEEP_ARCHIVE_ACCESS");
    }
    rec.archive.archive_status = archive_status;
  }
  return rec;
}

void Service::AddObjectHeaders(const ObjectRecord& rec, const Request& req, Response& resp) {
  resp.headers.Set("ETag", rec.etag);
  resp.headers.Set("Last-Modified", FormatHttpDate(rec.last_modified));
  resp.headers.Set("Content-Type", rec.content_type);
  if (!rec.version_id.empty()) resp.headers.Set("x-amz-version-id", rec.version_id);
  resp.headers.Set("Accept-Ranges", "bytes");
  if (rec.archive.storage_class != s3::kStandard) {
    resp.headers.Set("x-amz-storage-class", rec.archive.storage_class);
  }
  if (!rec.archive.archive_status.empty()) {
    resp.headers.Set("x-amz-archive-status", rec.archive.archive_status);
  }
  if (rec.archive.restore != ArchiveState::Restore::kNone) {
    resp.headers.Set("x-amz-restore", s3::FormatRestoreHeader(ToRestoreStatus(rec.archive)));
  }
  for (const auto& [name, value] : rec.user_metadata) {
    resp.headers.Set("x-amz-meta-" + name, EncodeMetadataValue(value));
  }
  bool checksum_mode = EqualsIgnoreCase(req.headers.Get("x-amz-checksum-mode"), "ENABLED");
  for (const auto& [name, value] : rec.headers) {
    if (IsInternalEntry(name)) continue;
    if (StartsWith(name, "x-amz-checksum-") && !checksum_mode) continue;
    if (name == "x-amz-tagging") {
      auto tags = ParseTagging(value);
      if (tags.ok()) resp.headers.Set("x-amz-tagging-count", std::to_string(tags->size()));
      continue;
    }
    resp.headers.Set(name, value);
  }
}

Result<ObjectRecord> Service::LoadCopySource(const Request& req) {
  std::string source = req.headers.Get("x-amz-copy-source");
  std::string version_id;
  if (size_t q = source.find('?'); q != std::string::npos) {
    std::string query = source.substr(q + 1);
    source.resize(q);
    if (!StartsWith(query, "versionId=")) {
      return S3Err("InvalidArgument", "x-amz-copy-source may only carry ?versionId=");
    }
    auto v = UriDecode(query.substr(10));
    if (!v) return S3Err("InvalidArgument", "bad x-amz-copy-source versionId");
    version_id = *v;
  }
  auto decoded = UriDecode(source);
  if (!decoded) return S3Err("InvalidArgument", "bad x-amz-copy-source");
  std::string_view s = *decoded;
  if (StartsWith(s, "/")) s.remove_prefix(1);
  size_t slash = s.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == s.size()) {
    return S3Err("InvalidArgument", "x-amz-copy-source must name a bucket and a key");
  }
  THAW_ASSIGN_OR_RETURN(ObjectRecord rec, LoadObject(std::string(s.substr(0, slash)),
                                                     std::string(s.substr(slash + 1)), version_id));
  // x-amz-copy-source-if-* are GET's conditions on the source; any that fails is 412.
  s3::HttpHeaders conditions;
  for (const char* h : {"If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since"}) {
    if (const std::string* v = req.headers.Find("x-amz-copy-source-" + ToLower(h))) {
      conditions.Set(h, *v);
    }
  }
  if (EvaluateConditions(conditions, rec.etag, rec.last_modified) != ConditionResult::kProceed) {
    return S3Err("PreconditionFailed");
  }
  if (!rec.archive.readable()) {
    return S3Err("InvalidObjectState",
                 "The source object of the COPY action is not in the active tier and is only "
                 "stored in Amazon S3 Glacier.",
                 {{"StorageClass", rec.archive.storage_class}});
  }
  return rec;
}

}  // namespace thaw::sim
