// The entry points of the event parsers: bytes in, typed events out (types.h).
//
// ParseMessage takes whatever a source has in hand, an SQS message body, a Lambda invocation
// event, a file's content, and works out what it is:
//   - gzip (by magic bytes) is inflated first, within Limits::max_document_bytes;
//   - JSON objects are, by their members:
//       {"Records":[...]}            CloudTrail log file, S3 notification, Lambda SQS batch or
//                                    Lambda SNS event (judged per record)
//       {"detail-type":..,"detail"}  EventBridge: "AWS API Call via CloudTrail", "Object Restore
//                                    Initiated/Completed/Expired", others ignored
//       {"Type":"Notification","Message":"<json>"}  an SNS envelope (SNS -> SQS without raw
//                                    delivery); the Message is parsed as a message in turn
//       {"Event":"s3:TestEvent"}     ignored (kTestEvent)
//       a bare CloudTrail record or S3 notification record
//   - other text that starts like an S3 access log line is read as an access log.
// Envelopes nest (an SQS batch of SNS envelopes of EventBridge events) up to
// Limits::max_nesting.
//
// Lambda SQS batches: every message is parsed on its own. Parsed::sqs_messages lists each
// messageId with its status; events and ignored entries carry their message_id. A message whose
// body is unreadable fails alone (report it in batchItemFailures); the call itself succeeds.
//
// Results are all or nothing per document: if a document fails (bad JSON, over a limit), no
// event from it is returned, so a source can retry or dead-letter the whole message.
//
// All functions are pure and thread-safe (simdjson parsers are cached per thread).
#pragma once

#include <string_view>

#include "common/status.h"
#include "events/types.h"

namespace thaw::events {

// Any message body or file content (see above).
Result<Parsed> ParseMessage(std::string_view bytes, const Limits& limits = {});

// A CloudTrail log file, gzip or plain: {"Records":[<CloudTrail records>]}. Any other shape is
// a kUnknownShape error; records that are not CloudTrail records are ignored (kUnknownShape).
Result<Parsed> ParseCloudTrailLog(std::string_view bytes, const Limits& limits = {});

// One CloudTrail event: an EventBridge "AWS API Call via CloudTrail" event or a bare record.
Result<Parsed> ParseCloudTrailEvent(std::string_view bytes, const Limits& limits = {});

// S3 restore events: a notification message, an EventBridge S3 event, or either of them in an
// SNS envelope; s3:TestEvent is accepted (and ignored).
Result<Parsed> ParseS3Notification(std::string_view bytes, const Limits& limits = {});

// An S3 server access log, gzip or plain text. Every non-blank line is a record.
Result<Parsed> ParseAccessLog(std::string_view bytes, const Limits& limits = {});

}  // namespace thaw::events
