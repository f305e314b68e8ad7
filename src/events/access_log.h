// S3 server access logs: the record of failed reads that no CloudTrail trail saw.
//
// A line is space-separated fields; "quoted" fields may hold spaces, the time is [bracketed],
// "-" means empty, and S3 appends new fields at the end over time (so lines with more fields
// than listed here are normal). Field order (0-based):
//   0 bucket owner  1 bucket  2 [time]  3 remote IP  4 requester  5 request id  6 operation
//   7 key (URL-encoded)  8 "request URI"  9 HTTP status  10 error code  11 bytes sent
//   12 object size  13 total time  14 turn-around time  15 "referer"  16 "user agent"
//   17 version id  18 host id  19 signature version  20 cipher suite  21 auth type
//   22 host header  23 TLS version  24 access point ARN  25 aclRequired
// A failed read of an archived object looks like
//   ... REST.GET.OBJECT photos/a%20b.jpg "GET /photos/a%20b.jpg HTTP/1.1" 403 InvalidObjectState
//   ...
// and becomes a kRestoreWanted event (operations in kAccessLogReadOperations). The key field is
// percent-decoded ('+' stays '+': it is not form encoding); the request URI is not used, since
// clients encode paths differently. The event id is "accesslog:" + the request id, which is the
// same request id CloudTrail records as requestID.
//
// Lines need at least the 11 fields up to the error code; shorter lines, unterminated quotes
// or brackets, and lines over Limits::max_line_bytes are ignored as kMalformed with their line
// number. Blank lines are skipped.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "events/types.h"

namespace thaw::events {

inline constexpr std::array<std::string_view, 4> kAccessLogReadOperations = {
    "REST.GET.OBJECT", "REST.HEAD.OBJECT", "REST.COPY.OBJECT_GET", "REST.COPY.PART_GET"};

// One line's fields, "-" turned into empty and quotes and brackets removed.
struct AccessLogRecord {
  std::string bucket_owner;
  std::string bucket;
  std::optional<TimePoint> time;
  std::string remote_ip;
  std::string requester;
  std::string request_id;
  std::string operation;
  std::string raw_key;  // as logged
  std::string key;      // percent-decoded (equals raw_key when that does not decode)
  std::string request_uri;
  std::optional<int> http_status;
  std::string error_code;
  std::string user_agent;
  std::string version_id;
  std::string host_id;
  size_t field_count = 0;
};

// Splits and decodes one line (without its newline). Errors: kInvalidArgument with
// ParseErrorKind::kBadLine for an unterminated quote or bracket or fewer than 11 fields.
Result<AccessLogRecord> ParseAccessLogLine(std::string_view line);

// "[06/Feb/2019:00:00:38 +0000]" (brackets optional) to a time point; nullopt if invalid.
std::optional<TimePoint> ParseAccessLogTime(std::string_view s);

// True when `text` starts (after blank lines) with something shaped like an access log line:
// at least 11 fields with a valid bracketed time as the third. Used to tell logs from JSON.
bool LooksLikeAccessLog(std::string_view text);

}  // namespace thaw::events
