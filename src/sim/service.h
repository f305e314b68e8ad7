// Service: the S3 API of thaw sim, independent of HTTP plumbing. The server hands it a
// request in two steps so that upload bodies can stream straight to disk:
//   Begin(): route, authenticate, roll the fault dice; answers early on error, or says where
//            the body goes (an UploadSink for PutObject/UploadPart, memory for small XML bodies);
//   Finish(): runs the operation once the body is in and returns the response.
// Operations live in bucket_ops.cc, object_ops.cc, multipart_ops.cc and restore_ops.cc.
//
// Thread safety: Begin/Finish may run concurrently on many threads; shared state is the Store
// (internally locked), the FaultInjector (locked) and the restore RNG (guarded by rng_mu_).
#pragma once

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"
#include "sim/auth.h"
#include "sim/events_out.h"
#include "sim/faults.h"
#include "sim/inventory.h"
#include "sim/lifecycle.h"
#include "sim/request.h"
#include "sim/s3control_jobs.h"
#include "sim/scaled_clock.h"
#include "sim/store.h"
#include "sim/sts_sessions.h"

namespace thaw::sim {

// One request in flight between Begin() and Finish().
struct Call {
  Request req;
  Route route;
  std::string request_id;
  FaultPlan faults;
  AuthResult auth;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  Clock::TimePoint sim_start{};      // the sim clock when the request arrived
  std::optional<Response> early;     // answer now (the body was not read)
  std::unique_ptr<UploadSink> sink;  // stream the body here; null: read it into req.body
  uint64_t body_limit = 0;           // the most req.body may hold (the server enforces it)
};

// One page of ListObjectVersions (versioning_ops.cc).
struct VersionPage {
  std::vector<ObjectRecord> versions;  // versions and delete markers
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_marker;  // "" when the page ends with a common prefix
};

// S3's limit on the length of an object key, in bytes of UTF-8 (400 KeyTooLongError above).
inline constexpr size_t kMaxKeyBytes = 1024;

class Service : public JobHost {
 public:
  Service(Store& store, ScaledClock& sim_clock, Authenticator& auth, FaultInjector& faults,
          std::string region);

  std::unique_ptr<Call> Begin(Request req);
  Response Finish(Call& call);
  // Loads the persisted lifecycle configurations (once, before serving).
  Status LoadLifecycles();
  // Background sweep (the server runs it every second): applies due lifecycle transitions and
  // completes/expires restores of every object concerned, so that state changes (and their
  // events) happen on the scaled clock even when nobody reads the objects.
  Status Sweep();

  // The account the S3 Control job API and STS answer for (SimOptions::account_id), which also
  // owns every bucket (x-amz-expected-bucket-owner). Set before serving.
  void SetAccountId(const std::string& account_id);

  // JobHost (s3control_ops.cc): what Batch Operations jobs do to objects.
  Result<std::pair<std::string, std::string>> ReadObjectForJob(const std::string& bucket,
                                                               const std::string& key) override;
  Status WriteObjectForJob(const std::string& bucket, const std::string& key,
                           const std::string& data, const std::string& content_type) override;
  Status RestoreForJob(const std::string& bucket, const std::string& key,
                       const RestoreParams& params) override;

  // Where request records and restore events go (null: nowhere). Not owned.
  void SetEvents(EventWriter* events) { events_ = events; }
  // The STS endpoint's sessions (null: no STS, requests to it are refused). Not owned; the
  // Authenticator must accept the same sessions.
  void SetSts(StsSessions* sessions) { sts_ = sessions; }

  // Probability that an Expedited restore answers 503 GlacierExpeditedRetrievalNotAvailable.
  void SetExpeditedUnavailableRate(double rate) { expedited_unavailable_ = rate; }
  // Renders an error for `call` (also used by the server when reading the body fails).
  Response ErrorResponse(const Call& call, const Status& status);

 private:
  Result<Response> Dispatch(Call& call);
  Result<Response> Admin(Call& call);

  // bucket_ops.cc
  Result<Response> ListBuckets(Call& call);
  Result<Response> CreateBucket(Call& call);
  Result<Response> HeadBucket(Call& call);
  Result<Response> DeleteBucket(Call& call);
  Result<Response> GetBucketLocation(Call& call);
  Result<Response> ListObjects(Call& call, bool v2);
  Result<Response> ListMultipartUploads(Call& call);

  // object_ops.cc
  Result<Response> PutObject(Call& call);
  Result<Response> GetObject(Call& call, bool head);
  Result<Response> DeleteObject(Call& call);
  Result<Response> DeleteObjects(Call& call);
  Result<Response> CopyObject(Call& call);

  // multipart_ops.cc
  Result<Response> CreateMultipartUpload(Call& call);
  Result<Response> UploadPart(Call& call);
  Result<Response> UploadPartCopy(Call& call);
  Result<Response> CompleteMultipartUpload(Call& call);
  Result<Response> AbortMultipartUpload(Call& call);
  Result<Response> ListParts(Call& call);

  // restore_ops.cc
  Result<Response> RestoreObject(Call& call);
  // RestoreObject's effect on one object (serialized, persisted, Post event on a 202).
  Result<RestoreAnswer> ApplyRestore(const std::string& bucket, const std::string& key,
                                     const RestoreParams& params, const std::string& request_id,
                                     const std::string& version_id = "");

  // s3control_ops.cc: S3 Control's job API.
  Result<Response> ControlPlane(Call& call);

  // region_check.cc: S3's answers to a request signed for another region than its bucket's,
  // and the region a CreateBucket asks for.
  Status CheckBucketRegion(const Call& call);
  Result<std::string> CreateBucketRegion(const Call& call);
  // The bucket's region, "" when there is no such bucket.
  std::string BucketRegion(const std::string& bucket);

  // request_payment.cc: requester-pays buckets (PUT/GET ?requestPayment). The sim has one
  // identity, so every caller is treated as someone else's: a request to a requester-pays
  // bucket without x-amz-request-payer: requester is 403 AccessDenied.
  Result<Response> PutBucketRequestPayment(Call& call);
  Result<Response> GetBucketRequestPayment(Call& call);
  Status CheckRequestPayer(const Call& call);
  void ForgetRequestPayment(const std::string& bucket);
  // sts_ops.cc: the STS Query API (AssumeRole, AssumeRoleWithWebIdentity, GetCallerIdentity).
  Result<Response> Sts(Call& call);
  // attributes_ops.cc
  Result<Response> GetObjectAttributes(Call& call);
  // bucket_owner.cc: x-amz-expected-bucket-owner (and x-amz-source-expected-bucket-owner of a
  // copy) naming another account than the sim's is 403 AccessDenied, as S3 answers it.
  Status CheckExpectedOwner(const Call& call);

  // versioning_ops.cc
  Result<Response> PutBucketVersioning(Call& call);
  Result<Response> GetBucketVersioning(Call& call);
  Result<Response> ListObjectVersions(Call& call);
  Result<VersionPage> PageVersions(const std::string& bucket, const std::string& prefix,
                                   const std::string& delimiter, const std::string& key_marker,
                                   const std::string& version_marker, int max_keys);

  // lifecycle_ops.cc
  Result<Response> PutBucketLifecycle(Call& call);
  Result<Response> GetBucketLifecycle(Call& call);
  Result<Response> DeleteBucketLifecycle(Call& call);
  // Applies a due lifecycle transition to `rec`; true when it changed (the caller persists).
  bool ApplyLifecycle(ObjectRecord& rec);
  // Applies the due NoncurrentVersionTransitions / NoncurrentVersionExpirations of `bucket`'s
  // rules to its noncurrent versions (called by Sweep), persisted.
  Status ApplyNoncurrentLifecycle(const std::string& bucket);

  // inventory_ops.cc
  Result<Response> PutBucketInventory(Call& call);
  Result<Response> GetBucketInventory(Call& call);  // Get (?id=) and List (no id)
  Result<Response> DeleteBucketInventory(Call& call);
  // Writes the reports that are due (called by Sweep).
  Status RunInventories();
  Status WriteInventoryReport(const std::string& source, const InventoryConfig& config);
  // Stores `data` as an object written by S3 itself (inventory reports).
  Status PutInternalObject(const std::string& bucket, const std::string& key,
                           const std::string& data, const std::string& content_type);

  // Shared helpers (service.cc).
  // Advances rec's archive state to now (restore completion/expiry, lifecycle), posting the
  // restore events of the change; true when rec changed (the caller persists it).
  bool Advance(ObjectRecord& rec);
  void PostRestoreEvent(RestoreEventRecord::Kind kind, const ObjectRecord& rec,
                        Clock::TimePoint when, const std::string& request_id);
  void PostApiCall(const Call& call, const Response& resp);
  // Sets x-thaw-time-scale on every answer, errors included.
  void AnnounceTimeScale(Response& resp) const;
  Status CheckBucket(const std::string& bucket);  // NoSuchBucket
  // The object with its archive state advanced to now (persisted when it changed): the current
  // version, or the one named by `version_id` ("null" for the null version). NoSuchKey,
  // NoSuchVersion; a delete marker named by id is MethodNotAllowed, as in S3.
  Result<ObjectRecord> LoadObject(const std::string& bucket, const std::string& key,
                                  const std::string& version_id = "");
  // Content-Type, user metadata, stored headers, storage class and archive tier from a
  // PutObject / CreateMultipartUpload / CopyObject(REPLACE) request.
  Result<ObjectRecord> ObjectFromHeaders(const Request& req, const std::string& bucket,
                                         const std::string& key);
  // Object headers of GET/HEAD (ETag, Last-Modified, class, restore state, metadata).
  void AddObjectHeaders(const ObjectRecord& rec, const Request& req, Response& resp);
  // If-None-Match / If-Match of PutObject and CompleteMultipartUpload against the current
  // object. A failing condition is 409 ConditionalRequestConflict instead of 412 when the
  // object was written after `since` (while this request, or this multipart upload, was in
  // flight), as S3 answers the loser of a race. Callers hold KeyLock from this check through
  // their write, so two conditional writers never both pass.
  Status CheckConditionalWrite(const Call& call, Clock::TimePoint since);
  // Serializes writes of one key (striped): a conditional check and its write are one step.
  std::mutex& KeyLock(const std::string& bucket, const std::string& key);
  // The source object of CopyObject / UploadPartCopy (x-amz-copy-source), readable.
  Result<ObjectRecord> LoadCopySource(const Request& req);

  Store& store_;
  ScaledClock& clock_;
  Authenticator& auth_;
  FaultInjector& faults_;
  std::string region_;
  std::mutex rng_mu_;  // guards rng_
  std::mt19937_64 rng_;
  std::atomic<double> expedited_unavailable_{0.0};
  EventWriter* events_ = nullptr;
  StsSessions* sts_ = nullptr;
  // Parsed lifecycle rules per bucket; any_lifecycle_ keeps reads lock-free when there are none.
  std::mutex lifecycle_mu_;
  std::map<std::string, std::shared_ptr<const std::vector<LifecycleRule>>> lifecycles_;
  std::atomic<bool> any_lifecycle_{false};
  // Requester-pays buckets (in memory: a restarted sim forgets them).
  std::mutex payer_mu_;
  std::set<std::string> requester_pays_;  // guarded by payer_mu_
  // Inventory configurations per bucket and id (in memory only).
  std::mutex inventory_mu_;
  std::map<std::string, std::map<std::string, InventoryConfig>> inventories_;
  // Declared last: its runner thread calls back into this Service, so it stops first.
  std::unique_ptr<BatchJobs> jobs_;
  std::string account_id_;  // owner of every bucket (SetAccountId)
  std::array<std::mutex, 64> key_locks_;
};

// "available" -> 0, "unavailable" -> 1, "0.25" -> 0.25; InvalidArgument otherwise.
Result<double> ParseExpeditedSetting(std::string_view s);

// The time scale as the x-thaw-time-scale header writes it ("36000", "0.5").
std::string FormatTimeScale(double scale);

// Validates a storage class name (InvalidStorageClass otherwise).
Status ValidateStorageClass(const std::string& storage_class);
// A version id of this sim's form (32 hex digits) or "null".
bool ValidVersionId(const std::string& id);
// "\"<hex md5>\"" for a raw MD5.
std::string QuotedEtag(const std::string& md5_raw);

}  // namespace thaw::sim
