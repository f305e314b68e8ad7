// Streaming digests for uploads and object ETags: MD5 (ETag, Content-MD5) and S3's additional
// checksums (x-amz-checksum-crc32, -crc32c, -crc64nvme, -sha1, -sha256), plus base64 as S3
// writes checksums. CRC32 comes from zlib, SHA/MD5 from OpenSSL; CRC32C and CRC64/NVME are
// table-driven here (no library on the machine provides them).
//
// Thread safety: a Digest is used by one thread; the free functions are pure.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace thaw::sim {

enum class DigestKind { kMd5, kSha256, kSha1, kCrc32, kCrc32c, kCrc64Nvme };

// "crc32" / "CRC32" etc. (the x-amz-checksum-* suffix or x-amz-sdk-checksum-algorithm value).
std::optional<DigestKind> ParseChecksumName(std::string_view name);
std::string ChecksumName(DigestKind kind);  // lower-case: "crc32"

class Digest {
 public:
  virtual ~Digest() = default;
  virtual void Update(std::string_view data) = 0;
  // Raw digest bytes (big-endian for CRCs, as S3 encodes them). Call once.
  virtual std::string Finish() = 0;
};

std::unique_ptr<Digest> MakeDigest(DigestKind kind);
// One-shot convenience.
std::string DigestOf(DigestKind kind, std::string_view data);

std::string Base64Encode(std::string_view bytes);
std::optional<std::string> Base64Decode(std::string_view text);

}  // namespace thaw::sim
