// Bookkeeping shared by the classifiers: slot names for messages, the bad-slot probe, and the
// Sink that collects events and (capped) ignored records.
#include "events/internal/fields.h"

#include <bit>

#include "events/internal/classify.h"

namespace thaw::events::internal {

std::string_view SlotPath(Slot s) {
  switch (s) {
    case Slot::kEventVersion:
      return "eventVersion";
    case Slot::kEventSource:
      return "eventSource";
    case Slot::kEventSourceSns:
      return "EventSource";
    case Slot::kEventName:
      return "eventName";
    case Slot::kEventTime:
      return "eventTime";
    case Slot::kEventId:
      return "eventID";
    case Slot::kAwsRegion:
      return "awsRegion";
    case Slot::kErrorCode:
      return "errorCode";
    case Slot::kRecipientAccount:
      return "recipientAccountId";
    case Slot::kRequestId:
      return "request id";
    case Slot::kPrincipalArn:
      return "userIdentity.arn";
    case Slot::kPrincipalAccount:
      return "userIdentity.accountId";
    case Slot::kPrincipalId:
      return "userIdentity.principalId";
    case Slot::kReqBucket:
      return "requestParameters.bucketName";
    case Slot::kReqKey:
      return "requestParameters.key";
    case Slot::kReqVersionId:
      return "requestParameters.versionId";
    case Slot::kBucket:
      return "bucket.name";
    case Slot::kKey:
      return "object.key";
    case Slot::kVersionId:
      return "object.versionId";
    case Slot::kSequencer:
      return "object.sequencer";
    case Slot::kSize:
      return "object.size";
    case Slot::kRestoreExpiry:
      return "restore expiry time";
    case Slot::kRestoreClass:
      return "restore storage class";
    case Slot::kRequester:
      return "requester";
    case Slot::kMessageId:
      return "messageId";
    case Slot::kBody:
      return "body";
    case Slot::kEventSourceArn:
      return "eventSourceARN";
    case Slot::kType:
      return "Type";
    case Slot::kMessage:
      return "Message";
    case Slot::kSnsMessageId:
      return "MessageId";
    case Slot::kDetailType:
      return "detail-type";
    case Slot::kSource:
      return "source";
    case Slot::kAccount:
      return "account";
    case Slot::kRegion:
      return "region";
    case Slot::kTime:
      return "time";
    case Slot::kId:
      return "id";
    case Slot::kTestEvent:
      return "Event";
    case Slot::kCount:
      break;
  }
  return "?";
}

Slot FirstBad(const Fields& f, uint64_t mask) {
  uint64_t hit = f.bad & mask;
  if (hit == 0) return Slot::kCount;
  return static_cast<Slot>(std::countr_zero(hit));
}

void Sink::Add(Event event) {
  // Checked here, once for every format: a key S3 cannot hold is a forged or broken record,
  // and it must not reach a restore request, a hook's argument or a path.
  if (event.key.size() > kMaxKeyBytes ||
      (event.alternate_key && event.alternate_key->size() > kMaxKeyBytes)) {
    Ignore(IgnoreReason::kMalformed, event.format, "object key",
           "of " + std::to_string(event.key.size()) + " bytes is longer than S3's 1,024",
           event.event_id);
    return;
  }
  event.message_id = message_id_;
  out_.events.push_back(std::move(event));
}

void Sink::Ignore(IgnoreReason reason, Format format, std::string_view what, std::string_view value,
                  std::string_view event_id) {
  ++out_.ignored_count[static_cast<size_t>(reason)];
  if (out_.ignored.size() >= limits_.max_ignored_kept) return;
  Ignored& i = out_.ignored.emplace_back();
  i.reason = reason;
  i.format = format;
  i.detail.reserve(what.size() + 1 + value.size());
  i.detail.append(what);
  if (!value.empty()) {
    i.detail += ' ';
    i.detail.append(value);
  }
  i.event_id = std::string(event_id);
  i.message_id = message_id_;
}

bool Sink::CountRecord() {
  return ++out_.records_seen <= limits_.max_records;
}

}  // namespace thaw::events::internal
