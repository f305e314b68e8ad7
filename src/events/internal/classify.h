// Classifiers: from the Fields of one record (fields.h) to an Event or an Ignored entry.
//
// They are the only place where the meaning of each format lives (which eventName counts,
// how keys are encoded, which fields are essential), and they see no JSON: message.cc walks
// the document and hands them Fields.
#pragma once

#include <string>
#include <string_view>

#include "events/internal/fields.h"
#include "events/types.h"

namespace thaw::events::internal {

// Collects the results of one call, applying Limits::max_ignored_kept.
class Sink {
 public:
  Sink(const Limits& limits, Parsed& out) : limits_(limits), out_(out) {}

  // The SQS message id stamped on what is added while a batch message is parsed.
  void set_message_id(std::string_view id) { message_id_ = id; }
  const std::string& message_id() const { return message_id_; }

  void Add(Event event);
  // Records an ignored record; `detail` is built only if it will be kept. `what` and `value`
  // are joined with a space ("eventName" "PutObject").
  void Ignore(IgnoreReason reason, Format format, std::string_view what, std::string_view value,
              std::string_view event_id = {});
  // Counts one more record against Limits::max_records; false once over the limit.
  bool CountRecord();

  const Limits& limits() const { return limits_; }
  Parsed& out() { return out_; }

 private:
  const Limits& limits_;
  Parsed& out_;
  std::string message_id_;
};

// EventBridge envelope members that fill in what a detail lacks.
struct Envelope {
  std::string_view id, account, region, time;
};

// One CloudTrail record: bare, in a log file, or the detail of an EventBridge event (then
// `envelope` is set and `format` is kEventBridgeCloudTrail).
void ClassifyCloudTrail(const Fields& record, Format format, const Envelope* envelope, Sink& sink);

// One record of an S3 event notification.
void ClassifyS3Notification(const Fields& record, Sink& sink);

// The detail of an EventBridge event from aws.s3 whose detail-type is not a CloudTrail call.
void ClassifyEventBridgeS3(std::string_view detail_type, const Fields& detail,
                           const Envelope& envelope, Sink& sink);

// The first bad (wrongly typed) slot among `mask`, or Slot::kCount.
Slot FirstBad(const Fields& f, uint64_t mask);

}  // namespace thaw::events::internal

namespace thaw::events::internal {

// Every line of an access log (already inflated): events for failed reads of archived objects,
// ignored entries for the rest. Returns kTooManyRecords past Limits::max_records.
Status ClassifyAccessLog(std::string_view text, Sink& sink);

}  // namespace thaw::events::internal
