// UploadSink: where a PutObject or UploadPart body goes while it arrives. Bytes are decoded
// (aws-chunked when the request says so), written to a temporary file and digested on the way
// (MD5 for the ETag and Content-MD5, SHA-256 when x-amz-content-sha256 names a hash, and the
// x-amz-checksum-* algorithm the client chose); Finish() verifies every digest the client sent,
// in headers or in aws-chunked trailers. The object never sits in memory.
//
// Thread safety: one sink per request, used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/status.h"
#include "s3/http.h"
#include "sim/aws_chunked.h"
#include "sim/checksums.h"

namespace thaw::sim {

struct UploadSpec {
  std::string temp_path;
  bool aws_chunked = false;
  std::optional<ChunkSigningContext> signing;  // STREAMING-AWS4-HMAC-SHA256-PAYLOAD
  std::optional<uint64_t> decoded_length;      // x-amz-decoded-content-length
  std::string content_md5_b64;                 // Content-MD5
  std::string expected_sha256_hex;             // x-amz-content-sha256 when it is a hash
  std::optional<DigestKind> checksum;          // additional checksum to compute
  std::string checksum_expected_b64;           // from a header; "" when in a trailer or absent
};

// Reads the body-related headers of a request. Errors: InvalidDigest, InvalidRequest.
Result<UploadSpec> UploadSpecFromHeaders(const s3::HttpHeaders& headers, std::string temp_path);

struct UploadResult {
  std::string temp_path;
  uint64_t size_bytes = 0;
  std::string md5;  // raw 16 bytes
  std::optional<DigestKind> checksum;
  std::string checksum_b64;
};

class UploadSink {
 public:
  static Result<std::unique_ptr<UploadSink>> Open(UploadSpec spec);
  ~UploadSink();  // removes the temporary file unless Finish() succeeded
  UploadSink(const UploadSink&) = delete;
  UploadSink& operator=(const UploadSink&) = delete;

  Status Write(std::string_view bytes);
  // Verifies lengths and digests. On success the caller owns the file at result.temp_path.
  Result<UploadResult> Finish();

 private:
  explicit UploadSink(UploadSpec spec, int fd);
  Status WriteDecoded(std::string_view data);

  UploadSpec spec_;
  int fd_ = -1;
  bool kept_ = false;
  uint64_t size_ = 0;
  std::unique_ptr<Digest> md5_;
  std::unique_ptr<Digest> sha256_;
  std::unique_ptr<Digest> checksum_;
  std::unique_ptr<AwsChunkedDecoder> decoder_;
  Status failed_;
};

}  // namespace thaw::sim
