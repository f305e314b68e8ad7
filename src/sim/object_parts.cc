// Part layout of multipart objects (see object_parts.h).
#include "sim/object_parts.h"

#include "common/strings.h"
#include "sim/s3_error.h"

namespace thaw::sim {

bool IsInternalEntry(std::string_view name) {
  return StartsWith(name, "x-thaw-");
}

void SetPartSizes(ObjectRecord& rec, const std::vector<uint64_t>& sizes) {
  std::string text;
  for (uint64_t s : sizes) {
    if (!text.empty()) text += ',';
    text += std::to_string(s);
  }
  rec.headers[kPartSizesEntry] = text;
}

std::vector<uint64_t> PartSizes(const ObjectRecord& rec) {
  std::vector<uint64_t> sizes;
  auto it = rec.headers.find(kPartSizesEntry);
  if (it == rec.headers.end()) return sizes;
  for (const std::string& item : Split(it->second, ',')) {
    auto n = ParseInt64(item);
    if (!n || *n < 0) return {};  // damaged: treated as not recorded
    sizes.push_back(static_cast<uint64_t>(*n));
  }
  return sizes;
}

int EtagPartsCount(const std::string& etag) {
  size_t dash = etag.rfind('-');
  if (dash == std::string::npos) return 0;
  std::string count = etag.substr(dash + 1);
  if (!count.empty() && count.back() == '"') count.pop_back();
  auto n = ParseInt64(count);
  return n && *n > 0 ? static_cast<int>(*n) : 0;
}

Result<PartRange> LocatePart(const ObjectRecord& rec, int number) {
  Status beyond =
      S3Err("InvalidPartNumber", "The requested partnumber is not satisfiable",
            {{"PartNumberRequested", std::to_string(number)},
             {"ActualPartCount", std::to_string(std::max(1, EtagPartsCount(rec.etag)))}});
  std::vector<uint64_t> sizes = PartSizes(rec);
  if (sizes.empty()) {
    if (EtagPartsCount(rec.etag) > 0) {
      return S3Err("NotImplemented",
                   "this multipart object was completed by an older thaw sim that did not record "
                   "its part sizes");
    }
    if (number != 1) return beyond;
    return PartRange{0, rec.size, 0};
  }
  if (number > static_cast<int>(sizes.size())) return beyond;
  PartRange r;
  for (int i = 0; i + 1 < number; ++i) r.offset += sizes[i];
  r.length = sizes[number - 1];
  r.parts_count = static_cast<int>(sizes.size());
  return r;
}

}  // namespace thaw::sim
