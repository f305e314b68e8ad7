// MockS3Client: an in-memory S3 for tests of the layers above the client (restore engine, file
// system, event handling). It keeps objects with storage class, archive tier and restore state
// on an injected Clock, so a 12-hour Deep Archive restore completes when the test advances a
// FakeClock. It counts calls per operation ("one RestoreObject, not two") and can be told to
// fail calls on purpose.
//
// Errors are produced through the same mapping as the real client (ErrorFromResponse on S3's
// XML error bodies), so callers see identical Status values.
//
// Thread-safe.
#pragma once

#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <mutex>

#include "common/clock.h"
#include "s3/client.h"

namespace thaw::s3 {

enum class Operation {
  kList,
  kHead,
  kGet,
  kPut,
  kDelete,
  kCreateBucket,
  kHeadBucket,
  kRestore,
  kCreateMultipartUpload,
  kUploadPart,
  kCompleteMultipartUpload,
  kAbortMultipartUpload,
};

class MockS3Client : public S3Client {
 public:
  explicit MockS3Client(Clock& clock);

  // --- S3Client ---
  Result<ListObjectsPage> ListObjectsV2(const ListObjectsRequest& request) override;
  Result<ObjectInfo> HeadObject(const HeadObjectRequest& request) override;
  Result<GetObjectResult> GetObject(const GetObjectRequest& request) override;
  Result<PutObjectResult> PutObject(const PutObjectRequest& request) override;
  Status DeleteObject(const std::string& bucket, const std::string& key,
                      const std::string& version_id) override;
  Status CreateBucket(const std::string& bucket) override;
  Status HeadBucket(const std::string& bucket) override;
  Result<RestoreOutcome> RestoreObject(const RestoreObjectRequest& request) override;
  // Multipart uploads as S3 checks them: parts but the last at least 5 MiB, ascending part
  // numbers, ETags that match; the object's ETag in the multipart "-N" form.
  Result<std::string> CreateMultipartUpload(const CreateMultipartUploadRequest& request) override;
  Result<std::string> UploadPart(const UploadPartRequest& request) override;
  Result<PutObjectResult> CompleteMultipartUpload(
      const CompleteMultipartUploadRequest& request) override;
  Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id) override;
  double EndpointTimeScale() const override { return time_scale_; }

  // --- test setup ---
  // What EndpointTimeScale reports, as a `thaw sim --time-scale` endpoint would announce it.
  void SetEndpointTimeScale(double scale) { time_scale_ = scale; }
  // Stores an object directly (no counters). Creates the bucket if needed.
  void AddObject(const std::string& bucket, const std::string& key, std::string data,
                 std::string storage_class = "STANDARD", std::string archive_status = "",
                 std::map<std::string, std::string> metadata = {});
  // How long a restore takes for a class and tier (default: the facts doc's typical times:
  // GLACIER Expedited 3 min, Standard 4 h, Bulk 8 h; DEEP_ARCHIVE Standard 12 h, Bulk 48 h).
  void SetRestoreDuration(std::string_view storage_class, RestoreTier tier, Clock::Duration d);
  // Expedited requests answer 503 GlacierExpeditedRetrievalNotAvailable while set.
  void SetExpeditedUnavailable(bool unavailable);
  // The next `times` calls of `op` fail with an S3 error answer (e.g. 503 "SlowDown").
  void FailNext(Operation op, int http_status, const std::string& code, int times = 1);
  // Makes a restore that is in progress complete now (as a completion event would report).
  void CompleteRestore(const std::string& bucket, const std::string& key);
  // Removes a restored copy as if it expired now.
  void ExpireRestore(const std::string& bucket, const std::string& key);
  // Called (outside the lock) at the start of every operation, e.g. to add latency.
  void SetHook(std::function<void(Operation)> hook);

  int Count(Operation op) const;
  int TotalCalls() const;
  // Body bytes GetObject has returned so far.
  uint64_t BytesRead() const;
  // Multipart uploads neither completed nor aborted (their parts would be billed on S3).
  int OpenUploads() const;
  // Every RestoreObject request received, in order.
  std::vector<RestoreObjectRequest> RestoreRequests() const;

 private:
  struct Object {
    std::string data;
    std::string etag;
    std::string storage_class;
    std::string archive_status;
    std::map<std::string, std::string> metadata;
    Clock::TimePoint last_modified;
    std::optional<Clock::TimePoint> restore_ready_at;  // a restore was requested
    std::optional<Clock::TimePoint> restore_expiry;    // set once ready
    int restore_days = 0;
    std::string version_id;
  };
  struct Upload {
    std::string bucket;
    std::string key;
    std::string storage_class;
    std::map<std::string, std::string> metadata;
    std::map<int, std::pair<std::string, std::string>> parts;  // number -> (data, etag)
  };
  struct Failure {
    int http_status;
    std::string code;
  };
  std::atomic<double> time_scale_{1.0};

  Status Enter(Operation op, const std::string& resource);
  void Refresh(Object& o) const;  // applies completion and expiry on clock_.Now()
  ObjectInfo InfoOf(const std::string& bucket, const std::string& key, Object& o) const;
  Object* Find(const std::string& bucket, const std::string& key);
  Clock::Duration RestoreDuration(const Object& o, RestoreTier tier) const;

  Clock& clock_;
  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, std::map<std::string, Object>> buckets_;
  std::map<Operation, int> counts_;
  uint64_t bytes_read_ = 0;
  std::map<Operation, std::deque<Failure>> failures_;
  std::map<std::string, Clock::Duration> durations_;  // "CLASS/Tier"
  bool expedited_unavailable_ = false;
  std::function<void(Operation)> hook_;
  std::vector<RestoreObjectRequest> restore_requests_;
  std::map<std::string, Upload> uploads_;  // by upload id
  int next_upload_ = 1;
};

}  // namespace thaw::s3
