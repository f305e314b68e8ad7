// aws-chunked decoding as a byte-driven state machine, so that uploads stream to disk without
// buffering whole chunks (chunks are typically 64 KiB to 8 MiB).
#include "sim/aws_chunked.h"

#include "common/strings.h"
#include "s3/sigv4.h"
#include "sim/s3_error.h"

namespace thaw::sim {
namespace {

constexpr size_t kMaxLine = 4096;

Status Malformed(const std::string& why) {
  return S3Err("InvalidRequest", "aws-chunked body: " + why);
}

}  // namespace

AwsChunkedDecoder::AwsChunkedDecoder(Sink sink, std::optional<ChunkSigningContext> signing)
    : sink_(std::move(sink)), signing_(std::move(signing)) {
  if (signing_) previous_signature_ = signing_->seed_signature;
}

Status AwsChunkedDecoder::Feed(std::string_view bytes) {
  while (!bytes.empty()) {
    switch (state_) {
      case State::kSizeLine:
      case State::kTrailer: {
        size_t nl = bytes.find('\n');
        size_t take = nl == std::string_view::npos ? bytes.size() : nl + 1;
        line_.append(bytes.substr(0, take));
        bytes.remove_prefix(take);
        if (line_.size() > kMaxLine) return Malformed("header line too long");
        if (nl == std::string_view::npos) break;
        std::string line = std::move(line_);
        line_.clear();
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        THAW_RETURN_IF_ERROR(state_ == State::kSizeLine ? OnSizeLine(line) : OnTrailerLine(line));
        break;
      }
      case State::kData: {
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, bytes.size()));
        std::string_view data = bytes.substr(0, take);
        if (chunk_hash_) chunk_hash_->Update(data);
        THAW_RETURN_IF_ERROR(sink_(data));
        decoded_bytes_ += take;
        remaining_ -= take;
        bytes.remove_prefix(take);
        if (remaining_ == 0) {
          THAW_RETURN_IF_ERROR(VerifyChunk());
          state_ = State::kDataCrlf;
        }
        break;
      }
      case State::kDataCrlf: {
        // The CRLF after chunk data; tolerate a bare LF.
        char c = bytes.front();
        bytes.remove_prefix(1);
        if (c == '\n')
          state_ = State::kSizeLine;
        else if (c != '\r')
          return Malformed("missing CRLF after chunk data");
        break;
      }
      case State::kDone:
        return Malformed("data after the final chunk");
    }
  }
  return Status::Ok();
}

Status AwsChunkedDecoder::OnSizeLine(std::string_view line) {
  std::string_view size_text = line.substr(0, line.find(';'));
  chunk_signature_.clear();
  size_t sig = line.find("chunk-signature=");
  if (sig != std::string_view::npos) chunk_signature_ = std::string(Trim(line.substr(sig + 16)));
  size_text = Trim(size_text);
  if (size_text.empty() || size_text.size() > 15) return Malformed("bad chunk size line");
  uint64_t size = 0;
  for (char c : size_text) {
    int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
            : (c >= 'a' && c <= 'f')                    ? c - 'a' + 10
            : (c >= 'A' && c <= 'F')                    ? c - 'A' + 10
                                                        : -1;
    if (v < 0) return Malformed("bad chunk size '" + std::string(size_text) + "'");
    size = size * 16 + v;
  }
  if (signing_) {
    if (chunk_signature_.empty()) return S3Err("SignatureDoesNotMatch", "chunk without signature");
    chunk_hash_ = MakeDigest(DigestKind::kSha256);
  }
  if (size == 0) {
    THAW_RETURN_IF_ERROR(VerifyChunk());
    state_ = State::kTrailer;
    return Status::Ok();
  }
  remaining_ = size;
  state_ = State::kData;
  return Status::Ok();
}

Status AwsChunkedDecoder::OnTrailerLine(std::string_view line) {
  if (line.empty()) {
    state_ = State::kDone;
    return Status::Ok();
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return Malformed("bad trailer line");
  trailers_.emplace_back(ToLower(Trim(line.substr(0, colon))),
                         std::string(Trim(line.substr(colon + 1))));
  return Status::Ok();
}

Status AwsChunkedDecoder::VerifyChunk() {
  if (!signing_) return Status::Ok();
  std::string data_hash = HexEncode(chunk_hash_->Finish());
  std::string string_to_sign = "AWS4-HMAC-SHA256-PAYLOAD\n" + signing_->amz_date + "\n" +
                               signing_->scope + "\n" + previous_signature_ + "\n" +
                               std::string(s3::kEmptyPayloadSha256) + "\n" + data_hash;
  std::string expected = HexEncode(s3::HmacSha256(signing_->signing_key, string_to_sign));
  if (expected != chunk_signature_) {
    return S3Err("SignatureDoesNotMatch", "aws-chunked chunk signature does not match");
  }
  previous_signature_ = expected;
  return Status::Ok();
}

Status AwsChunkedDecoder::Finish() const {
  if (state_ == State::kDone) return Status::Ok();
  // Some clients end right after the last trailer line (no blank line): accept that too.
  if (state_ == State::kTrailer && line_.empty()) return Status::Ok();
  return S3Err("IncompleteBody", "aws-chunked body ended before its final chunk");
}

}  // namespace thaw::sim
