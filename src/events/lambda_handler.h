// What `thaw lambda` does with one invocation's payload: parse it (message.h), hand the events
// to an EventSink, and build the answer Lambda expects.
//
//   payload                              answer
//   SQS batch (Records, aws:sqs)         {"batchItemFailures":[{"itemIdentifier":"<messageId>"}]}
//                                        listing every message that must come back: an
//                                        unreadable body, a malformed relevant record, or an
//                                        event the sink could not act on. The others are done
//                                        (Lambda deletes them). Needs ReportBatchItemFailures
//                                        on the event source mapping (the template sets it).
//   anything else (EventBridge event,    {"events":N,"ignored":M} when every event was acted
//   S3/SNS notification...)              on; otherwise an error, so that Lambda's async retry
//                                        and on-failure destination take over
//   unreadable payload                   an error of type Thaw.InvalidEvent
//
// The sink decides what "acted on" means; for Lambda it must be durable beyond the execution
// environment (the process is frozen after the answer and /tmp may vanish), so the engine sink
// waits until S3 has answered each RestoreObject (lambda_sink.h).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "events/types.h"

namespace thaw::events {

// Acts on parsed events. Implementations: the engine sink (lambda_sink.h) and test fakes.
class EventSink {
 public:
  virtual ~EventSink() = default;
  // Acts on every event and returns one Status per event (same order): OK once the event's
  // effect is durable, an error otherwise. Must return by `deadline`.
  virtual std::vector<Status> Apply(std::span<const Event* const> events,
                                    Clock::TimePoint deadline) = 0;
};

struct HandlerOptions {
  Limits limits;
};

// The error types reported to Lambda for handler failures.
inline constexpr std::string_view kInvalidEventError = "Thaw.InvalidEvent";
inline constexpr std::string_view kEventFailedError = "Thaw.EventFailed";
// The errorType for a status returned by HandleLambdaEvent.
std::string LambdaErrorType(const Status& s);

// Handles one payload (see above). A non-OK result is reported as an invocation error.
Result<std::string> HandleLambdaEvent(std::string_view payload, EventSink& sink,
                                      Clock::TimePoint deadline,
                                      const HandlerOptions& options = {});

}  // namespace thaw::events
