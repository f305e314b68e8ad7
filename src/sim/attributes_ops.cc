// GetObjectAttributes (GET /key?attributes): the attributes named in x-amz-object-attributes
// (ETag, Checksum, ObjectParts, StorageClass, ObjectSize) of the current object or of a
// version. Works on archived objects (it reads no data). ObjectParts carries the parts count,
// taken from the multipart ETag's "-N", and for objects uploaded with composite checksums the
// part list (number, size, checksum), paged by x-amz-max-parts / x-amz-part-number-marker.
#include <algorithm>
#include <cctype>
#include <set>

#include "common/strings.h"
#include "common/time_format.h"
#include "sim/multipart_checksum.h"
#include "sim/object_parts.h"
#include "sim/s3_error.h"
#include "sim/service.h"
#include "sim/xml_writer.h"

namespace thaw::sim {
namespace {

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

Result<Response> Service::GetObjectAttributes(Call& call) {
  std::set<std::string> wanted;
  for (const std::string& item : Split(call.req.headers.Get("x-amz-object-attributes"), ',')) {
    std::string a(Trim(item));
    if (a.empty()) continue;
    if (a != "ETag" && a != "Checksum" && a != "ObjectParts" && a != "StorageClass" &&
        a != "ObjectSize") {
      return S3Err("InvalidArgument", "Invalid attribute name specified.");
    }
    wanted.insert(a);
  }
  if (wanted.empty()) {
    return S3Err("InvalidArgument",
                 "x-amz-object-attributes header specifying the attributes "
                 "to be retrieved is either missing or empty");
  }
  uint64_t marker = 0, max_parts = 1000;
  for (auto [header, value] :
       {std::pair{"x-amz-part-number-marker", &marker}, std::pair{"x-amz-max-parts", &max_parts}}) {
    std::string given = call.req.headers.Get(header);
    if (given.empty()) continue;
    std::optional<uint64_t> n = ParseUint64(given);
    if (!n || *n > 2147483647) {
      return S3Err("InvalidArgument", std::string("Invalid value for ") + header + ": " + given);
    }
    *value = *n;
  }
  max_parts = std::min<uint64_t>(max_parts, 1000);
  THAW_ASSIGN_OR_RETURN(ObjectRecord rec,
                        LoadObject(call.route.bucket, call.route.key, call.req.Query("versionId")));
  XmlWriter w;
  w.Open("GetObjectAttributesResponse", true);
  if (wanted.count("ETag")) {
    std::string etag = rec.etag;
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
      etag = etag.substr(1, etag.size() - 2);
    w.Element("ETag", etag);
  }
  if (wanted.count("Checksum")) {
    bool any = false;
    for (const auto& [name, value] : rec.headers) {
      if (!StartsWith(name, "x-amz-checksum-")) continue;
      if (!any) w.Open("Checksum");
      any = true;
      std::string algo = Upper(name.substr(15));  // crc32 -> CRC32, sha256 -> SHA256
      w.Element(algo == "TYPE" ? "ChecksumType" : "Checksum" + algo, value);
    }
    if (any) w.Close("Checksum");
  }
  int count = EtagPartsCount(rec.etag);
  if (wanted.count("ObjectParts") && count > 0) {
    w.Open("ObjectParts");
    w.Element("PartsCount", static_cast<uint64_t>(count));  // TotalPartsCount on the wire
    // The part list, as S3 gives it: for objects uploaded with composite checksums.
    std::vector<uint64_t> sizes = PartSizes(rec);
    std::vector<std::string> sums = PartChecksums(rec);
    std::string algo;
    for (const auto& [name, value] : rec.headers) {
      if (StartsWith(name, "x-amz-checksum-") && name != "x-amz-checksum-type") {
        algo = Upper(name.substr(15));
      }
    }
    if (!sums.empty() && sums.size() == sizes.size() && !algo.empty()) {
      // Paged like ListParts: the parts after x-amz-part-number-marker, at most x-amz-max-parts.
      size_t end = std::min(sizes.size(), static_cast<size_t>(marker + max_parts));
      w.Element("PartNumberMarker", marker);
      w.Element("NextPartNumberMarker", static_cast<uint64_t>(std::max<size_t>(end, marker)));
      w.Element("MaxParts", max_parts);
      w.Bool("IsTruncated", end < sizes.size());
      for (size_t i = marker; i < end; ++i) {
        w.Open("Part");
        w.Element("PartNumber", static_cast<uint64_t>(i + 1));
        w.Element("Size", sizes[i]);
        w.Element("Checksum" + algo, sums[i]);
        w.Close("Part");
      }
    }
    w.Close("ObjectParts");
  }
  if (wanted.count("StorageClass")) w.Element("StorageClass", rec.archive.storage_class);
  if (wanted.count("ObjectSize")) w.Element("ObjectSize", rec.size);
  w.Close("GetObjectAttributesResponse");
  Response r;
  r.headers.Set("Content-Type", "application/xml");
  r.headers.Set("Last-Modified", FormatHttpDate(rec.last_modified));
  if (!rec.version_id.empty()) r.headers.Set("x-amz-version-id", rec.version_id);
  r.body = w.Finish();
  return r;
}

}  // namespace thaw::sim
