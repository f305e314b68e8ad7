// Names of the event types, and the one constructor of parse errors so that every error the
// parsers return has a ParseErrorDetail and a Status code chosen by what the caller can do:
// retrying never helps, so bad input is kInvalidArgument, corrupt compressed data kDataLoss and
// a limit kResourceExhausted (a caller with larger limits could read it).
#include "events/types.h"

#include <memory>

namespace thaw::events {

std::string_view EventKindName(EventKind kind) {
  switch (kind) {
    case EventKind::kRestoreWanted:
      return "restore-wanted";
    case EventKind::kRestoreInitiated:
      return "restore-initiated";
    case EventKind::kRestoreCompleted:
      return "restore-completed";
    case EventKind::kRestoreExpired:
      return "restore-expired";
  }
  return "?";
}

std::string_view FormatName(Format format) {
  switch (format) {
    case Format::kUnknown:
      return "unknown";
    case Format::kCloudTrailRecord:
      return "cloudtrail-record";
    case Format::kCloudTrailLog:
      return "cloudtrail-log";
    case Format::kEventBridgeCloudTrail:
      return "eventbridge-cloudtrail";
    case Format::kS3Notification:
      return "s3-notification";
    case Format::kEventBridgeS3:
      return "eventbridge-s3";
    case Format::kEventBridgeOther:
      return "eventbridge-other";
    case Format::kS3TestEvent:
      return "s3-test-event";
    case Format::kSnsEnvelope:
      return "sns";
    case Format::kSqsBatch:
      return "sqs-batch";
    case Format::kAccessLog:
      return "access-log";
    case Format::kJsonLines:
      return "json-lines";
  }
  return "?";
}

std::string_view IgnoreReasonName(IgnoreReason reason) {
  switch (reason) {
    case IgnoreReason::kTestEvent:
      return "test-event";
    case IgnoreReason::kOtherEvent:
      return "other-event";
    case IgnoreReason::kSucceeded:
      return "succeeded";
    case IgnoreReason::kOtherError:
      return "other-error";
    case IgnoreReason::kUnknownShape:
      return "unknown-shape";
    case IgnoreReason::kMalformed:
      return "malformed";
  }
  return "?";
}

std::string_view ParseErrorKindName(ParseErrorKind kind) {
  switch (kind) {
    case ParseErrorKind::kBadJson:
      return "bad-json";
    case ParseErrorKind::kWrongType:
      return "wrong-type";
    case ParseErrorKind::kUnknownShape:
      return "unknown-shape";
    case ParseErrorKind::kBadGzip:
      return "bad-gzip";
    case ParseErrorKind::kBadLine:
      return "bad-line";
    case ParseErrorKind::kTooLarge:
      return "too-large";
    case ParseErrorKind::kTooDeep:
      return "too-deep";
    case ParseErrorKind::kTooManyRecords:
      return "too-many-records";
  }
  return "?";
}

uint64_t Parsed::IgnoredTotal() const {
  uint64_t total = 0;
  for (uint64_t n : ignored_count) total += n;
  return total;
}

Status ParseError(ParseErrorKind kind, std::string message) {
  StatusCode code = StatusCode::kInvalidArgument;
  switch (kind) {
    case ParseErrorKind::kBadGzip:
      code = StatusCode::kDataLoss;
      break;
    case ParseErrorKind::kTooLarge:
    case ParseErrorKind::kTooDeep:
    case ParseErrorKind::kTooManyRecords:
      code = StatusCode::kResourceExhausted;
      break;
    default:
      break;
  }
  return Status(code, std::move(message), std::make_shared<ParseErrorDetail>(kind));
}

std::optional<ParseErrorKind> ParseErrorKindOf(const Status& s) {
  if (const auto* d = s.detail_as<ParseErrorDetail>()) return d->kind();
  return std::nullopt;
}

}  // namespace thaw::events
