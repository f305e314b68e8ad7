// Classification of S3 restore events (rules in s3_notification.h) and the de-duplication id
// they share across delivery paths: "<kind>:<request id>:<sequencer>". S3 puts the same
// request id and sequencer into the notification and into the EventBridge event of one
// occurrence, so a bucket that sends both yields one id.
#include "events/s3_notification.h"

#include "common/strings.h"
#include "common/time_format.h"
#include "events/internal/classify.h"

namespace thaw::events {

std::optional<EventKind> RestoreKindFromEventName(std::string_view name) {
  if (StartsWith(name, "s3:")) name.remove_prefix(3);
  if (name == "ObjectRestore:Post") return EventKind::kRestoreInitiated;
  if (name == "ObjectRestore:Completed") return EventKind::kRestoreCompleted;
  if (name == "ObjectRestore:Delete") return EventKind::kRestoreExpired;
  return std::nullopt;
}

std::optional<EventKind> RestoreKindFromDetailType(std::string_view detail_type) {
  if (detail_type == "Object Restore Initiated") return EventKind::kRestoreInitiated;
  if (detail_type == "Object Restore Completed") return EventKind::kRestoreCompleted;
  if (detail_type == "Object Restore Expired") return EventKind::kRestoreExpired;
  return std::nullopt;
}

namespace internal {
namespace {

constexpr auto Bit = Fields::Bit;
// Wrongly typed, these make a restore event unusable. Size, times and classes are informative.
constexpr uint64_t kEssential = Bit(Slot::kBucket) | Bit(Slot::kKey) | Bit(Slot::kVersionId);

std::string DedupId(EventKind kind, std::string_view request_id, std::string_view sequencer) {
  if (request_id.empty() && sequencer.empty()) return {};
  std::string id(EventKindName(kind));
  id += ':';
  id += request_id;
  id += ':';
  id += sequencer;
  return id;
}

// Fills the fields both shapes share; returns false (after recording why) when the record
// cannot be used. `keep_verbatim` (EventBridge) keeps the undecoded key as the alternate.
bool FillObject(const Fields& f, Format format, bool keep_verbatim, std::string_view event_id,
                Sink& sink, Event& e) {
  if (Slot bad = FirstBad(f, kEssential); bad != Slot::kCount) {
    sink.Ignore(IgnoreReason::kMalformed, format, SlotPath(bad), "has the wrong JSON type",
                event_id);
    return false;
  }
  std::string_view bucket = f.Get(Slot::kBucket), raw_key = f.Get(Slot::kKey);
  if (bucket.empty() || raw_key.empty()) {
    sink.Ignore(IgnoreReason::kMalformed, format, bucket.empty() ? "bucket name" : "object key",
                "is missing", event_id);
    return false;
  }
  std::optional<std::string> key = UriDecode(raw_key, /*plus_is_space=*/true);
  if (!key || key->empty()) {
    if (!keep_verbatim) {
      sink.Ignore(IgnoreReason::kMalformed, format, "object key", "is not URL-encoded", event_id);
      return false;
    }
    key = std::string(raw_key);  // EventBridge: the verbatim reading is the only one left
  }
  e.format = format;
  e.bucket = std::string(bucket);
  e.key = std::move(*key);
  if (keep_verbatim && e.key != raw_key) e.alternate_key = std::string(raw_key);
  e.version_id = std::string(f.Get(Slot::kVersionId));
  e.request_id = std::string(f.Get(Slot::kRequestId));
  if (f.Has(Slot::kSize)) e.size_bytes = f.size;
  if (f.Has(Slot::kRestoreExpiry)) e.restore_expiry = ParseAnyTime(f.Get(Slot::kRestoreExpiry));
  e.storage_class = std::string(f.Get(Slot::kRestoreClass));
  return true;
}

}  // namespace

void ClassifyS3Notification(const Fields& r, Sink& sink) {
  constexpr Format kFormat = Format::kS3Notification;
  const std::string_view name = r.Get(Slot::kEventName);
  std::optional<EventKind> kind = RestoreKindFromEventName(name);
  if (!kind) {
    if (r.Bad(Slot::kEventName)) {
      sink.Ignore(IgnoreReason::kMalformed, kFormat, "eventName", "is not a string");
    } else {
      sink.Ignore(IgnoreReason::kOtherEvent, kFormat, "eventName", name);
    }
    return;
  }
  Event e;
  e.kind = *kind;
  e.event_id = DedupId(*kind, r.Get(Slot::kRequestId), r.Get(Slot::kSequencer));
  if (!FillObject(r, kFormat, /*keep_verbatim=*/false, e.event_id, sink, e)) return;
  e.region = std::string(r.Get(Slot::kAwsRegion));
  if (r.Has(Slot::kEventTime)) e.time = ParseIso8601(r.Get(Slot::kEventTime));
  e.event_name = std::string(name);
  e.principal = std::string(r.Get(Slot::kPrincipalId));
  sink.Add(std::move(e));
}

void ClassifyEventBridgeS3(std::string_view detail_type, const Fields& d, const Envelope& envelope,
                           Sink& sink) {
  constexpr Format kFormat = Format::kEventBridgeS3;
  std::optional<EventKind> kind = RestoreKindFromDetailType(detail_type);
  if (!kind) {
    sink.Ignore(IgnoreReason::kOtherEvent, kFormat, "detail-type", detail_type, envelope.id);
    return;
  }
  Event e;
  e.kind = *kind;
  e.event_id = DedupId(*kind, d.Get(Slot::kRequestId), d.Get(Slot::kSequencer));
  if (e.event_id.empty()) e.event_id = std::string(envelope.id);
  if (!FillObject(d, kFormat, /*keep_verbatim=*/true, e.event_id, sink, e)) return;
  e.account_id = std::string(envelope.account);
  e.region = std::string(envelope.region);
  if (!envelope.time.empty()) e.time = ParseIso8601(envelope.time);
  e.event_name = std::string(detail_type);
  e.principal = std::string(d.Get(Slot::kRequester));
  sink.Add(std::move(e));
}

}  // namespace internal
}  // namespace thaw::events
