// Typed values that the event parsers produce: what a message, log file or log line says about
// archived objects, with every record the parsers chose not to act on and why.
//
// The parsers are pure functions from bytes to a `Parsed` value (see message.h for the entry
// points). They know nothing of the restore engine: a source (SQS poller, Lambda loop, log
// scanner) turns each `Event` into a restore request (kRestoreWanted) or a completion update
// (kRestoreInitiated / kRestoreCompleted / kRestoreExpired), and acknowledges the message when
// the journal holds them. Event ids are carried through so that the journal can drop duplicates
// and replays (all AWS channels deliver at least once).
//
// Errors: a message that cannot be read at all (bad JSON, truncated gzip, over a limit, a shape
// thaw does not know) is an error Status carrying a ParseErrorDetail. A readable message whose
// individual records are irrelevant or broken yields those records in `Parsed::ignored` with an
// IgnoreReason, so one bad record in a 10,000-record CloudTrail file does not lose the others.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace thaw::events {

using TimePoint = std::chrono::system_clock::time_point;

// What an event asks of thaw.
enum class EventKind {
  kRestoreWanted,     // a read failed with InvalidObjectState: the object is archived
  kRestoreInitiated,  // S3 accepted a restore (s3:ObjectRestore:Post, "Object Restore Initiated")
  kRestoreCompleted,  // the restored copy is readable ("...:Completed", "Object Restore Completed")
  kRestoreExpired,    // the restored copy is gone again ("...:Delete", "Object Restore Expired")
};
std::string_view EventKindName(EventKind kind);  // "restore-wanted", "restore-completed", ...

// The wire format a record was read from. Parsed::format names the outermost shape of a
// message; Event::format and Ignored::format the innermost one that held the record.
enum class Format {
  kUnknown,
  kCloudTrailRecord,       // one bare CloudTrail record (an object with eventSource, eventName...)
  kCloudTrailLog,          // a CloudTrail log file: {"Records":[<CloudTrail records>]}
  kEventBridgeCloudTrail,  // EventBridge "AWS API Call via CloudTrail" (record in "detail")
  kS3Notification,         // S3 event notification: {"Records":[{"eventName":"ObjectRestore:..."}]}
  kEventBridgeS3,          // EventBridge "Object Restore Initiated/Completed/Expired"
  kEventBridgeOther,       // any other EventBridge event (always ignored)
  kS3TestEvent,            // {"Event":"s3:TestEvent",...}, sent when notifications are configured
  kSnsEnvelope,            // {"Type":"Notification","Message":"<json>"} or a Lambda SNS event
  kSqsBatch,   // a Lambda SQS event: {"Records":[{"messageId","body","eventSource":"aws:sqs"}]}
  kAccessLog,  // S3 server access log lines
  kJsonLines,  // one JSON message per line (json_lines.h); each event keeps its own format
};
std::string_view FormatName(Format format);

// A typed event about one object version. Strings are empty when the source did not say.
struct Event {
  EventKind kind = EventKind::kRestoreWanted;
  Format format = Format::kUnknown;

  std::string bucket;
  // The key as S3 names the object (decoded). When the source's encoding is not certain, the
  // other plausible reading is in alternate_key (see cloudtrail.h and s3_notification.h); a
  // consumer tries `key` first and alternate_key when S3 answers NotFound for `key`.
  std::string key;
  std::optional<std::string> alternate_key;
  std::string version_id;

  // Stable identity for de-duplication. CloudTrail: the record's eventID (the same in a log
  // file and on EventBridge). S3 restore events: "<kind>:<request id>:<sequencer>" (the same in
  // a notification and on EventBridge), else the EventBridge id. Access logs: "accesslog:" +
  // the request id. Empty when the source gives nothing stable.
  std::string event_id;
  std::string request_id;  // S3's x-amz-request-id when known (CloudTrail, access log, S3 events)

  std::string account_id;  // the account the event was recorded for, when known
  std::string region;
  std::optional<TimePoint> time;  // when it happened (absent if missing or unparseable)
  std::string event_name;  // as the source wrote it: GetObject, REST.GET.OBJECT, ObjectRestore:Post
  std::string error_code;  // kRestoreWanted: "InvalidObjectState"
  std::string principal;   // who asked (CloudTrail userIdentity.arn, access log requester)

  // Restore events.
  std::optional<TimePoint> restore_expiry;  // when the restored copy goes away
  std::string storage_class;                // the archive class the object was restored from
  std::optional<uint64_t> size_bytes;

  // The SQS message (messageId of a Lambda SQS batch) this event came from; empty otherwise.
  std::string message_id;
};

// Why a record produced no event. Counted per reason in Parsed::ignored_count.
enum class IgnoreReason {
  kTestEvent,     // s3:TestEvent, SNS subscription confirmations and similar housekeeping
  kOtherEvent,    // an event thaw does not act on (PutObject, ObjectCreated, other services)
  kSucceeded,     // a read that succeeded: nothing to restore
  kOtherError,    // a read that failed for another reason (AccessDenied, NoSuchKey, 5xx...)
  kUnknownShape,  // a record of no format thaw knows, or of a format not asked for
  kMalformed,     // a relevant record with a missing or wrongly typed field, or an undecodable key
};
inline constexpr size_t kIgnoreReasonCount = 6;
std::string_view IgnoreReasonName(IgnoreReason reason);

struct Ignored {
  IgnoreReason reason = IgnoreReason::kOtherEvent;
  Format format = Format::kUnknown;
  std::string detail;      // human-readable: "eventName PutObject", "line 7: 9 fields"
  std::string event_id;    // when the record had one
  std::string message_id;  // SQS message id within a batch
};

// One message of a Lambda SQS batch, in batch order. A message whose body cannot be parsed has a
// non-OK status; its siblings are still parsed, so the handler can report exactly the failed
// messageIds as batchItemFailures.
struct SqsMessage {
  std::string message_id;
  std::string event_source_arn;  // the queue's ARN
  Status status;                 // OK, or why the body was unreadable
};

// Everything one call learned. Events keep input order.
struct Parsed {
  Format format = Format::kUnknown;  // the outermost shape recognised
  std::vector<Event> events;
  // Ignored records, at most Limits::max_ignored_kept of them (in input order); the counts are
  // always complete. Bulk inputs (log files) ignore almost every record, so details are capped.
  std::vector<Ignored> ignored;
  std::array<uint64_t, kIgnoreReasonCount> ignored_count{};
  std::vector<SqsMessage> sqs_messages;  // only for Format::kSqsBatch
  uint64_t records_seen = 0;             // records or log lines examined

  uint64_t IgnoredTotal() const;
  uint64_t IgnoredCount(IgnoreReason r) const { return ignored_count[static_cast<size_t>(r)]; }
  // True when a record looked relevant but could not be read: a source should treat the
  // message as poison (dead-letter it with the details) rather than silently drop it.
  bool HasMalformed() const { return IgnoredCount(IgnoreReason::kMalformed) > 0; }
};

// S3's longest object key, in bytes. An event naming a longer one is malformed (S3 could not
// have written it) and is ignored as kMalformed, never acted on.
inline constexpr size_t kMaxKeyBytes = 1024;

// Bounds on the work and memory one call may use. Beyond them the call fails with
// kResourceExhausted (ParseErrorKind::kTooLarge / kTooDeep / kTooManyRecords).
struct Limits {
  // Largest input accepted, compressed or not. SQS and EventBridge cap messages at 256 KiB and
  // Lambda events at 6 MB; CloudTrail log files are a few MB compressed.
  size_t max_input_bytes = 64u << 20;
  // Largest JSON document or text after gzip inflation (defends against zip bombs). simdjson
  // needs about 5 bytes of index and string buffer per input byte, so a document at this limit
  // costs ~640 MiB of memory; lower it on small Lambda functions.
  size_t max_document_bytes = 128u << 20;
  // Envelope nesting: SQS batch -> SNS envelope -> EventBridge event is 3 levels; gzip counts
  // one. Deeper nesting is never produced by AWS and is refused.
  int max_nesting = 4;
  // Records or log lines per call.
  size_t max_records = 10'000'000;
  // Longest access log line. Keys are at most 1 KiB (3 KiB encoded), user agents are long.
  size_t max_line_bytes = 64u << 10;
  // Largest SQS message body (SQS's own maximum, 1 MiB since August 2025) and EventBridge event
  // (a PutEvents entry is at most 256 KiB). Anything larger did not come from those services
  // as they are documented: it is refused (kTooLarge) before its records are read.
  size_t max_sqs_message_bytes = 1u << 20;
  size_t max_eventbridge_event_bytes = 256u << 10;
  // Ignored entries kept with details; the rest are only counted.
  size_t max_ignored_kept = 1000;
};

// Why a message could not be parsed at all. Attached to the error Status.
enum class ParseErrorKind {
  kBadJson,         // not JSON, or truncated JSON
  kWrongType,       // a structural field of the wrong JSON type ("Records" not an array...)
  kUnknownShape,    // valid input of no shape thaw knows, or not the shape asked for
  kBadGzip,         // corrupt or truncated gzip
  kBadLine,         // an access log line that cannot be split into its fields
  kTooLarge,        // over max_input_bytes / max_document_bytes / max_line_bytes / max_sqs_...
  kTooDeep,         // envelopes nested beyond max_nesting
  kTooManyRecords,  // over max_records
};
std::string_view ParseErrorKindName(ParseErrorKind kind);

class ParseErrorDetail : public StatusDetail {
 public:
  explicit ParseErrorDetail(ParseErrorKind kind) : kind_(kind) {}
  ParseErrorKind kind() const { return kind_; }

 private:
  ParseErrorKind kind_;
};

// A Status for a parse failure: kInvalidArgument for bad input, kDataLoss for corrupt gzip,
// kResourceExhausted for limits; always with a ParseErrorDetail.
Status ParseError(ParseErrorKind kind, std::string message);
// The kind of a parse error, or nullopt when `s` is OK or not from a parser.
std::optional<ParseErrorKind> ParseErrorKindOf(const Status& s);

}  // namespace thaw::events
