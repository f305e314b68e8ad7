// The one pass over a JSON object that every JSON format shares.
//
// simdjson's On Demand API reads a document once, front to back, and AWS does not promise any
// field order. So instead of asking for fields by name (which would rescan), each object is
// walked once against a small static schema of the paths thaw cares about, and every string
// found is captured into a numbered Slot of a `Fields` value as a view into the parser's string
// buffer. Classification (cloudtrail.cc, s3_notification.cc, message.cc) then works on Fields
// only, with no JSON in sight, and is trivially testable.
//
// Type discipline: a slot whose JSON value has another type than the schema expects is never
// read with a getter; it is skipped and remembered in `bad`, so a classifier can reject a
// relevant record as malformed while an irrelevant record with odd fields is simply ignored.
// null counts as absent. Only structural damage (truncation, invalid literals or escapes in a
// value we read) aborts the walk with an error.
//
// Lifetime: the string_views point into the document (values without escapes are read in
// place) or into the parser's string buffer; both die with the document.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "common/status.h"

namespace thaw::events::internal {

// Every string (or number) any format needs. Paths are listed in fields.cc.
enum class Slot : uint8_t {
  // Generic record fields (CloudTrail, S3 notification, SQS/SNS Lambda records).
  kEventVersion,      // eventVersion
  kEventSource,       // eventSource: "s3.amazonaws.com", "aws:s3", "aws:sqs"
  kEventSourceSns,    // EventSource: "aws:sns" (Lambda's SNS records capitalise it)
  kEventName,         // eventName
  kEventTime,         // eventTime
  kEventId,           // eventID
  kAwsRegion,         // awsRegion
  kErrorCode,         // errorCode
  kRecipientAccount,  // recipientAccountId
  kRequestId,         // requestID, responseElements.x-amz-request-id, detail request-id
  kPrincipalArn,      // userIdentity.arn
  kPrincipalAccount,  // userIdentity.accountId
  kPrincipalId,       // userIdentity.principalId
  // CloudTrail requestParameters.
  kReqBucket,     // requestParameters.bucketName
  kReqKey,        // requestParameters.key
  kReqVersionId,  // requestParameters.versionId
  // S3 objects (notification s3.bucket/s3.object, and EventBridge detail.bucket/detail.object).
  kBucket,         // s3.bucket.name, bucket.name
  kKey,            // s3.object.key, object.key
  kVersionId,      // s3.object.versionId, object.version-id
  kSequencer,      // s3.object.sequencer, object.sequencer
  kSize,           // s3.object.size, object.size (number)
  kRestoreExpiry,  // glacierEventData.restoreEventData.lifecycleRestorationExpiryTime,
                   // restore-expiry-time
  kRestoreClass,   // ...lifecycleRestoreStorageClass, source-storage-class
  kRequester,      // requester (EventBridge S3 detail)
  // SQS records of a Lambda batch.
  kMessageId,       // messageId
  kBody,            // body
  kEventSourceArn,  // eventSourceARN
  // SNS envelope, top level or inside a Lambda SNS record's "Sns".
  kType,          // Type
  kMessage,       // Message
  kSnsMessageId,  // MessageId
  // EventBridge envelope.
  kDetailType,  // detail-type
  kSource,      // source
  kAccount,     // account
  kRegion,      // region
  kTime,        // time
  kId,          // id
  // S3 test event.
  kTestEvent,  // Event
  kCount,
};
inline constexpr int kSlotCount = static_cast<int>(Slot::kCount);
static_assert(kSlotCount <= 64, "presence bits are one uint64_t");

// Where the walk puts what it finds: one record's worth of slots.
struct Fields {
  std::string_view str[kSlotCount];
  uint64_t size = 0;         // Slot::kSize
  uint64_t present = 0;      // bit per slot
  uint64_t bad = 0;          // bit per slot: present with the wrong JSON type
  bool has_records = false;  // the object had a "Records" member (top level only)
  bool has_detail = false;   // the object had an object "detail" member (top level only)

  bool Has(Slot s) const { return present & Bit(s); }
  bool Bad(Slot s) const { return bad & Bit(s); }
  // The slot's string, empty when absent.
  std::string_view Get(Slot s) const { return str[static_cast<int>(s)]; }
  static constexpr uint64_t Bit(Slot s) { return uint64_t{1} << static_cast<int>(s); }
};
std::string_view SlotPath(Slot s);  // for messages: "requestParameters.key"

}  // namespace thaw::events::internal
