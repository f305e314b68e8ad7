// One Lambda invocation's payload to events, sink and answer (see lambda_handler.h).
#include "events/lambda_handler.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <set>

#include "events/message.h"

namespace thaw::events {
namespace {

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void LogIgnored(const Parsed& parsed) {
  for (const Ignored& ig : parsed.ignored) {
    if (ig.reason == IgnoreReason::kMalformed) {
      spdlog::warn("lambda: malformed {} record{}{}: {}", FormatName(ig.format),
                   ig.message_id.empty() ? "" : " in message ", ig.message_id, ig.detail);
    } else {
      spdlog::debug("lambda: ignored {} record ({}): {}", FormatName(ig.format),
                    IgnoreReasonName(ig.reason), ig.detail);
    }
  }
}

// An SQS batch: every message stands alone; the answer lists those that must be redelivered.
Result<std::string> HandleSqsBatch(const Parsed& parsed, EventSink& sink,
                                   Clock::TimePoint deadline) {
  std::set<std::string> failed;
  for (const SqsMessage& m : parsed.sqs_messages) {
    if (!m.status.ok()) {
      spdlog::warn("lambda: SQS message {} unreadable: {}", m.message_id, m.status.ToString());
      failed.insert(m.message_id);
    }
  }
  // A relevant record that could not be read is poison: let SQS count its receives and move it
  // to the dead-letter queue rather than drop it silently. Ignored details are capped
  // (Limits::max_ignored_kept); if some malformed records were only counted, their messages
  // are unknown and the whole batch comes back.
  uint64_t malformed_listed = 0;
  for (const Ignored& ig : parsed.ignored) {
    if (ig.reason != IgnoreReason::kMalformed) continue;
    ++malformed_listed;
    failed.insert(ig.message_id);
  }
  if (malformed_listed < parsed.IgnoredCount(IgnoreReason::kMalformed)) {
    for (const SqsMessage& m : parsed.sqs_messages) failed.insert(m.message_id);
  }

  std::vector<const Event*> todo;
  for (const Event& e : parsed.events) {
    if (!failed.count(e.message_id)) todo.push_back(&e);
  }
  std::vector<Status> results = sink.Apply(todo, deadline);
  for (size_t i = 0; i < todo.size(); ++i) {
    if (i >= results.size() || !results[i].ok()) {
      spdlog::warn("lambda: SQS message {}: {} s3://{}/{}: {}", todo[i]->message_id,
                   EventKindName(todo[i]->kind), todo[i]->bucket, todo[i]->key,
                   i < results.size() ? results[i].ToString() : "no result");
      failed.insert(todo[i]->message_id);
    }
  }

  nlohmann::json items = nlohmann::json::array();
  for (const SqsMessage& m : parsed.sqs_messages) {  // batch order, each id once
    if (failed.erase(m.message_id)) items.push_back({{"itemIdentifier", m.message_id}});
  }
  spdlog::info("lambda: SQS batch of {} messages, {} events, {} failed", parsed.sqs_messages.size(),
               parsed.events.size(), items.size());
  return Dump({{"batchItemFailures", items}});
}

}  // namespace

std::string LambdaErrorType(const Status& s) {
  if (ParseErrorKindOf(s) || s.IsInvalidArgument()) return std::string(kInvalidEventError);
  return std::string(kEventFailedError);
}

Result<std::string> HandleLambdaEvent(std::string_view payload, EventSink& sink,
                                      Clock::TimePoint deadline, const HandlerOptions& options) {
  auto parsed = ParseMessage(payload, options.limits);
  if (!parsed.ok()) return parsed.status().WithContext("unreadable event");
  LogIgnored(*parsed);
  if (parsed->format == Format::kSqsBatch) return HandleSqsBatch(*parsed, sink, deadline);

  if (parsed->HasMalformed()) {
    const Ignored* first = nullptr;
    for (const Ignored& ig : parsed->ignored) {
      if (ig.reason == IgnoreReason::kMalformed) {
        first = &ig;
        break;
      }
    }
    return Status::InvalidArgument("malformed " +
                                   std::string(FormatName(first ? first->format : parsed->format)) +
                                   " record" + (first ? ": " + first->detail : std::string()));
  }
  std::vector<const Event*> todo;
  for (const Event& e : parsed->events) todo.push_back(&e);
  std::vector<Status> results = sink.Apply(todo, deadline);
  for (size_t i = 0; i < todo.size(); ++i) {
    Status s = i < results.size() ? results[i] : Status::Internal("sink returned no result");
    if (!s.ok()) {
      // Not InvalidArgument: the event was fine, acting on it failed; a retry may succeed.
      return Status(s.IsInvalidArgument() ? StatusCode::kFailedPrecondition : s.code(),
                    std::string(EventKindName(todo[i]->kind)) + " s3://" + todo[i]->bucket + "/" +
                        todo[i]->key + ": " + s.message());
    }
  }
  spdlog::info("lambda: {} event: {} events, {} ignored", FormatName(parsed->format),
               parsed->events.size(), parsed->IgnoredTotal());
  return Dump({{"events", parsed->events.size()}, {"ignored", parsed->IgnoredTotal()}});
}

}  // namespace thaw::events
