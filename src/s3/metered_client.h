// An S3Client that counts and times the calls it forwards to another one, for /metrics:
// requests, errors and a latency histogram per S3 operation, and the bytes GetObject returned.
// `thaw serve` and `thaw mount` wrap their client in one, so both export the same names:
//   thaw_s3_requests_total{operation="GetObject"}            calls (retries inside one call count
//   once) thaw_s3_request_errors_total{operation="GetObject"}      calls that returned an error
//   thaw_s3_request_duration_seconds{operation="GetObject"}  histogram, retries included
//   thaw_s3_downloaded_bytes_total                           GetObject body bytes
//
// Thread safety: as thread-safe as the wrapped client; the counters are atomic.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>

#include "common/clock.h"
#include "common/metrics.h"
#include "s3/client.h"

namespace thaw::s3 {

class ClientMetrics {
 public:
  enum Operation {
    kListObjectsV2,
    kHeadObject,
    kGetObject,
    kPutObject,
    kDeleteObject,
    kCreateBucket,
    kHeadBucket,
    kRestoreObject,
    kCreateMultipartUpload,
    kUploadPart,
    kCompleteMultipartUpload,
    kAbortMultipartUpload,
    kOperationCount,
  };

  ClientMetrics();
  void Record(Operation op, bool ok, Clock::Duration took);
  void AddDownloaded(uint64_t bytes) { downloaded_bytes_.fetch_add(bytes); }
  uint64_t requests(Operation op) const { return requests_[op].load(); }
  // The text-format families above; operations never called are left out.
  void AppendTo(std::string& out) const;

 private:
  std::array<std::atomic<uint64_t>, kOperationCount> requests_{};
  std::array<std::atomic<uint64_t>, kOperationCount> errors_{};
  std::array<std::unique_ptr<Histogram>, kOperationCount> durations_;
  std::atomic<uint64_t> downloaded_bytes_{0};
};

// `inner` and `metrics` must outlive the returned client.
std::unique_ptr<S3Client> MakeMeteredClient(S3Client& inner, ClientMetrics& metrics,
                                            Clock& clock = Clock::Real());

}  // namespace thaw::s3
