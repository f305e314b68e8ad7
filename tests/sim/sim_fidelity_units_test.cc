// Unit tests of the sim's fidelity helpers: RFC 2047 user metadata, the part layout behind
// GET ?partNumber, multipart checksum choices, and lifecycle rules for noncurrent versions.
#include <gtest/gtest.h>

#include "common/time_format.h"
#include "sim/checksums.h"
#include "sim/lifecycle.h"
#include "sim/meta_encoding.h"
#include "sim/multipart_checksum.h"
#include "sim/object_parts.h"
#include "sim/s3_error.h"

namespace thaw::sim {
namespace {

std::string Code(const Status& s) {
  return ToS3Error(s).code;
}

TEST(MetaEncoding, DecodesEncodedWordsAndEncodesNonAscii) {
  EXPECT_EQ(DecodeMetadataValue("=?UTF-8?B?Y2Fmw6k=?="), "caf\xc3\xa9");
  EXPECT_EQ(DecodeMetadataValue("=?utf-8?q?na=C3=AFve_x?="), "na\xc3\xafve x");
  EXPECT_EQ(DecodeMetadataValue("=?UTF-8?Q?a?= =?UTF-8?Q?b?="), "ab");  // RFC 2047 6.2
  EXPECT_EQ(DecodeMetadataValue("x =?UTF-8?Q?a?= y"), "x a y");
  EXPECT_EQ(DecodeMetadataValue("=?ISO-8859-1?Q?caf=E9?="), "caf\xc3\xa9");
  EXPECT_EQ(DecodeMetadataValue("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");  // kept as sent
  EXPECT_EQ(DecodeMetadataValue("=?KOI8-R?Q?abc?="), "=?KOI8-R?Q?abc?=");
  EXPECT_EQ(DecodeMetadataValue("plain = ? text"), "plain = ? text");
  EXPECT_EQ(EncodeMetadataValue("ascii\tvalue"), "ascii\tvalue");
  EXPECT_EQ(EncodeMetadataValue("caf\xc3\xa9"), "=?UTF-8?B?Y2Fmw6k=?=");
  std::string snowman = "\xe2\x98\x83 and \xe6\x9d\xb1";
  EXPECT_EQ(DecodeMetadataValue(EncodeMetadataValue(snowman)), snowman);
}

TEST(PartLayout, LocatesPartsAndAnswersS3sErrors) {
  ObjectRecord rec;
  rec.etag = "\"0123-3\"";
  rec.size = 12;
  SetPartSizes(rec, {5, 5, 2});
  auto p = LocatePart(rec, 2);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->offset, 5u);
  EXPECT_EQ(p->length, 5u);
  EXPECT_EQ(p->parts_count, 3);
  EXPECT_EQ(Code(LocatePart(rec, 4).status()), "InvalidPartNumber");
  EXPECT_TRUE(IsInternalEntry(kPartSizesEntry));

  ObjectRecord single;
  single.etag = "\"0123\"";
  single.size = 7;
  auto whole = LocatePart(single, 1);
  ASSERT_TRUE(whole.ok());
  EXPECT_EQ(whole->length, 7u);
  EXPECT_EQ(whole->parts_count, 0);
  EXPECT_EQ(Code(LocatePart(single, 2).status()), "InvalidPartNumber");

  ObjectRecord old;  // completed by a sim that kept no part sizes
  old.etag = "\"0123-2\"";
  EXPECT_EQ(Code(LocatePart(old, 1).status()), "NotImplemented");
}

TEST(MultipartChecksum, AlgorithmAndTypeAsS3Allows) {
  auto choose = [](const char* algorithm, const char* type) {
    s3::HttpHeaders h;
    if (*algorithm) h.Set("x-amz-checksum-algorithm", algorithm);
    if (*type) h.Set("x-amz-checksum-type", type);
    return UploadChecksumFromHeaders(h);
  };
  auto crc32 = choose("CRC32", "");
  ASSERT_TRUE(crc32.ok() && *crc32);
  EXPECT_FALSE((*crc32)->full_object);
  auto crc64 = choose("CRC64NVME", "");
  ASSERT_TRUE(crc64.ok() && *crc64);
  EXPECT_TRUE((*crc64)->full_object);
  auto full = choose("crc32c", "FULL_OBJECT");
  ASSERT_TRUE(full.ok() && *full);
  EXPECT_TRUE((*full)->full_object);
  EXPECT_EQ(Code(choose("SHA256", "FULL_OBJECT").status()), "InvalidRequest");
  EXPECT_EQ(Code(choose("CRC64NVME", "COMPOSITE").status()), "InvalidRequest");
  EXPECT_EQ(Code(choose("", "COMPOSITE").status()), "InvalidRequest");
  EXPECT_EQ(Code(choose("MD4", "").status()), "InvalidArgument");
  auto none = choose("", "");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);

  // Composite: the checksum of the raw part checksums, "-N".
  std::string a = DigestOf(DigestKind::kCrc32, "part one");
  std::string b = DigestOf(DigestKind::kCrc32, "part two");
  EXPECT_EQ(FormatObjectChecksum({DigestKind::kCrc32, false}, {a, b}, ""),
            Base64Encode(DigestOf(DigestKind::kCrc32, a + b)) + "-2");
  std::string whole = DigestOf(DigestKind::kCrc32, "part onepart two");
  EXPECT_EQ(FormatObjectChecksum({DigestKind::kCrc32, true}, {a, b}, whole), Base64Encode(whole));

  ObjectRecord tmpl;
  RememberUploadChecksum(tmpl, {DigestKind::kSha1, false});
  auto back = TakeUploadChecksum(tmpl);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kind, DigestKind::kSha1);
  EXPECT_TRUE(tmpl.headers.empty());  // taken out of the template
}

TEST(Lifecycle, NoncurrentVersionsTransitionAndExpireFromWhenTheyBecameNoncurrent) {
  auto rules = ParseLifecycle(
      "<LifecycleConfiguration><Rule><ID>n</ID><Status>Enabled</Status><Filter><Prefix>logs/"
      "</Prefix></Filter><NoncurrentVersionTransition><NoncurrentDays>30</NoncurrentDays>"
      "<StorageClass>GLACIER</StorageClass></NoncurrentVersionTransition>"
      "<NoncurrentVersionExpiration><NoncurrentDays>365</NoncurrentDays>"
      "</NoncurrentVersionExpiration></Rule></LifecycleConfiguration>");
  ASSERT_TRUE(rules.ok()) << rules.status().ToString();
  ASSERT_EQ((*rules)[0].noncurrent_transitions.size(), 1u);
  auto since = *ParseIso8601("2024-03-01T10:00:00Z");
  ArchiveState standard;
  auto at = [&](const char* iso) { return *ParseIso8601(iso); };
  EXPECT_FALSE(
      DueTransition(*rules, "logs/a", {}, since, standard, at("2024-03-31T10:00:00Z"), true));
  EXPECT_EQ(DueTransition(*rules, "logs/a", {}, since, standard, at("2024-04-01T00:00:00Z"), true),
            std::optional<std::string>("GLACIER"));
  // Not for current versions, nor outside the filter.
  EXPECT_FALSE(DueTransition(*rules, "logs/a", {}, since, standard, at("2025-01-01T00:00:00Z")));
  EXPECT_FALSE(
      DueTransition(*rules, "other", {}, since, standard, at("2025-01-01T00:00:00Z"), true));
  EXPECT_FALSE(NoncurrentExpired(*rules, "logs/a", {}, since, at("2025-02-28T23:00:00Z")));
  EXPECT_TRUE(NoncurrentExpired(*rules, "logs/a", {}, since, at("2025-03-02T00:00:00Z")));
  EXPECT_EQ(Code(ParseLifecycle("<LifecycleConfiguration><Rule><Status>Enabled</Status>"
                                "<NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays>"
                                "<NewerNoncurrentVersions>2</NewerNoncurrentVersions>"
                                "</NoncurrentVersionExpiration></Rule></LifecycleConfiguration>")
                     .status()),
            "NotImplemented");
  EXPECT_EQ(Code(ParseLifecycle("<LifecycleConfiguration><Rule><Status>Enabled</Status>"
                                "<NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays>"
                                "</NoncurrentVersionExpiration></Rule></LifecycleConfiguration>")
                     .status()),
            "InvalidArgument");
}

}  // namespace
}  // namespace thaw::sim
