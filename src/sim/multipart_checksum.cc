// Checksums of multipart uploads (see multipart_checksum.h).
#include "sim/multipart_checksum.h"

#include <cctype>

#include "common/strings.h"
#include "sim/s3_error.h"

namespace thaw::sim {
namespace {

constexpr const char* kAlgorithmEntry = "x-thaw-upload-checksum-algorithm";
constexpr const char* kTypeEntry = "x-thaw-upload-checksum-type";
constexpr const char* kPartChecksumsEntry = "x-thaw-part-checksums";

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string ChecksumElementSuffix(DigestKind kind) {
  return Upper(ChecksumName(kind));
}

Result<std::optional<UploadChecksum>> UploadChecksumFromHeaders(const s3::HttpHeaders& headers) {
  std::string algorithm = headers.Get("x-amz-checksum-algorithm");
  std::string type = Upper(std::string(Trim(headers.Get("x-amz-checksum-type"))));
  if (algorithm.empty()) {
    if (!type.empty()) {
      return S3Err("InvalidRequest",
                   "The x-amz-checksum-type header can only be used with the "
                   "x-amz-checksum-algorithm header.");
    }
    return std::optional<UploadChecksum>();
  }
  auto kind = ParseChecksumName(algorithm);
  if (!kind || *kind == DigestKind::kMd5) {
    return S3Err("InvalidArgument", "Checksum algorithm provided is unsupported.",
                 {{"ArgumentName", "x-amz-checksum-algorithm"}, {"ArgumentValue", algorithm}});
  }
  if (!type.empty() && type != "COMPOSITE" && type != "FULL_OBJECT") {
    return S3Err("InvalidArgument", "Value for x-amz-checksum-type header is invalid.",
                 {{"ArgumentName", "x-amz-checksum-type"}, {"ArgumentValue", type}});
  }
  UploadChecksum c{*kind, false};
  bool crc = *kind == DigestKind::kCrc32 || *kind == DigestKind::kCrc32c;
  if (*kind == DigestKind::kCrc64Nvme) {
    if (type == "COMPOSITE") {
      return S3Err("InvalidRequest",
                   "The COMPOSITE checksum type cannot be used with the crc64nvme checksum "
                   "algorithm.");
    }
    c.full_object = true;
  } else if (type == "FULL_OBJECT") {
    if (!crc) {
      return S3Err("InvalidRequest", "The FULL_OBJECT checksum type cannot be used with the " +
                                         ToLower(algorithm) + " checksum algorithm.");
    }
    c.full_object = true;
  }
  return std::optional<UploadChecksum>(c);
}

void RememberUploadChecksum(ObjectRecord& object, const UploadChecksum& checksum) {
  object.headers[kAlgorithmEntry] = ChecksumName(checksum.kind);
  object.headers[kTypeEntry] = checksum.full_object ? "FULL_OBJECT" : "COMPOSITE";
}

std::optional<UploadChecksum> TakeUploadChecksum(ObjectRecord& object) {
  auto a = object.headers.find(kAlgorithmEntry);
  auto t = object.headers.find(kTypeEntry);
  std::optional<UploadChecksum> out;
  if (a != object.headers.end()) {
    auto kind = ParseChecksumName(a->second);
    if (kind) {
      out = UploadChecksum{*kind, t != object.headers.end() && t->second == "FULL_OBJECT"};
    }
  }
  object.headers.erase(kAlgorithmEntry);
  object.headers.erase(kTypeEntry);
  return out;
}

std::string FormatObjectChecksum(const UploadChecksum& checksum,
                                 const std::vector<std::string>& part_raw,
                                 const std::string& object_raw) {
  if (checksum.full_object) return Base64Encode(object_raw);
  auto d = MakeDigest(checksum.kind);
  for (const std::string& raw : part_raw) d->Update(raw);
  return Base64Encode(d->Finish()) + "-" + std::to_string(part_raw.size());
}

void SetPartChecksums(ObjectRecord& rec, const std::vector<std::string>& b64) {
  std::string text;
  for (const std::string& v : b64) text += (text.empty() ? "" : ",") + v;
  rec.headers[kPartChecksumsEntry] = text;
}

std::vector<std::string> PartChecksums(const ObjectRecord& rec) {
  auto it = rec.headers.find(kPartChecksumsEntry);
  if (it == rec.headers.end() || it->second.empty()) return {};
  return Split(it->second, ',');
}

}  // namespace thaw::sim
