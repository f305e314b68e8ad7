// UploadSink: decode, digest and write an upload body to a temporary file.
#include "sim/upload_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"
#include "sim/s3_error.h"

namespace thaw::sim {

Result<UploadSpec> UploadSpecFromHeaders(const s3::HttpHeaders& headers, std::string temp_path) {
  UploadSpec spec;
  spec.temp_path = std::move(temp_path);
  std::string encoding = ToLower(headers.Get("Content-Encoding"));
  std::string sha = headers.Get("x-amz-content-sha256");
  spec.aws_chunked =
      encoding.find("aws-chunked") != std::string::npos || StartsWith(sha, "STREAMING-");
  if (const std::string* d = headers.Find("x-amz-decoded-content-length")) {
    auto n = ParseUint64(*d);
    if (!n) return S3Err("InvalidArgument", "bad x-amz-decoded-content-length");
    spec.decoded_length = *n;
  }
  spec.content_md5_b64 = headers.Get("Content-MD5");
  if (!spec.content_md5_b64.empty()) {
    auto raw = Base64Decode(spec.content_md5_b64);
    if (!raw || raw->size() != 16) return S3Err("InvalidDigest");
  }
  if (sha.size() == 64 && sha.find_first_not_of("0123456789abcdef") == std::string::npos) {
    spec.expected_sha256_hex = sha;
  }
  for (const auto& [name, value] : headers.entries()) {
    std::string lower = ToLower(name);
    if (StartsWith(lower, "x-amz-checksum-") && lower != "x-amz-checksum-type" &&
        lower != "x-amz-checksum-algorithm") {
      auto kind = ParseChecksumName(lower.substr(15));
      if (!kind) return S3Err("InvalidRequest", "unknown checksum header " + name);
      spec.checksum = kind;
      spec.checksum_expected_b64 = value;
    }
  }
  if (!spec.checksum) {
    std::string trailer = ToLower(headers.Get("x-amz-trailer"));
    if (StartsWith(trailer, "x-amz-checksum-")) {
      spec.checksum = ParseChecksumName(trailer.substr(15));
      if (!spec.checksum) return S3Err("InvalidRequest", "unknown trailer " + trailer);
    } else if (const std::string* algo = headers.Find("x-amz-sdk-checksum-algorithm")) {
      spec.checksum = ParseChecksumName(*algo);
    }
  }
  return spec;
}

Result<std::unique_ptr<UploadSink>> UploadSink::Open(UploadSpec spec) {
  int fd = ::open(spec.temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::Internal("open " + spec.temp_path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<UploadSink>(new UploadSink(std::move(spec), fd));
}

UploadSink::UploadSink(UploadSpec spec, int fd)
    : spec_(std::move(spec)), fd_(fd), md5_(MakeDigest(DigestKind::kMd5)) {
  if (!spec_.expected_sha256_hex.empty()) sha256_ = MakeDigest(DigestKind::kSha256);
  if (spec_.checksum) checksum_ = MakeDigest(*spec_.checksum);
  if (spec_.aws_chunked) {
    decoder_ = std::make_unique<AwsChunkedDecoder>(
        [this](std::string_view data) { return WriteDecoded(data); }, spec_.signing);
  }
}

UploadSink::~UploadSink() {
  if (fd_ >= 0) ::close(fd_);
  if (!kept_) ::unlink(spec_.temp_path.c_str());
}

Status UploadSink::Write(std::string_view bytes) {
  if (!failed_.ok()) return failed_;
  if (sha256_) sha256_->Update(bytes);  // x-amz-content-sha256 covers the body as sent
  Status s = decoder_ ? decoder_->Feed(bytes) : WriteDecoded(bytes);
  if (!s.ok()) failed_ = s;
  return s;
}

Status UploadSink::WriteDecoded(std::string_view data) {
  md5_->Update(data);
  if (checksum_) checksum_->Update(data);
  size_ += data.size();
  while (!data.empty()) {
    ssize_t n = ::write(fd_, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::Internal(std::string("write upload: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Result<UploadResult> UploadSink::Finish() {
  if (!failed_.ok()) return failed_;
  if (decoder_) THAW_RETURN_IF_ERROR(decoder_->Finish());
  if (spec_.decoded_length && *spec_.decoded_length != size_) {
    return S3Err("IncompleteBody");
  }
  UploadResult r;
  r.md5 = md5_->Finish();
  if (sha256_ && HexEncode(sha256_->Finish()) != spec_.expected_sha256_hex) {
    return S3Err("XAmzContentSHA256Mismatch");
  }
  if (!spec_.content_md5_b64.empty() && Base64Decode(spec_.content_md5_b64) != r.md5) {
    return S3Err("BadDigest");
  }
  if (checksum_) {
    r.checksum = spec_.checksum;
    r.checksum_b64 = Base64Encode(checksum_->Finish());
    std::string expected = spec_.checksum_expected_b64;
    if (expected.empty() && decoder_) {
      std::string trailer = "x-amz-checksum-" + ChecksumName(*spec_.checksum);
      for (const auto& [name, value] : decoder_->trailers()) {
        if (name == trailer) expected = value;
      }
    }
    if (!expected.empty() && expected != r.checksum_b64) {
      std::string upper = ToLower(ChecksumName(*spec_.checksum));
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      return S3Err("BadDigest",
                   "The " + upper + " you specified did not match the calculated checksum.");
    }
  }
  // No fsync: the sim trades durability on power loss for upload speed; a crash of the sim
  // itself loses nothing because the kernel holds the written pages.
  if (::close(fd_) != 0) {
    fd_ = -1;
    return Status::Internal(std::string("close upload: ") + std::strerror(errno));
  }
  fd_ = -1;
  kept_ = true;
  r.temp_path = spec_.temp_path;
  r.size_bytes = size_;
  return r;
}

}  // namespace thaw::sim
