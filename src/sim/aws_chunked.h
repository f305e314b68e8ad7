// Decoder for S3's `Content-Encoding: aws-chunked` request bodies, fed incrementally as bytes
// arrive from the socket:
//   <hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
//   [<trailer name>:<value>\r\n ...]\r\n
// Used with x-amz-content-sha256 STREAMING-UNSIGNED-PAYLOAD-TRAILER (botocore's default over
// HTTPS), STREAMING-AWS4-HMAC-SHA256-PAYLOAD (each chunk signed, chained from the request's
// seed signature) and STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER. Chunk signatures are verified
// when a ChunkSigningContext is given; the trailer signature is not checked.
//
// Thread safety: one decoder per request body, used by one thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "sim/checksums.h"

namespace thaw::sim {

struct ChunkSigningContext {
  std::string signing_key;     // raw DeriveSigningKey output
  std::string amz_date;        // X-Amz-Date of the request
  std::string scope;           // 20130524/us-east-1/s3/aws4_request
  std::string seed_signature;  // the request's Authorization signature (hex)
};

class AwsChunkedDecoder {
 public:
  using Sink = std::function<Status(std::string_view data)>;
  explicit AwsChunkedDecoder(Sink sink, std::optional<ChunkSigningContext> signing = std::nullopt);

  // Decodes `bytes`, passing payload data to the sink. Errors are S3 errors (IncompleteBody,
  // SignatureDoesNotMatch, InvalidRequest for malformed framing).
  Status Feed(std::string_view bytes);
  // Fails unless the final chunk and the trailer section were complete.
  Status Finish() const;

  // Trailing headers, names lower-cased (e.g. {"x-amz-checksum-crc32", "..."}).
  const std::vector<std::pair<std::string, std::string>>& trailers() const { return trailers_; }
  uint64_t decoded_bytes() const { return decoded_bytes_; }

 private:
  enum class State { kSizeLine, kData, kDataCrlf, kTrailer, kDone };
  Status OnSizeLine(std::string_view line);
  Status OnTrailerLine(std::string_view line);
  Status VerifyChunk();

  Sink sink_;
  std::optional<ChunkSigningContext> signing_;
  State state_ = State::kSizeLine;
  std::string line_;        // partial size/trailer line
  uint64_t remaining_ = 0;  // data bytes left in the current chunk
  uint64_t decoded_bytes_ = 0;
  std::string chunk_signature_;  // expected signature of the current chunk
  std::string previous_signature_;
  std::unique_ptr<Digest> chunk_hash_;
  std::vector<std::pair<std::string, std::string>> trailers_;
};

}  // namespace thaw::sim
