// CloudTrail S3 data events: which records mean "this object is archived, restore it", and how
// a CloudTrail record names the object.
//
// A record becomes a kRestoreWanted event when eventSource is s3.amazonaws.com, eventName is a
// read of object data (kCloudTrailReadEvents) and errorCode is InvalidObjectState. Everything
// else is ignored with a reason: other services and operations (kOtherEvent; this includes
// thaw's own RestoreObject calls, which fail with InvalidObjectState on objects that are not
// archived and must never trigger another restore), successful reads (kSucceeded), reads that
// failed otherwise (kOtherError). A relevant record without a bucket or key, or with one of
// its essential fields of the wrong JSON type, is kMalformed.
//
// The log-file and EventBridge entry points are in message.h.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace thaw::events {

// eventNames whose InvalidObjectState failure means the caller wanted the object's data.
// (HeadObject does not fail on archived objects in AWS, but compatible stores may.)
inline constexpr std::array<std::string_view, 3> kCloudTrailReadEvents = {"GetObject", "HeadObject",
                                                                          "SelectObjectContent"};

inline constexpr std::string_view kInvalidObjectState = "InvalidObjectState";

// The key-decoding rule for requestParameters.key, whose encoding no primary source confirms
// (public samples show it unencoded: "key": "my file.txt"):
//   - `key` is the value verbatim. CloudTrail writes the request's decoded parameters, so a
//     key that really contains "%41" appears as "%41".
//   - If the value contains a valid %XX escape, `alternate` is its percent-decoding ('+' is
//     left alone: CloudTrail does not use form encoding). Should CloudTrail ever log encoded
//     keys, the alternate is the real key.
// A consumer restores `key` and, if S3 answers NotFound, `alternate`: the right object is
// found either way and the wrong reading costs one 404.
struct CloudTrailKey {
  std::string key;
  std::optional<std::string> alternate;
};
CloudTrailKey DecodeCloudTrailKey(std::string_view raw);

}  // namespace thaw::events
