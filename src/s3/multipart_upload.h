// Uploading one large object from a random-access source (a file) as a multipart upload: the
// part size, parts sent a few at a time in parallel, each streamed from the source while it is
// sent (memory stays at the transport's buffers, whatever the size), and the upload completed
// or, on any failure, aborted so that no parts are left behind (S3 bills them until aborted).
//
// Thread safety: UploadMultipart may run on any thread; it starts and joins its own workers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/status.h"
#include "s3/client.h"

namespace thaw::s3 {

inline constexpr int kMaxParts = 10000;
inline constexpr uint64_t kMinPartSize = 5ull << 20;    // S3: every part but the last
inline constexpr uint64_t kMaxPartSize = 5ull << 30;    // S3
inline constexpr uint64_t kMaxObjectSize = 5ull << 40;  // S3: 5 TiB

// The part size for `total` bytes: at least `min_part_size` (raised to S3's 5 MiB), large
// enough that 10,000 parts cover `total`, rounded up to a whole MiB. kInvalidArgument when
// `total` is over S3's 5 TiB object limit.
Result<uint64_t> ChoosePartSize(uint64_t total, uint64_t min_part_size);

struct MultipartUploadOptions {
  CreateMultipartUploadRequest target;  // bucket, key, storage class, metadata
  uint64_t size = 0;                    // bytes of the source; > 0
  uint64_t part_size = 8ull << 20;      // from ChoosePartSize
  int concurrency = 4;                  // parts in flight at once
  // Reads up to `len` bytes at `offset` of the source into `buf`; returns the count (0 only at
  // the end) or -1 on error. Called from several threads at once.
  std::function<int64_t(uint64_t offset, char* buf, size_t len)> read_at;
};

// Creates the upload, sends every part (with Content-MD5, so S3 checks each one), completes it
// and returns the object's ETag. On failure the upload is aborted and the first error returned
// (with the abort's own failure added if that failed too). A Complete answered NoSuchUpload (a
// retry after an answer lost on the way) counts as done when HEAD shows the ETag these parts make.
Result<PutObjectResult> UploadMultipart(S3Client& client, const MultipartUploadOptions& options);

}  // namespace thaw::s3
