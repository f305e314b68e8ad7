// Time formats S3 and AWS use: RFC 1123 HTTP dates (Last-Modified, x-amz-restore expiry),
// ISO 8601 (XML listings, credentials' Expiration, event times) and SigV4's basic format
// (20150830T123600Z). All times are UTC system_clock time points.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace thaw {

using TimePoint = std::chrono::system_clock::time_point;

// "Fri, 21 Dec 2012 00:00:00 GMT"
std::string FormatHttpDate(TimePoint t);
// Accepts RFC 1123 (and tolerates missing weekday / extra spaces).
std::optional<TimePoint> ParseHttpDate(std::string_view s);

// "2012-12-21T00:00:00.000Z" (with_millis) or "2012-12-21T00:00:00Z".
std::string FormatIso8601(TimePoint t, bool with_millis = true);
// Accepts "YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)" and the basic "YYYYMMDDTHHMMSSZ".
std::optional<TimePoint> ParseIso8601(std::string_view s);

// "20150830T123600Z" and "20150830".
std::string FormatAmzDate(TimePoint t);
std::string FormatAmzDateStamp(TimePoint t);

// Parses any of the above (used where AWS is not consistent).
std::optional<TimePoint> ParseAnyTime(std::string_view s);

}  // namespace thaw
