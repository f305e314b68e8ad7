// In-memory S3 with archive tiers and restores on an injected clock (see mock_client.h).
#include "s3/mock_client.h"

#include <openssl/evp.h>

#include <algorithm>

#include "common/strings.h"
#include "s3/error.h"

namespace thaw::s3 {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

std::string Md5Etag(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  return "\"" + HexEncode(std::string_view(reinterpret_cast<char*>(digest), len)) + "\"";
}

Status ServiceError(int http_status, const std::string& code, const std::string& message,
                    std::string_view operation, const std::string& resource) {
  HttpResponse resp;
  resp.status = http_status;
  resp.headers.Set("x-amz-request-id", "MOCKREQUEST");
  resp.body = "<Error><Code>" + code + "</Code><Message>" + message +
              "</Message><RequestId>MOCKREQUEST</RequestId></Error>";
  return ErrorFromResponse(resp, operation, resource);
}

std::string_view OperationName(Operation op) {
  switch (op) {
    case Operation::kList:
      return "ListObjectsV2";
    case Operation::kHead:
      return "HeadObject";
    case Operation::kGet:
      return "GetObject";
    case Operation::kPut:
      return "PutObject";
    case Operation::kDelete:
      return "DeleteObject";
    case Operation::kCreateBucket:
      return "CreateBucket";
    case Operation::kHeadBucket:
      return "HeadBucket";
    case Operation::kRestore:
      return "RestoreObject";
    case Operation::kCreateMultipartUpload:
      return "CreateMultipartUpload";
    case Operation::kUploadPart:
      return "UploadPart";
    case Operation::kCompleteMultipartUpload:
      return "CompleteMultipartUpload";
    case Operation::kAbortMultipartUpload:
      return "AbortMultipartUpload";
  }
  return "?";
}

// "0a1b..." -> bytes (an ETag's hex digest; the mock made it, so it is well formed).
std::string HexBytes(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return out;
}

// The bytes of a request body (a reader is drained).
Result<std::string> BodyBytes(const HttpBody& body, std::string_view operation,
                              const std::string& resource) {
  if (!body.has_reader()) return body.data;
  if (body.rewind && !body.rewind()) {
    return Status::Internal(std::string(operation) + " " + resource + ": cannot rewind the body");
  }
  std::string data(body.size, '\0');
  uint64_t off = 0;
  while (off < body.size) {
    int64_t n = body.reader(data.data() + off, body.size - off);
    if (n <= 0) return Status::DataLoss(std::string(operation) + " " + resource + ": short body");
    off += static_cast<uint64_t>(n);
  }
  return data;
}

// S3 keeps a restored copy for Days, rounded up to the next 00:00 UTC.
Clock::TimePoint ExpiryAfter(Clock::TimePoint from, int days) {
  auto t = from + hours(24 * days);
  auto midnight = std::chrono::floor<std::chrono::days>(t);
  return midnight == t ? t : midnight + std::chrono::days(1);
}

}  // namespace

MockS3Client::MockS3Client(Clock& clock) : clock_(clock) {
  SetRestoreDuration(kGlacier, RestoreTier::kExpedited, minutes(3));
  SetRestoreDuration(kGlacier, RestoreTier::kStandard, hours(4));
  SetRestoreDuration(kGlacier, RestoreTier::kBulk, hours(8));
  SetRestoreDuration(kDeepArchive, RestoreTier::kStandard, hours(12));
  SetRestoreDuration(kDeepArchive, RestoreTier::kBulk, hours(48));
  SetRestoreDuration(kArchiveAccess, RestoreTier::kExpedited, minutes(3));
  SetRestoreDuration(kArchiveAccess, RestoreTier::kStandard, hours(4));
  SetRestoreDuration(kArchiveAccess, RestoreTier::kBulk, hours(8));
  SetRestoreDuration(kDeepArchiveAccess, RestoreTier::kStandard, hours(12));
  SetRestoreDuration(kDeepArchiveAccess, RestoreTier::kBulk, hours(48));
}

void MockS3Client::SetRestoreDuration(std::string_view storage_class, RestoreTier tier,
                                      Clock::Duration d) {
  std::lock_guard<std::mutex> g(mu_);
  durations_[std::string(storage_class) + "/" + std::string(RestoreTierName(tier))] = d;
}

Clock::Duration MockS3Client::RestoreDuration(const Object& o, RestoreTier tier) const {
  std::string cls = o.storage_class == kIntelligentTiering ? o.archive_status : o.storage_class;
  auto it = durations_.find(cls + "/" + std::string(RestoreTierName(tier)));
  return it == durations_.end() ? Clock::Duration(hours(4)) : it->second;
}

void MockS3Client::SetExpeditedUnavailable(bool unavailable) {
  std::lock_guard<std::mutex> g(mu_);
  expedited_unavailable_ = unavailable;
}

void MockS3Client::FailNext(Operation op, int http_status, const std::string& code, int times) {
  std::lock_guard<std::mutex> g(mu_);
  for (int i = 0; i < times; ++i) failures_[op].push_back({http_status, code});
}

void MockS3Client::SetHook(std::function<void(Operation)> hook) {
  std::lock_guard<std::mutex> g(mu_);
  hook_ = std::move(hook);
}

int MockS3Client::Count(Operation op) const {
  std::lock_guard<std::mutex> g(mu_);
  auto it = counts_.find(op);
  return it == counts_.end() ? 0 : it->second;
}

uint64_t MockS3Client::BytesRead() const {
  std::lock_guard<std::mutex> g(mu_);
  return bytes_read_;
}

int MockS3Client::OpenUploads() const {
  std::lock_guard<std::mutex> g(mu_);
  return static_cast<int>(uploads_.size());
}

int MockS3Client::TotalCalls() const {
  std::lock_guard<std::mutex> g(mu_);
  int n = 0;
  for (const auto& [op, c] : counts_) n += c;
  return n;
}

std::vector<RestoreObjectRequest> MockS3Client::RestoreRequests() const {
  std::lock_guard<std::mutex> g(mu_);
  return restore_requests_;
}

void MockS3Client::AddObject(const std::string& bucket, const std::string& key, std::string data,
                             std::string storage_class, std::string archive_status,
                             std::map<std::string, std::string> metadata) {
  std::lock_guard<std::mutex> g(mu_);
  Object o;
  o.etag = Md5Etag(data);
  o.data = std::move(data);
  o.storage_class = std::move(storage_class);
  o.archive_status = std::move(archive_status);
  o.metadata = std::move(metadata);
  o.last_modified = clock_.Now();
  buckets_[bucket][key] = std::move(o);
}

void MockS3Client::CompleteRestore(const std::string& bucket, const std::string& key) {
  std::lock_guard<std::mutex> g(mu_);
  Object* o = Find(bucket, key);
  if (o && o->restore_ready_at && !o->restore_expiry) o->restore_ready_at = clock_.Now();
}

void MockS3Client::ExpireRestore(const std::string& bucket, const std::string& key) {
  std::lock_guard<std::mutex> g(mu_);
  Object* o = Find(bucket, key);
  if (o) {
    o->restore_ready_at.reset();
    o->restore_expiry.reset();
  }
}

Status MockS3Client::Enter(Operation op, const std::string& resource) {
  std::function<void(Operation)> hook;
  {
    std::lock_guard<std::mutex> g(mu_);
    hook = hook_;
  }
  if (hook) hook(op);
  std::lock_guard<std::mutex> g(mu_);
  ++counts_[op];
  auto& queue = failures_[op];
  if (queue.empty()) return Status::Ok();
  Failure f = queue.front();
  queue.pop_front();
  return ServiceError(f.http_status, f.code, "injected failure", OperationName(op), resource);
}

MockS3Client::Object* MockS3Client::Find(const std::string& bucket, const std::string& key) {
  auto b = buckets_.find(bucket);
  if (b == buckets_.end()) return nullptr;
  auto o = b->second.find(key);
  return o == b->second.end() ? nullptr : &o->second;
}

void MockS3Client::Refresh(Object& o) const {
  Clock::TimePoint now = clock_.Now();
  if (o.restore_ready_at && !o.restore_expiry && now >= *o.restore_ready_at) {
    o.restore_expiry = ExpiryAfter(*o.restore_ready_at, o.restore_days);
    if (o.storage_class == kIntelligentTiering) {
      // Intelligent-Tiering restores move the object back to the Frequent Access tier.
      o.archive_status.clear();
      o.restore_ready_at.reset();
      o.restore_expiry.reset();
    }
  }
  if (o.restore_expiry && now >= *o.restore_expiry) {
    o.restore_ready_at.reset();
    o.restore_expiry.reset();
  }
}

ObjectInfo MockS3Client::InfoOf(const std::string& bucket, const std::string& key,
                                Object& o) const {
  Refresh(o);
  ObjectInfo info;
  info.bucket = bucket;
  info.key = key;
  info.size = o.data.size();
  info.etag = o.etag;
  info.last_modified = o.last_modified;
  info.storage_class = o.storage_class;
  info.archive_status = o.archive_status;
  info.metadata = o.metadata;
  info.version_id = o.version_id;
  if (o.restore_expiry) {
    info.restore = {RestoreStatus::State::kRestored, o.restore_expiry};
  } else if (o.restore_ready_at) {
    info.restore = {RestoreStatus::State::kOngoing, std::nullopt};
  }
  if (info.restore.state != RestoreStatus::State::kNone) {
    info.restore_header = FormatRestoreHeader(info.restore);
  }
  return info;
}

Result<ListObjectsPage> MockS3Client::ListObjectsV2(const ListObjectsRequest& r) {
  THAW_RETURN_IF_ERROR(Enter(Operation::kList, "s3://" + r.bucket));
  std::lock_guard<std::mutex> g(mu_);
  auto b = buckets_.find(r.bucket);
  if (b == buckets_.end()) {
    return ServiceError(404, "NoSuchBucket", "The specified bucket does not exist", "ListObjectsV2",
                        "s3://" + r.bucket);
  }
  if (!r.optional_attributes.empty() && !KnownOptionalObjectAttributes(r.optional_attributes)) {
    return ServiceError(400, "InvalidArgument", "Invalid attribute name specified", "ListObjectsV2",
                        "s3://" + r.bucket);
  }
  ListObjectsPage page;
  std::string after = std::max(r.start_after, r.continuation_token);
  int max_keys = r.max_keys > 0 ? r.max_keys : 1000;
  auto it = after.empty() ? b->second.lower_bound(r.prefix) : b->second.upper_bound(after);
  std::string last;
  for (; it != b->second.end(); ++it) {
    const std::string& key = it->first;
    if (!StartsWith(key, r.prefix)) break;
    if (page.key_count >= max_keys) {
      page.is_truncated = true;
      page.next_continuation_token = last;
      break;
    }
    if (!r.delimiter.empty()) {
      size_t pos = key.find(r.delimiter, r.prefix.size());
      if (pos != std::string::npos) {
        std::string cp = key.substr(0, pos + r.delimiter.size());
        if (page.common_prefixes.empty() || page.common_prefixes.back() != cp) {
          page.common_prefixes.push_back(cp);
          ++page.key_count;
        }
        last = key;
        continue;
      }
    }
    Object& o = it->second;
    ObjectInfo info = InfoOf(r.bucket, key, o);
    ObjectSummary s;
    s.key = key;
    s.size = info.size;
    s.etag = info.etag;
    s.last_modified = info.last_modified;
    s.storage_class = info.storage_class;
    if (!r.optional_attributes.empty() && info.restore.state != RestoreStatus::State::kNone) {
      s.restore = info.restore;
    }
    page.objects.push_back(std::move(s));
    ++page.key_count;
    last = key;
  }
  return page;
}

Result<ObjectInfo> MockS3Client::HeadObject(const HeadObjectRequest& r) {
  std::string resource = "s3://" + r.bucket + "/" + r.key;
  THAW_RETURN_IF_ERROR(Enter(Operation::kHead, resource));
  std::lock_guard<std::mutex> g(mu_);
  Object* o = Find(r.bucket, r.key);
  if (!o) return ServiceError(404, "NoSuchKey", "Not Found", "HeadObject", resource);
  return InfoOf(r.bucket, r.key, *o);
}

Result<GetObjectResult> MockS3Client::GetObject(const GetObjectRequest& r) {
  std::string resource = "s3://" + r.bucket + "/" + r.key;
  THAW_RETURN_IF_ERROR(Enter(Operation::kGet, resource));
  std::string body;
  GetObjectResult result;
  {
    std::lock_guard<std::mutex> g(mu_);
    Object* o = Find(r.bucket, r.key);
    if (!o)
      return ServiceError(404, "NoSuchKey", "The specified key does not exist.", "GetObject",
                          resource);
    result.info = InfoOf(r.bucket, r.key, *o);
    if (!result.info.readable()) {
      return ServiceError(403, "InvalidObjectState",
                          "The operation is not valid for the object's storage class", "GetObject",
                          resource);
    }
    if (!r.if_match.empty() && r.if_match != o->etag) {
      return ServiceError(412, "PreconditionFailed",
                          "At least one of the pre-conditions you specified did not hold",
                          "GetObject", resource);
    }
    uint64_t size = o->data.size();
    uint64_t first = 0, last = size == 0 ? 0 : size - 1;
    if (r.range) {
      first = r.range->first;
      if (r.range->last) last = std::min(*r.range->last, size - 1);
      if (first >= size) {
        return ServiceError(416, "InvalidRange", "The requested range is not satisfiable",
                            "GetObject", resource);
      }
      result.total_size = size;
    }
    body = size == 0 ? "" : o->data.substr(first, last - first + 1);
    bytes_read_ += body.size();
  }
  result.info.size = body.size();
  if (r.sink) {
    THAW_RETURN_IF_ERROR(r.sink(body));
  } else {
    result.body = std::move(body);
  }
  return result;
}

Result<PutObjectResult> MockS3Client::PutObject(const PutObjectRequest& r) {
  std::string resource = "s3://" + r.bucket + "/" + r.key;
  THAW_RETURN_IF_ERROR(Enter(Operation::kPut, resource));
  THAW_ASSIGN_OR_RETURN(std::string data, BodyBytes(r.body, "PutObject", resource));
  std::lock_guard<std::mutex> g(mu_);
  if (!buckets_.count(r.bucket)) {
    return ServiceError(404, "NoSuchBucket", "The specified bucket does not exist", "PutObject",
                        resource);
  }
  Object o;
  o.etag = Md5Etag(data);
  o.data = std::move(data);
  o.storage_class = r.storage_class.empty() ? std::string(kStandard) : r.storage_class;
  o.metadata = r.metadata;
  o.last_modified = clock_.Now();
  PutObjectResult out{o.etag, ""};
  buckets_[r.bucket][r.key] = std::move(o);
  return out;
}

Status MockS3Client::DeleteObject(const std::string& bucket, const std::string& key,
                                  const std::string&) {
  THAW_RETURN_IF_ERROR(Enter(Operation::kDelete, "s3://" + bucket + "/" + key));
  std::lock_guard<std::mutex> g(mu_);
  auto b = buckets_.find(bucket);
  if (b != buckets_.end()) b->second.erase(key);
  return Status::Ok();
}

Status MockS3Client::CreateBucket(const std::string& bucket) {
  THAW_RETURN_IF_ERROR(Enter(Operation::kCreateBucket, "s3://" + bucket));
  std::lock_guard<std::mutex> g(mu_);
  buckets_[bucket];
  return Status::Ok();
}

Status MockS3Client::HeadBucket(const std::string& bucket) {
  THAW_RETURN_IF_ERROR(Enter(Operation::kHeadBucket, "s3://" + bucket));
  std::lock_guard<std::mutex> g(mu_);
  if (!buckets_.count(bucket)) {
    return ServiceError(404, "NoSuchBucket", "The specified bucket does not exist", "HeadBucket",
                        "s3://" + bucket);
  }
  return Status::Ok();
}

Result<RestoreOutcome> MockS3Client::RestoreObject(const RestoreObjectRequest& r) {
  std::string resource = "s3://" + r.bucket + "/" + r.key;
  THAW_RETURN_IF_ERROR(Enter(Operation::kRestore, resource));
  std::lock_guard<std::mutex> g(mu_);
  restore_requests_.push_back(r);
  Object* o = Find(r.bucket, r.key);
  if (!o)
    return ServiceError(404, "NoSuchKey", "The specified key does not exist.", "RestoreObject",
                        resource);
  Refresh(*o);
  if (!IsArchived(o->storage_class, o->archive_status) && !o->restore_ready_at) {
    return RestoreOutcome::kNotArchived;
  }
  bool intelligent = o->storage_class == kIntelligentTiering;
  bool deep = o->storage_class == kDeepArchive || o->archive_status == kDeepArchiveAccess;
  if (intelligent && r.days) {
    return ServiceError(400, "InvalidArgument",
                        "Days must not be specified for Intelligent-Tiering archive tiers",
                        "RestoreObject", resource);
  }
  if (!intelligent && (!r.days || *r.days < 1)) {
    return ServiceError(400, "InvalidArgument", "Days must be at least 1", "RestoreObject",
                        resource);
  }
  if (deep && r.tier == RestoreTier::kExpedited) {
    return ServiceError(400, "InvalidArgument",
                        "Expedited retrieval is not available for DEEP_ARCHIVE", "RestoreObject",
                        resource);
  }
  if (r.tier == RestoreTier::kExpedited && expedited_unavailable_) {
    return RestoreOutcome::kExpeditedUnavailable;
  }
  if (o->restore_expiry) {
    o->restore_expiry = ExpiryAfter(clock_.Now(), r.days.value_or(1));
    return RestoreOutcome::kAlreadyRestored;
  }
  if (o->restore_ready_at) return RestoreOutcome::kAlreadyInProgress;
  o->restore_days = r.days.value_or(1);
  o->restore_ready_at = clock_.Now() + RestoreDuration(*o, r.tier);
  return RestoreOutcome::kAccepted;
}

Result<std::string> MockS3Client::CreateMultipartUpload(const CreateMultipartUploadRequest& r) {
  std::string resource = "s3://" + r.bucket + "/" + r.key;
  THAW_RETURN_IF_ERROR(Enter(Operation::kCreateMultipartUpload, resource));
  std::lock_guard<std::mutex> g(mu_);
  if (!buckets_.count(r.bucket)) {
    return ServiceError(404, "NoSuchBucket", "The specified bucket does not exist",
                        "CreateMultipartUpload", resource);
  }
  std::string id = "mock-upload-" + std::to_string(next_upload_++);
  Upload& u = uploads_[id];
  u.bucket = r.bucket;
  u.key = r.key;
  u.storage_class = r.storage_class.empty() ? std::string(kStandard) : r.storage_class;
  u.metadata = r.metadata;
  return id;
}

Result<std::string> MockS3Client::UploadPart(const UploadPartRequest& r) {
  std::string resource = "s3://" + r.bucket + "/" + r.key;
  THAW_RETURN_IF_ERROR(Enter(Operation::kUploadPart, resource));
  THAW_ASSIGN_OR_RETURN(std::string data, BodyBytes(r.body, "UploadPart", resource));
  std::lock_guard<std::mutex> g(mu_);
  auto it = uploads_.find(r.upload_id);
  if (it == uploads_.end() || it->second.bucket != r.bucket || it->second.key != r.key) {
    return ServiceError(404, "NoSuchUpload", "The specified upload does not exist", "UploadPart",
                        resource);
  }
  if (r.part_number < 1 || r.part_number > 10000) {
    return ServiceError(400, "InvalidArgument",
                        "Part number must be an integer between 1 and 10000, inclusive",
                        "UploadPart", resource);
  }
  std::string etag = Md5Etag(data);
  it->second.parts[r.part_number] = {std::move(data), etag};
  return etag;
}

Result<PutObjectResult> MockS3Client::CompleteMultipartUpload(
    const CompleteMultipartUploadRequest& r) {
  constexpr uint64_t kMinPart = 5ull << 20;
  constexpr std::string_view kOp = "CompleteMultipartUpload";
  std::string resource = "s3://" + r.bucket + "/" + r.key;
  THAW_RETURN_IF_ERROR(Enter(Operation::kCompleteMultipartUpload, resource));
  std::lock_guard<std::mutex> g(mu_);
  auto it = uploads_.find(r.upload_id);
  if (it == uploads_.end() || it->second.bucket != r.bucket || it->second.key != r.key) {
    return ServiceError(404, "NoSuchUpload", "The specified upload does not exist", kOp, resource);
  }
  Upload& u = it->second;
  if (r.parts.empty()) {
    return ServiceError(400, "MalformedXML", "You must specify at least one part", kOp, resource);
  }
  std::string data;
  std::string md5s;
  int previous = 0;
  for (size_t i = 0; i < r.parts.size(); ++i) {
    const CompletedPart& p = r.parts[i];
    if (p.part_number <= previous) {
      return ServiceError(400, "InvalidPartOrder", "The list of parts was not in ascending order",
                          kOp, resource);
    }
    previous = p.part_number;
    auto part = u.parts.find(p.part_number);
    if (part == u.parts.end() || part->second.second != p.etag) {
      return ServiceError(400, "InvalidPart",
                          "One or more of the specified parts could not be found", kOp, resource);
    }
    if (i + 1 < r.parts.size() && part->second.first.size() < kMinPart) {
      return ServiceError(400, "EntityTooSmall",
                          "Your proposed upload is smaller than the minimum allowed size", kOp,
                          resource);
    }
    data += part->second.first;
    const std::string& etag = part->second.second;
    md5s += HexBytes(std::string_view(etag).substr(1, etag.size() - 2));
  }
  Object o;
  o.etag = Md5Etag(md5s);
  o.etag.insert(o.etag.size() - 1, "-" + std::to_string(r.parts.size()));
  o.data = std::move(data);
  o.storage_class = u.storage_class;
  o.metadata = u.metadata;
  o.last_modified = clock_.Now();
  PutObjectResult out{o.etag, ""};
  buckets_[r.bucket][r.key] = std::move(o);
  uploads_.erase(it);
  return out;
}

Status MockS3Client::AbortMultipartUpload(const std::string& bucket, const std::string& key,
                                          const std::string& upload_id) {
  std::string resource = "s3://" + bucket + "/" + key;
  THAW_RETURN_IF_ERROR(Enter(Operation::kAbortMultipartUpload, resource));
  std::lock_guard<std::mutex> g(mu_);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.bucket != bucket || it->second.key != key) {
    return ServiceError(404, "NoSuchUpload", "The specified upload does not exist",
                        "AbortMultipartUpload", resource);
  }
  uploads_.erase(it);
  return Status::Ok();
}

}  // namespace thaw::s3
