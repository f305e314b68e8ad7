// GetObject's request headers that shape the answer: Range (one byte range: `bytes=a-b`, open
// `bytes=a-`, suffix `bytes=-n`) and the conditional headers If-Match, If-None-Match,
// If-Modified-Since, If-Unmodified-Since, evaluated in RFC 7232's order as S3 does.
//
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"
#include "s3/http.h"

namespace thaw::sim {

struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};

// Parses a Range header against an object of `size` bytes. Returns:
//  - nullopt when the header is absent or not one byte range S3 understands (S3 then serves
//    the whole object, as it does for multiple ranges);
//  - an InvalidRange error (416) when the range is valid but unsatisfiable;
//  - the byte range otherwise (clamped to the object's end).
Result<std::optional<ByteRange>> ParseRange(std::string_view header, uint64_t size);

enum class ConditionResult { kProceed, kNotModified, kPreconditionFailed };

// Evaluates the conditional headers of a GET/HEAD against the object's ETag (quoted) and
// last-modified time.
ConditionResult EvaluateConditions(const s3::HttpHeaders& headers, std::string_view etag,
                                   Clock::TimePoint last_modified);

// Conditional writes (PutObject, CompleteMultipartUpload): `If-None-Match: *` fails with 412
// PreconditionFailed when the key has a current object; `If-Match: "etag"` fails with 404
// NoSuchKey when it has none and 412 when the ETag differs. `current_etag` is null when the
// key has no current object. Other If-None-Match values are 501, as S3 supports only "*".
Status CheckWriteConditions(const s3::HttpHeaders& headers, const std::string* current_etag);

}  // namespace thaw::sim
