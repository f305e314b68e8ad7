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

#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/status.h"
#include "sim/auth.h"
#include "sim/faults.h"
#include "sim/request.h"
#include "sim/scaled_clock.h"
#include "sim/store.h"

namespace thaw::sim {

// One request in flight between Begin() and Finish().
struct Call {
  Request req;
  Route route;
  std::string request_id;
  FaultPlan faults;
  AuthResult auth;
  std::optional<Response> early;     // answer now (the body was not read)
  std::unique_ptr<UploadSink> sink;  // stream the body here; null: read it into req.body
};

class Service {
 public:
  Service(Store& store, ScaledClock& sim_clock, Authenticator& auth, FaultInjector& faults,
          std::string region);

  std::unique_ptr<Call> Begin(Request req);
  Response Finish(Call& call);
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

  // Shared helpers (service.cc).
  Status CheckBucket(const std::string& bucket);  // NoSuchBucket
  // The object with its archive state advanced to now (persisted when it changed).
  Result<ObjectRecord> LoadObject(const std::string& bucket, const std::string& key);
  // Content-Type, user metadata, stored headers, storage class and archive tier from a
  // PutObject / CreateMultipartUpload / CopyObject(REPLACE) request.
  Result<ObjectRecord> ObjectFromHeaders(const Request& req, const std::string& bucket,
                                         const std::string& key);
  // Object headers of GET/HEAD (ETag, Last-Modified, class, restore state, metadata).
  void AddObjectHeaders(const ObjectRecord& rec, const Request& req, Response& resp);
  // The source object of CopyObject / UploadPartCopy (x-amz-copy-source), readable.
  Result<ObjectRecord> LoadCopySource(const Request& req);

  Store& store_;
  ScaledClock& clock_;
  Authenticator& auth_;
  FaultInjector& faults_;
  std::string region_;
  std::mutex rng_mu_;  // guards rng_
  std::mt19937_64 rng_;
};

// Validates a storage class name (InvalidStorageClass otherwise).
Status ValidateStorageClass(const std::string& storage_class);
// "\"<hex md5>\"" for a raw MD5.
std::string QuotedEtag(const std::string& md5_raw);

}  // namespace thaw::sim
