// Part layout of multipart objects. S3 answers GET/HEAD ?partNumber=N with the bytes of part N
// and x-amz-mp-parts-count, so a completed object keeps its part sizes. They live in the
// object's stored headers under an internal name (x-thaw-part-sizes) that is never sent: that
// way they follow the object into noncurrent versions and copies without a schema change.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sim/store.h"

namespace thaw::sim {

inline constexpr const char* kPartSizesEntry = "x-thaw-part-sizes";

// Stored entries of ObjectRecord::headers that are the sim's own and never sent.
bool IsInternalEntry(std::string_view name);

void SetPartSizes(ObjectRecord& rec, const std::vector<uint64_t>& sizes);
// Empty for an object not uploaded in parts (or completed by a sim that did not record them).
std::vector<uint64_t> PartSizes(const ObjectRecord& rec);

// The parts count of a multipart ETag ("\"...-N\""), 0 for any other ETag.
int EtagPartsCount(const std::string& etag);

struct PartRange {
  uint64_t offset = 0;
  uint64_t length = 0;
  int parts_count = 0;  // 0: the object was not uploaded in parts
};

// Where part `number` of `rec` lies. An object not uploaded in parts has one part, the whole
// object. A number beyond the last part is 416 InvalidPartNumber, as in S3.
Result<PartRange> LocatePart(const ObjectRecord& rec, int number);

}  // namespace thaw::sim
