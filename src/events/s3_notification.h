// S3's own restore events, as event notifications (to SQS, SNS or Lambda) and as EventBridge
// events. They tell thaw that a restore it (or anyone) asked for started, finished, or that the
// restored copy expired; the engine uses them to complete tracking without HEAD polling.
//
//   notification eventName       EventBridge detail-type      EventKind
//   ObjectRestore:Post           Object Restore Initiated     kRestoreInitiated
//   ObjectRestore:Completed      Object Restore Completed     kRestoreCompleted
//   ObjectRestore:Delete         Object Restore Expired       kRestoreExpired
// ("s3:" prefixes are accepted.) Every other S3 event (ObjectCreated, lifecycle...) is ignored
// as kOtherEvent, and the s3:TestEvent S3 sends when notifications are configured as
// kTestEvent.
//
// Keys: notifications URL-encode keys form-style ("red flower.jpg" arrives as
// "red+flower.jpg"); the key is decoded with '+' as space, and a key with a malformed escape
// makes the record kMalformed. EventBridge keys are decoded the same way (unconfirmed whether
// EventBridge encodes them); when decoding changes an EventBridge key, the verbatim value is
// kept as Event::alternate_key.
//
// Times: lifecycleRestorationExpiryTime / restore-expiry-time become Event::restore_expiry;
// lifecycleRestoreStorageClass / source-storage-class become Event::storage_class.
#pragma once

#include <optional>
#include <string_view>

#include "events/types.h"

namespace thaw::events {

// The kind for a notification eventName ("ObjectRestore:Completed", with or without "s3:"),
// nullopt for any other event.
std::optional<EventKind> RestoreKindFromEventName(std::string_view event_name);
// The kind for an EventBridge detail-type ("Object Restore Completed"), nullopt otherwise.
std::optional<EventKind> RestoreKindFromDetailType(std::string_view detail_type);

}  // namespace thaw::events
