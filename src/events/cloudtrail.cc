// CloudTrail record classification (see cloudtrail.h for the rules). Runs once per record of
// every CloudTrail log file, so the common cases (not S3, not a read, no error) return before
// any allocation.
#include "events/cloudtrail.h"

#include <algorithm>

#include "common/strings.h"
#include "common/time_format.h"
#include "events/internal/classify.h"

namespace thaw::events {

CloudTrailKey DecodeCloudTrailKey(std::string_view raw) {
  CloudTrailKey out{std::string(raw), std::nullopt};
  if (raw.find('%') == std::string_view::npos) return out;
  // A '%' that does not start a valid escape makes the whole value undecodable: then the
  // value cannot be an encoded key, and the verbatim reading is the only one.
  std::optional<std::string> decoded = UriDecode(raw, /*plus_is_space=*/false);
  if (decoded && !decoded->empty() && *decoded != raw) out.alternate = std::move(*decoded);
  return out;
}

namespace internal {
namespace {

constexpr std::string_view kS3EventSource = "s3.amazonaws.com";

constexpr auto Bit = Fields::Bit;

// Fields needed to tell whether a record is relevant: of the wrong type, the record is
// malformed whatever it is.
constexpr uint64_t kDeciding = Bit(Slot::kEventName) | Bit(Slot::kErrorCode);
// Fields whose wrong type makes a relevant record unusable. eventTime and the principal are
// only informative: a wrong type there just leaves them empty.
constexpr uint64_t kEssential =
    Bit(Slot::kEventId) | Bit(Slot::kReqBucket) | Bit(Slot::kReqKey) | Bit(Slot::kReqVersionId);

bool IsReadEvent(std::string_view name) {
  return std::find(kCloudTrailReadEvents.begin(), kCloudTrailReadEvents.end(), name) !=
         kCloudTrailReadEvents.end();
}

std::string_view FirstNonEmpty(std::string_view a, std::string_view b, std::string_view c = {}) {
  if (!a.empty()) return a;
  if (!b.empty()) return b;
  return c;
}

}  // namespace

void ClassifyCloudTrail(const Fields& r, Format format, const Envelope* envelope, Sink& sink) {
  const std::string_view event_id =
      FirstNonEmpty(r.Get(Slot::kEventId), envelope ? envelope->id : std::string_view());
  if (r.Get(Slot::kEventSource) != kS3EventSource) {
    if (r.Bad(Slot::kEventSource)) {
      sink.Ignore(IgnoreReason::kMalformed, format, "eventSource", "is not a string", event_id);
    } else {
      sink.Ignore(IgnoreReason::kOtherEvent, format, "eventSource", r.Get(Slot::kEventSource),
                  event_id);
    }
    return;
  }
  if (Slot bad = FirstBad(r, kDeciding); bad != Slot::kCount) {
    sink.Ignore(IgnoreReason::kMalformed, format, SlotPath(bad), "has the wrong JSON type",
                event_id);
    return;
  }
  const std::string_view name = r.Get(Slot::kEventName);
  if (!IsReadEvent(name)) {
    sink.Ignore(IgnoreReason::kOtherEvent, format, "eventName", name, event_id);
    return;
  }
  const std::string_view error = r.Get(Slot::kErrorCode);
  if (error.empty()) {
    sink.Ignore(IgnoreReason::kSucceeded, format, name, "succeeded", event_id);
    return;
  }
  if (error != kInvalidObjectState) {
    sink.Ignore(IgnoreReason::kOtherError, format, "errorCode", error, event_id);
    return;
  }
  if (Slot bad = FirstBad(r, kEssential); bad != Slot::kCount) {
    sink.Ignore(IgnoreReason::kMalformed, format, SlotPath(bad), "has the wrong JSON type",
                event_id);
    return;
  }
  const std::string_view bucket = r.Get(Slot::kReqBucket);
  const std::string_view raw_key = r.Get(Slot::kReqKey);
  if (bucket.empty() || raw_key.empty()) {
    sink.Ignore(IgnoreReason::kMalformed, format,
                bucket.empty() ? "requestParameters.bucketName" : "requestParameters.key",
                "is missing", event_id);
    return;
  }

  Event e;
  e.kind = EventKind::kRestoreWanted;
  e.format = format;
  e.bucket = std::string(bucket);
  CloudTrailKey key = DecodeCloudTrailKey(raw_key);
  e.key = std::move(key.key);
  e.alternate_key = std::move(key.alternate);
  e.version_id = std::string(r.Get(Slot::kReqVersionId));
  e.event_id = std::string(event_id);
  e.request_id = std::string(r.Get(Slot::kRequestId));
  e.account_id = std::string(FirstNonEmpty(r.Get(Slot::kRecipientAccount),
                                           envelope ? envelope->account : std::string_view(),
                                           r.Get(Slot::kPrincipalAccount)));
  e.region = std::string(
      FirstNonEmpty(r.Get(Slot::kAwsRegion), envelope ? envelope->region : std::string_view()));
  std::string_view time =
      FirstNonEmpty(r.Get(Slot::kEventTime), envelope ? envelope->time : std::string_view());
  if (!time.empty()) e.time = ParseIso8601(time);
  e.event_name = std::string(name);
  e.error_code = std::string(error);
  e.principal = std::string(r.Get(Slot::kPrincipalArn));
  sink.Add(std::move(e));
}

}  // namespace internal
}  // namespace thaw::events
