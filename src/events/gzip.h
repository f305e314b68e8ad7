// gzip detection and bounded inflation for CloudTrail log files (always gzip) and any other
// compressed input a source hands the parsers (access logs someone compressed, stdin).
//
// Inflation is bounded by an output limit so that a small hostile file cannot expand into
// gigabytes (a "zip bomb"); the limit is checked as data is produced, not after. The output
// keeps spare capacity past its end for simdjson's padding, so the inflated document can be
// parsed in place without another copy.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace thaw::events {

// True when `bytes` starts with the gzip magic number (1f 8b).
bool IsGzip(std::string_view bytes);

// Inflates a gzip stream (one or more concatenated members, as gzip(1) writes them) into at most
// `max_output_bytes`. Errors (all with a ParseErrorDetail): kBadGzip (kDataLoss) for corrupt or
// truncated input or trailing garbage, kTooLarge (kResourceExhausted) past the limit.
// The returned string has capacity() >= size() + `padding_bytes`.
Result<std::string> Inflate(std::string_view gzip, size_t max_output_bytes,
                            size_t padding_bytes = 64);
// The same into `out`, reusing its allocation (a buffer kept across log files). On error the
// content of `out` is unspecified.
Status InflateInto(std::string_view gzip, size_t max_output_bytes, size_t padding_bytes,
                   std::string& out);

}  // namespace thaw::events
