// Classifying and unwrapping messages (see message.h): gzip, JSON versus access-log text, the
// top-level JSON shapes, "Records" arrays judged record by record, and nested documents (SQS
// bodies, SNS Messages) parsed after their outer document.
//
// Nested documents are parsed after the outer walk finishes, from copies: simdjson's string
// views die with the next parse on the same (per-thread) parser, and deferring keeps one parser
// in use at a time.
#include "events/message.h"

#include <vector>

#include "common/strings.h"
#include "events/access_log.h"
#include "events/gzip.h"
#include "events/internal/classify.h"
#include "events/internal/json_walk.h"
#include "events/s3_notification.h"

namespace thaw::events {
namespace {

using internal::Fields;
using internal::Slot;

constexpr uint32_t Allow(Format f) {
  return uint32_t{1} << static_cast<int>(f);
}
constexpr uint32_t kAllowAll = ~uint32_t{0};

constexpr std::string_view kCloudTrailDetailType = "AWS API Call via CloudTrail";

// Largest input copied into the per-thread scratch buffer (see ParseText).
constexpr size_t kScratchMaxBytes = 16u << 20;

// A document found inside the current one, to be parsed when the current one is done.
struct Pending {
  bool is_sqs = false;  // an SQS message of a Lambda batch; else an SNS Message
  std::string message_id;
  std::string arn;
  std::string body;  // padded copy
  Status status;     // SQS: why there is no body to parse
};

// What Parsed holds before a nested document, to undo it if that document fails.
struct Snapshot {
  size_t events, ignored;
  std::array<uint64_t, kIgnoreReasonCount> ignored_count;
  uint64_t records_seen;
};

class Parser {
 public:
  Parser(const Limits& limits, uint32_t allowed, Parsed& out)
      : limits_(limits), allowed_(allowed), out_(out), sink_(limits, out) {}

  // Parses `bytes` (whose padded copy `padded` is, if the caller has one) at nesting `depth`.
  // Returns the outermost format recognised.
  Result<Format> Parse(std::string_view bytes, const std::string* padded, int depth);

 private:
  Result<Format> ParseText(std::string_view text, const std::string* padded, int depth);
  Result<Format> ParseJson(const std::string& padded, int depth);
  Result<Format> ParseEventBridge(const Fields& top, const Fields& detail);
  Result<Format> ParseSnsEnvelope(const Fields& f, std::vector<Pending>& pending);
  // The format of a single record (in a Records array or alone at the top), kUnknown if none.
  Format RecordFormat(const Fields& r, bool in_records) const;
  void HandleRecord(Format format, const Fields& r, std::vector<Pending>& pending);
  Status RunPending(std::vector<Pending>& pending, int depth);

  bool Allowed(Format f) const { return (allowed_ & Allow(f)) != 0; }
  Snapshot Take() const {
    return {out_.events.size(), out_.ignored.size(), out_.ignored_count, out_.records_seen};
  }
  void Restore(const Snapshot& s) {
    out_.events.erase(out_.events.begin() + static_cast<ptrdiff_t>(s.events), out_.events.end());
    out_.ignored.erase(out_.ignored.begin() + static_cast<ptrdiff_t>(s.ignored),
                       out_.ignored.end());
    out_.ignored_count = s.ignored_count;
    out_.records_seen = s.records_seen;
  }
  Status CountRecord() {
    if (sink_.CountRecord()) return Status::Ok();
    return ParseError(ParseErrorKind::kTooManyRecords,
                      "more than " + std::to_string(limits_.max_records) + " records");
  }

  const Limits& limits_;
  const uint32_t allowed_;
  Parsed& out_;
  internal::Sink sink_;
};

Result<Format> Parser::Parse(std::string_view bytes, const std::string* padded, int depth) {
  if (depth > limits_.max_nesting) {
    return ParseError(ParseErrorKind::kTooDeep, "envelopes nested more than " +
                                                    std::to_string(limits_.max_nesting) + " deep");
  }
  if (bytes.size() > limits_.max_input_bytes) {
    return ParseError(ParseErrorKind::kTooLarge, "input of " + std::to_string(bytes.size()) +
                                                     " bytes is over " +
                                                     std::to_string(limits_.max_input_bytes));
  }
  if (IsGzip(bytes)) {
    if (depth == 0) {
      // Top level (never re-entered on a thread): the inflated document goes to a buffer kept
      // per thread, as the padded copy below does; a fresh multi-MiB allocation per log file
      // cost page faults and zero-filling. A buffer grown past kScratchMaxBytes is let go.
      thread_local std::string inflated;
      Status s = InflateInto(bytes, limits_.max_document_bytes, internal::kPadding, inflated);
      if (inflated.capacity() > kScratchMaxBytes + internal::kPadding) {
        std::string big = std::move(inflated);
        inflated = std::string();
        THAW_RETURN_IF_ERROR(s);
        return ParseText(big, &big, depth + 1);
      }
      THAW_RETURN_IF_ERROR(s);
      return ParseText(inflated, &inflated, depth + 1);
    }
    THAW_ASSIGN_OR_RETURN(std::string text,
                          Inflate(bytes, limits_.max_document_bytes, internal::kPadding));
    return ParseText(text, &text, depth + 1);
  }
  return ParseText(bytes, padded, depth);
}

Result<Format> Parser::ParseText(std::string_view text, const std::string* padded, int depth) {
  if (text.size() > limits_.max_document_bytes) {
    return ParseError(ParseErrorKind::kTooLarge, "document of " + std::to_string(text.size()) +
                                                     " bytes is over " +
                                                     std::to_string(limits_.max_document_bytes));
  }
  size_t start = 0;
  if (StartsWith(text, "\xEF\xBB\xBF")) start = 3;  // a UTF-8 byte order mark
  size_t first = text.find_first_not_of(" \t\r\n", start);
  if (first == std::string_view::npos) {
    // An empty log file is a log with no lines; an empty message is not a message.
    if (allowed_ == Allow(Format::kAccessLog)) return Format::kAccessLog;
    return ParseError(ParseErrorKind::kUnknownShape, "empty message");
  }
  const bool json_allowed = (allowed_ & ~Allow(Format::kAccessLog)) != 0;
  if ((text[first] == '{' || text[first] == '[') && json_allowed) {
    if (padded != nullptr && start == 0) return ParseJson(*padded, depth);
    text.remove_prefix(start);
    if (depth == 0 && text.size() <= kScratchMaxBytes) {
      // The caller's bytes need a padded copy. At the top level (never re-entered) it goes to
      // a buffer kept per thread: a fresh multi-MiB allocation per call costs more in page
      // faults than the copy itself.
      thread_local std::string scratch;
      scratch.reserve(text.size() + internal::kPadding);
      scratch.assign(text.data(), text.size());
      return ParseJson(scratch, depth);
    }
    return ParseJson(internal::PaddedCopy(text), depth);
  }
  // Only an explicit access-log call reads any text as log lines; a generic message must look
  // like one first, so that garbage is an error rather than N malformed lines.
  if (Allowed(Format::kAccessLog) &&
      (allowed_ == Allow(Format::kAccessLog) || LooksLikeAccessLog(text.substr(start)))) {
    THAW_RETURN_IF_ERROR(internal::ClassifyAccessLog(text.substr(start), sink_));
    return Format::kAccessLog;
  }
  return ParseError(ParseErrorKind::kUnknownShape,
                    json_allowed ? "neither JSON nor an S3 access log" : "not an S3 access log");
}

Result<Format> Parser::ParseJson(const std::string& padded, int depth) {
  Fields top, detail;
  std::vector<Pending> pending;
  Format records_format = Format::kUnknown;
  internal::TopHooks hooks;
  hooks.detail = &detail;
  hooks.on_record = [&](const Fields* record) -> Status {
    THAW_RETURN_IF_ERROR(CountRecord());
    const bool is_object = record != nullptr;
    Format f = is_object ? RecordFormat(*record, /*in_records=*/true) : Format::kUnknown;
    if (f == Format::kSqsBatch && depth > 0) f = Format::kUnknown;  // batches are outermost
    if (f == Format::kUnknown || !Allowed(f)) {
      sink_.Ignore(IgnoreReason::kUnknownShape, f, "record",
                   is_object ? "of no format asked for" : "is not an object");
      return Status::Ok();
    }
    if (records_format == Format::kUnknown) records_format = f;
    HandleRecord(f, *record, pending);
    return Status::Ok();
  };
  THAW_RETURN_IF_ERROR(internal::WalkDocument(padded, limits_.max_document_bytes, top, hooks));

  Format format = Format::kUnknown;
  if (top.has_records) {
    // An empty Records array is what CloudTrail writes for a quiet interval.
    format = records_format != Format::kUnknown ? records_format
             : Allowed(Format::kCloudTrailLog)  ? Format::kCloudTrailLog
                                                : Format::kUnknown;
  } else if (top.Has(Slot::kDetailType) || top.Bad(Slot::kDetailType)) {
    if (padded.size() > limits_.max_eventbridge_event_bytes) {
      return ParseError(ParseErrorKind::kTooLarge,
                        "EventBridge event of " + std::to_string(padded.size()) +
                            " bytes is over EventBridge's maximum of " +
                            std::to_string(limits_.max_eventbridge_event_bytes));
    }
    THAW_ASSIGN_OR_RETURN(format, ParseEventBridge(top, detail));
  } else if (top.Has(Slot::kType) && (top.Has(Slot::kMessage) || top.Has(Slot::kSnsMessageId))) {
    THAW_ASSIGN_OR_RETURN(format, ParseSnsEnvelope(top, pending));
  } else if (top.Get(Slot::kTestEvent) == "s3:TestEvent") {
    if (!Allowed(Format::kS3TestEvent)) {
      return ParseError(ParseErrorKind::kUnknownShape, "an s3:TestEvent is not asked for here");
    }
    THAW_RETURN_IF_ERROR(CountRecord());
    sink_.Ignore(IgnoreReason::kTestEvent, Format::kS3TestEvent, "s3:TestEvent", {});
    format = Format::kS3TestEvent;
  } else {
    format = RecordFormat(top, /*in_records=*/false);
    if (format == Format::kSqsBatch || format == Format::kUnknown || !Allowed(format)) {
      return ParseError(ParseErrorKind::kUnknownShape,
                        "a JSON object of no shape asked for (no Records, detail-type, Type, "
                        "eventSource...)");
    }
    THAW_RETURN_IF_ERROR(CountRecord());
    HandleRecord(format, top, pending);
  }
  THAW_RETURN_IF_ERROR(RunPending(pending, depth));
  return format;
}

Result<Format> Parser::ParseEventBridge(const Fields& top, const Fields& detail) {
  const std::string_view detail_type = top.Get(Slot::kDetailType);
  const std::string_view source = top.Get(Slot::kSource);
  const internal::Envelope envelope{top.Get(Slot::kId), top.Get(Slot::kAccount),
                                    top.Get(Slot::kRegion), top.Get(Slot::kTime)};
  Format f = Format::kEventBridgeOther;
  if (detail_type == kCloudTrailDetailType) {
    f = Format::kEventBridgeCloudTrail;
  } else if (source == "aws.s3" && RestoreKindFromDetailType(detail_type)) {
    f = Format::kEventBridgeS3;
  }
  const bool any_eventbridge =
      Allowed(Format::kEventBridgeCloudTrail) || Allowed(Format::kEventBridgeS3);
  if (!Allowed(f) && !(f == Format::kEventBridgeOther && any_eventbridge)) {
    return ParseError(
        ParseErrorKind::kUnknownShape,
        "an EventBridge event of a kind not asked for here: " + std::string(detail_type));
  }
  THAW_RETURN_IF_ERROR(CountRecord());
  if (top.Bad(Slot::kDetailType)) {
    sink_.Ignore(IgnoreReason::kMalformed, f, "detail-type", "is not a string", envelope.id);
  } else if (f == Format::kEventBridgeOther) {
    std::string what = "detail-type \"" + std::string(detail_type) + "\" from";
    sink_.Ignore(IgnoreReason::kOtherEvent, f, what, source, envelope.id);
  } else if (!top.has_detail) {
    sink_.Ignore(IgnoreReason::kMalformed, f, "detail", "is missing", envelope.id);
  } else if (f == Format::kEventBridgeCloudTrail) {
    internal::ClassifyCloudTrail(detail, f, &envelope, sink_);
  } else {
    internal::ClassifyEventBridgeS3(detail_type, detail, envelope, sink_);
  }
  return f;
}

Result<Format> Parser::ParseSnsEnvelope(const Fields& f, std::vector<Pending>& pending) {
  if (!Allowed(Format::kSnsEnvelope)) {
    return ParseError(ParseErrorKind::kUnknownShape, "an SNS envelope is not asked for here");
  }
  THAW_RETURN_IF_ERROR(CountRecord());
  HandleRecord(Format::kSnsEnvelope, f, pending);
  return Format::kSnsEnvelope;
}

Format Parser::RecordFormat(const Fields& r, bool in_records) const {
  const std::string_view source = r.Get(Slot::kEventSource);
  if (source == "aws:sqs" ||
      (!r.Has(Slot::kEventSource) && r.Has(Slot::kBody) && r.Has(Slot::kMessageId))) {
    return Format::kSqsBatch;
  }
  if (r.Get(Slot::kEventSourceSns) == "aws:sns" || (r.Has(Slot::kType) && r.Has(Slot::kMessage))) {
    return Format::kSnsEnvelope;
  }
  // "aws:s3" from AWS; S3-compatible stores write "minio:s3", "ceph:s3".
  if (EndsWith(source, ":s3") ||
      (source.empty() && r.Has(Slot::kEventName) && (r.Has(Slot::kBucket) || r.Has(Slot::kKey)))) {
    return Format::kS3Notification;
  }
  if (r.Has(Slot::kEventSource) || r.Bad(Slot::kEventSource) || r.Has(Slot::kEventName)) {
    return in_records ? Format::kCloudTrailLog : Format::kCloudTrailRecord;
  }
  return Format::kUnknown;
}

void Parser::HandleRecord(Format format, const Fields& r, std::vector<Pending>& pending) {
  switch (format) {
    case Format::kSqsBatch: {
      Pending& p = pending.emplace_back();
      p.is_sqs = true;
      p.message_id = std::string(r.Get(Slot::kMessageId));
      p.arn = std::string(r.Get(Slot::kEventSourceArn));
      if (r.Has(Slot::kBody) && r.Get(Slot::kBody).size() > limits_.max_sqs_message_bytes) {
        // Refused unread: SQS cannot have delivered it (the message fails alone).
        p.status = ParseError(ParseErrorKind::kTooLarge,
                              "SQS message body of " + std::to_string(r.Get(Slot::kBody).size()) +
                                  " bytes is over SQS's maximum of " +
                                  std::to_string(limits_.max_sqs_message_bytes));
      } else if (r.Has(Slot::kBody)) {
        p.body = internal::PaddedCopy(r.Get(Slot::kBody));
      } else {
        p.status = ParseError(ParseErrorKind::kWrongType, r.Bad(Slot::kBody)
                                                              ? "SQS record: body is not a string"
                                                              : "SQS record: no body");
      }
      return;
    }
    case Format::kSnsEnvelope: {
      const std::string_view type = r.Get(Slot::kType), id = r.Get(Slot::kSnsMessageId);
      if (type != "Notification") {
        // SubscriptionConfirmation and UnsubscribeConfirmation: housekeeping, not events.
        sink_.Ignore(IgnoreReason::kTestEvent, format, "SNS Type", type, id);
      } else if (!r.Has(Slot::kMessage)) {
        sink_.Ignore(IgnoreReason::kMalformed, format, "SNS Message",
                     r.Bad(Slot::kMessage) ? "is not a string" : "is missing", id);
      } else {
        Pending& p = pending.emplace_back();
        p.message_id = std::string(id);
        p.body = internal::PaddedCopy(r.Get(Slot::kMessage));
      }
      return;
    }
    case Format::kS3Notification:
      internal::ClassifyS3Notification(r, sink_);
      return;
    case Format::kCloudTrailLog:
    case Format::kCloudTrailRecord:
      internal::ClassifyCloudTrail(r, format, nullptr, sink_);
      return;
    default:
      sink_.Ignore(IgnoreReason::kUnknownShape, format, "record", "of no known format");
      return;
  }
}

Status Parser::RunPending(std::vector<Pending>& pending, int depth) {
  for (Pending& p : pending) {
    if (!p.is_sqs) {
      // An SNS Message is part of its envelope: if it is unreadable, so is the envelope.
      THAW_RETURN_IF_ERROR(Parse(p.body, &p.body, depth + 1).status());
      continue;
    }
    // Each SQS message stands alone: its failure is recorded and its partial results undone.
    out_.sqs_messages.push_back(SqsMessage{p.message_id, p.arn, p.status});
    if (!p.status.ok()) continue;
    const size_t index = out_.sqs_messages.size() - 1;
    const Snapshot before = Take();
    const std::string outer_id = sink_.message_id();
    sink_.set_message_id(p.message_id);
    Result<Format> r = Parse(p.body, &p.body, depth + 1);
    sink_.set_message_id(outer_id);
    if (!r.ok()) {
      Restore(before);
      out_.sqs_messages[index].status = r.status();
    }
  }
  return Status::Ok();
}

Result<Parsed> Run(std::string_view bytes, const Limits& limits, uint32_t allowed) {
  Parsed out;
  Parser parser(limits, allowed, out);
  THAW_ASSIGN_OR_RETURN(out.format, parser.Parse(bytes, nullptr, 0));
  return out;
}

}  // namespace

Result<Parsed> ParseMessage(std::string_view bytes, const Limits& limits) {
  return Run(bytes, limits, kAllowAll);
}

Result<Parsed> ParseCloudTrailLog(std::string_view bytes, const Limits& limits) {
  return Run(bytes, limits, Allow(Format::kCloudTrailLog));
}

Result<Parsed> ParseCloudTrailEvent(std::string_view bytes, const Limits& limits) {
  return Run(bytes, limits,
             Allow(Format::kEventBridgeCloudTrail) | Allow(Format::kCloudTrailRecord));
}

Result<Parsed> ParseS3Notification(std::string_view bytes, const Limits& limits) {
  return Run(bytes, limits,
             Allow(Format::kS3Notification) | Allow(Format::kEventBridgeS3) |
                 Allow(Format::kSnsEnvelope) | Allow(Format::kS3TestEvent));
}

Result<Parsed> ParseAccessLog(std::string_view bytes, const Limits& limits) {
  return Run(bytes, limits, Allow(Format::kAccessLog));
}

}  // namespace thaw::events
