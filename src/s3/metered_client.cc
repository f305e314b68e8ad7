// The counting S3Client decorator (see metered_client.h).
#include "s3/metered_client.h"

#include <iterator>

namespace thaw::s3 {
namespace {

constexpr const char* kOperationNames[] = {"ListObjectsV2",
                                           "HeadObject",
                                           "GetObject",
                                           "PutObject",
                                           "DeleteObject",
                                           "CreateBucket",
                                           "HeadBucket",
                                           "RestoreObject",
                                           "CreateMultipartUpload",
                                           "UploadPart",
                                           "CompleteMultipartUpload",
                                           "AbortMultipartUpload"};
static_assert(std::size(kOperationNames) == ClientMetrics::kOperationCount);

bool IsOk(const Status& s) {
  return s.ok();
}
template <typename T>
bool IsOk(const Result<T>& r) {
  return r.ok();
}

class MeteredClient : public S3Client {
 public:
  MeteredClient(S3Client& inner, ClientMetrics& metrics, Clock& clock)
      : inner_(inner), metrics_(metrics), clock_(clock) {}

  Result<ListObjectsPage> ListObjectsV2(const ListObjectsRequest& r) override {
    return Timed(ClientMetrics::kListObjectsV2, [&] { return inner_.ListObjectsV2(r); });
  }
  Result<ObjectInfo> HeadObject(const HeadObjectRequest& r) override {
    return Timed(ClientMetrics::kHeadObject, [&] { return inner_.HeadObject(r); });
  }
  Result<GetObjectResult> GetObject(const GetObjectRequest& r) override {
    auto got = Timed(ClientMetrics::kGetObject, [&] { return inner_.GetObject(r); });
    if (got.ok()) metrics_.AddDownloaded(got->info.size);
    return got;
  }
  Result<PutObjectResult> PutObject(const PutObjectRequest& r) override {
    return Timed(ClientMetrics::kPutObject, [&] { return inner_.PutObject(r); });
  }
  Status DeleteObject(const std::string& bucket, const std::string& key,
                      const std::string& version_id) override {
    return Timed(ClientMetrics::kDeleteObject,
                 [&] { return inner_.DeleteObject(bucket, key, version_id); });
  }
  Status CreateBucket(const std::string& bucket) override {
    return Timed(ClientMetrics::kCreateBucket, [&] { return inner_.CreateBucket(bucket); });
  }
  Status HeadBucket(const std::string& bucket) override {
    return Timed(ClientMetrics::kHeadBucket, [&] { return inner_.HeadBucket(bucket); });
  }
  Result<RestoreOutcome> RestoreObject(const RestoreObjectRequest& r) override {
    return Timed(ClientMetrics::kRestoreObject, [&] { return inner_.RestoreObject(r); });
  }
  void RestoreObjectAsync(const RestoreObjectRequest& r, RestoreObjectCallback done) override {
    Clock::TimePoint start = clock_.Now();
    inner_.RestoreObjectAsync(
        r, [this, start, done = std::move(done)](Result<RestoreOutcome> outcome) {
          metrics_.Record(ClientMetrics::kRestoreObject, outcome.ok(), clock_.Now() - start);
          done(std::move(outcome));
        });
  }
  Result<std::string> CreateMultipartUpload(const CreateMultipartUploadRequest& r) override {
    return Timed(ClientMetrics::kCreateMultipartUpload,
                 [&] { return inner_.CreateMultipartUpload(r); });
  }
  Result<std::string> UploadPart(const UploadPartRequest& r) override {
    return Timed(ClientMetrics::kUploadPart, [&] { return inner_.UploadPart(r); });
  }
  Result<PutObjectResult> CompleteMultipartUpload(
      const CompleteMultipartUploadRequest& r) override {
    return Timed(ClientMetrics::kCompleteMultipartUpload,
                 [&] { return inner_.CompleteMultipartUpload(r); });
  }
  Status AbortMultipartUpload(const std::string& bucket, const std::string& key,
                              const std::string& upload_id) override {
    return Timed(ClientMetrics::kAbortMultipartUpload,
                 [&] { return inner_.AbortMultipartUpload(bucket, key, upload_id); });
  }

 private:
  template <typename F>
  auto Timed(ClientMetrics::Operation op, F&& call) -> decltype(call()) {
    Clock::TimePoint start = clock_.Now();
    auto result = call();
    metrics_.Record(op, IsOk(result), clock_.Now() - start);
    return result;
  }

  S3Client& inner_;
  ClientMetrics& metrics_;
  Clock& clock_;
};

}  // namespace

ClientMetrics::ClientMetrics() {
  for (auto& h : durations_) h = std::make_unique<Histogram>(Histogram::LatencyBounds());
}

void ClientMetrics::Record(Operation op, bool ok, Clock::Duration took) {
  requests_[op].fetch_add(1, std::memory_order_relaxed);
  if (!ok) errors_[op].fetch_add(1, std::memory_order_relaxed);
  durations_[op]->Observe(std::chrono::duration<double>(took).count());
}

void ClientMetrics::AppendTo(std::string& out) const {
  auto label = [](int op) { return std::string("operation=\"") + kOperationNames[op] + "\""; };
  AppendMetricHeader(out, "thaw_s3_requests_total", "counter",
                     "S3 calls by operation (retries inside one call count once)");
  for (int op = 0; op < kOperationCount; ++op) {
    if (requests_[op].load())
      AppendSample(out, "thaw_s3_requests_total", label(op), requests_[op].load());
  }
  AppendMetricHeader(out, "thaw_s3_request_errors_total", "counter",
                     "S3 calls that returned an error after their retries");
  for (int op = 0; op < kOperationCount; ++op) {
    if (requests_[op].load()) {
      AppendSample(out, "thaw_s3_request_errors_total", label(op), errors_[op].load());
    }
  }
  AppendMetricHeader(out, "thaw_s3_request_duration_seconds", "histogram",
                     "time of an S3 call, retries included");
  for (int op = 0; op < kOperationCount; ++op) {
    if (requests_[op].load()) {
      durations_[op]->AppendSamples(out, "thaw_s3_request_duration_seconds", label(op));
    }
  }
  AppendMetric(out, "thaw_s3_downloaded_bytes_total", "counter", "GetObject body bytes received",
               static_cast<double>(downloaded_bytes_.load()));
}

std::unique_ptr<S3Client> MakeMeteredClient(S3Client& inner, ClientMetrics& metrics, Clock& clock) {
  return std::make_unique<MeteredClient>(inner, metrics, clock);
}

}  // namespace thaw::s3
