// Checksums of multipart uploads as S3 documents them. CreateMultipartUpload chooses an
// algorithm (x-amz-checksum-algorithm) and a type (x-amz-checksum-type):
//   COMPOSITE   (CRC32, CRC32C, SHA1, SHA256; the default for all but CRC64NVME): the checksum of
//               the concatenated raw part checksums, written "base64-N";
//   FULL_OBJECT (CRC64NVME, CRC32, CRC32C; the only type of CRC64NVME): the checksum of the
//               whole object's bytes, as a PutObject would have it.
// CompleteMultipartUpload checks the part checksums the client lists (400 InvalidPart when one
// differs) and a full-object checksum header (400 BadDigest), and the object keeps the result in
// x-amz-checksum-<algo> and x-amz-checksum-type, plus the part checksums for GetObjectAttributes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "s3/http.h"
#include "sim/checksums.h"
#include "sim/store.h"

namespace thaw::sim {

struct UploadChecksum {
  DigestKind kind = DigestKind::kCrc32;
  bool full_object = false;
};

// From CreateMultipartUpload's headers: nullopt when no algorithm is asked for; InvalidRequest
// for a type the algorithm does not allow, InvalidArgument for unknown names.
Result<std::optional<UploadChecksum>> UploadChecksumFromHeaders(const s3::HttpHeaders& headers);

// The upload's choice, kept in the template object of the upload (internal entries), and read
// back (and removed from the template) when the upload completes.
void RememberUploadChecksum(ObjectRecord& object, const UploadChecksum& checksum);
std::optional<UploadChecksum> TakeUploadChecksum(ObjectRecord& object);

// The object checksum from the parts' raw checksums (composite) or the whole object's raw digest
// (full object), as S3 writes it.
std::string FormatObjectChecksum(const UploadChecksum& checksum,
                                 const std::vector<std::string>& part_raw,
                                 const std::string& object_raw);

// Part checksums (base64) of a completed composite upload, in part order ("" when unknown).
void SetPartChecksums(ObjectRecord& rec, const std::vector<std::string>& b64);
std::vector<std::string> PartChecksums(const ObjectRecord& rec);

// "CRC32" for kCrc32 etc.: the suffix of S3's Checksum<ALGO> XML elements.
std::string ChecksumElementSuffix(DigestKind kind);

}  // namespace thaw::sim
