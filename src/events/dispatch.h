// The dispatcher: what every event source (`thaw serve`, `thaw scan`, `thaw lambda`) does with
// a message once it has the bytes. It parses them (message.h) and turns each event into a call
// on the restore engine:
//   - kRestoreWanted (a GetObject/HeadObject that failed with InvalidObjectState) ->
//     Engine::Submit with source kEvent; the policy decides tier and days (or denies);
//   - kRestoreCompleted -> Engine::NotifyCompleted with the event's expiry when it has one
//     (for both readings of a key whose encoding is uncertain: types.h, alternate_key);
//   - kRestoreInitiated / kRestoreExpired and every ignored record -> nothing, counted with a
//     reason (the engine's own tracker follows its restores; expiry is found by the next HEAD).
// Duplicates, replays and out-of-order events are harmless: Submit joins a request already in
// flight and skips an object that HEAD shows readable; NotifyCompleted ignores unknown objects.
//
// Acknowledgement: when Dispatch returns OK, everything the message asked for is in the
// journal (Submit returns once journaled), so the source may delete the message. An error
// means nothing can be promised; the source should let the message come back. Parse errors
// (kInvalidArgument, kDataLoss, kResourceExhausted with a ParseErrorDetail) will fail the same
// way every time: IsPermanent() tells a source to dead-letter at once.
//
// A readable message with a relevant but malformed record still dispatches the good events and
// sets DispatchOutcome::poison, so a source can dead-letter it with the details rather than
// drop it silently.
//
// Lambda SQS batches ({"Records":[{"messageId",...}]}): every message is judged on its own;
// DispatchOutcome::failed_message_ids lists those to report as batchItemFailures, and Dispatch
// itself succeeds.
//
// Thread safety: Dispatch may be called from many threads at once with the same engine.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "events/types.h"
#include "restore/engine.h"

namespace thaw::events {

struct DispatchOptions {
  Limits limits;
  // Passed to every Submit (budget waiting; tier/days overrides are left to the policy).
  restore::SubmitOptions submit;
  // When a CloudTrail key could be read two ways (types.h, alternate_key), submit the other
  // reading if the first ends NotFound. The follow-up is not journaled until it is submitted:
  // a crash in between loses it (the next failed read emits a new event).
  bool try_alternate_keys = true;
};

// An object a restore-completed event named.
struct CompletedObject {
  restore::ObjectRef object;
  std::string storage_class;  // the class it was restored from, when the event says
};

struct DispatchOutcome {
  Format format = Format::kUnknown;  // outermost shape of the message
  uint64_t records_seen = 0;
  int restores_submitted = 0;  // Submit calls that returned (journaled)
  int completions = 0;         // NotifyCompleted calls
  uint64_t ignored = 0;        // records and events not acted on
  // Per reason: "ignored.other-event" etc. and "event.restore-initiated", for logs and metrics.
  std::vector<std::pair<std::string, uint64_t>> ignored_by_reason;
  // Handles of the submitted restores (the same handle may appear twice for duplicates), for
  // hooks that run on completion.
  std::vector<std::shared_ptr<restore::RestoreHandle>> handles;
  // Objects a completion event named (hooks may run for them at once).
  std::vector<CompletedObject> completed;
  // Non-empty when a relevant record could not be read: the details, for a dead-letter reason.
  std::string poison;
  // Lambda SQS batches: messageIds whose body was unreadable or whose events failed to submit.
  std::vector<std::string> failed_message_ids;
};

// Parses `bytes` (any shape ParseMessage reads) and dispatches its events.
Result<DispatchOutcome> Dispatch(std::string_view bytes, restore::Engine& engine,
                                 const DispatchOptions& options = {});

// Dispatches already-parsed events (`thaw scan` parses log files itself).
Result<DispatchOutcome> DispatchParsed(const Parsed& parsed, restore::Engine& engine,
                                       const DispatchOptions& options = {});

// True when `s` (from Dispatch) will fail the same way on every delivery: the message is
// unreadable. Other errors (a journal that cannot be written, an engine shutting down) may pass.
bool IsPermanent(const Status& s);

}  // namespace thaw::events
