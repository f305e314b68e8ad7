// Parsed events -> restore engine calls (see dispatch.h).
#include "events/dispatch.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

#include "events/message.h"

namespace thaw::events {
namespace {

restore::ObjectRef RefOf(const Event& e) {
  return {e.bucket, e.key, e.version_id};
}

// Submits the alternate reading of a key once the first one turned out not to exist.
void SubscribeAlternate(const std::shared_ptr<restore::RestoreHandle>& handle,
                        restore::ObjectRef alternate, restore::Engine& engine,
                        const restore::SubmitOptions& submit) {
  handle->Subscribe([alternate = std::move(alternate), &engine,
                     submit](const Result<restore::RestoreRecord>& r) {
    if (!r.ok() || r->state != restore::State::kFailed || r->reason != restore::Reason::kNotFound) {
      return;
    }
    auto again = engine.Submit(alternate, submit);
    if (!again.ok()) {
      spdlog::warn("events: restore of alternate key {} failed: {}", alternate.ToString(),
                   again.status().ToString());
    }
  });
}

// Counts by name, kept in first-seen order.
class Tally {
 public:
  void Add(std::string name, uint64_t n = 1) {
    if (n == 0) return;
    auto [it, inserted] = index_.emplace(name, items_.size());
    if (inserted) items_.emplace_back(std::move(name), 0);
    items_[it->second].second += n;
  }
  std::vector<std::pair<std::string, uint64_t>> Take() { return std::move(items_); }

 private:
  std::map<std::string, size_t> index_;
  std::vector<std::pair<std::string, uint64_t>> items_;
};

}  // namespace

Result<DispatchOutcome> DispatchParsed(const Parsed& parsed, restore::Engine& engine,
                                       const DispatchOptions& options) {
  DispatchOutcome out;
  out.format = parsed.format;
  out.records_seen = parsed.records_seen;
  Tally tally;
  for (size_t i = 0; i < kIgnoreReasonCount; ++i) {
    auto reason = static_cast<IgnoreReason>(i);
    uint64_t n = parsed.IgnoredCount(reason);
    out.ignored += n;
    tally.Add("ignored." + std::string(IgnoreReasonName(reason)), n);
  }
  if (parsed.HasMalformed()) {
    out.poison =
        std::to_string(parsed.IgnoredCount(IgnoreReason::kMalformed)) + " malformed record(s)";
    for (const auto& ig : parsed.ignored) {
      if (ig.reason == IgnoreReason::kMalformed) {
        out.poison += ": " + ig.detail;
        break;
      }
    }
  }

  std::set<std::string> failed_ids;
  for (const auto& m : parsed.sqs_messages) {
    if (!m.status.ok()) failed_ids.insert(m.message_id);
  }
  // In a Lambda batch a malformed record fails its own message only.
  if (parsed.format == Format::kSqsBatch) {
    for (const auto& ig : parsed.ignored) {
      if (ig.reason == IgnoreReason::kMalformed && !ig.message_id.empty()) {
        failed_ids.insert(ig.message_id);
      }
    }
  }

  Status first_error;
  for (const Event& e : parsed.events) {
    switch (e.kind) {
      case EventKind::kRestoreWanted: {
        restore::SubmitOptions submit = options.submit;
        submit.source = restore::Source::kEvent;
        auto handle = engine.Submit(RefOf(e), submit);
        if (!handle.ok()) {
          spdlog::warn("events: submit {} failed: {}", RefOf(e).ToString(),
                       handle.status().ToString());
          if (parsed.format == Format::kSqsBatch && !e.message_id.empty()) {
            failed_ids.insert(e.message_id);
          } else if (first_error.ok()) {
            first_error = handle.status();
          }
          continue;
        }
        ++out.restores_submitted;
        if (options.try_alternate_keys && e.alternate_key) {
          SubscribeAlternate(*handle, {e.bucket, *e.alternate_key, e.version_id}, engine, submit);
        }
        out.handles.push_back(std::move(*handle));
        break;
      }
      case EventKind::kRestoreCompleted: {
        Status s = engine.NotifyCompleted(RefOf(e), e.restore_expiry);
        if (!s.ok()) {
          spdlog::warn("events: completion of {} failed: {}", RefOf(e).ToString(), s.ToString());
          if (parsed.format == Format::kSqsBatch && !e.message_id.empty()) {
            failed_ids.insert(e.message_id);
          } else if (first_error.ok()) {
            first_error = s;
          }
          continue;
        }
        ++out.completions;
        out.completed.push_back({RefOf(e), e.storage_class});
        // Whether EventBridge encodes keys is unconfirmed (s3_notification.h): the other
        // reading is completed too; NotifyCompleted ignores objects it does not track.
        if (e.alternate_key) {
          restore::ObjectRef alt{e.bucket, *e.alternate_key, e.version_id};
          // Hooks run for the other reading only when the journal knows that object.
          if (engine.NotifyCompleted(alt, e.restore_expiry).ok() && engine.Query(alt).ok()) {
            out.completed.push_back({alt, e.storage_class});
          }
        }
        break;
      }
      case EventKind::kRestoreInitiated:
      case EventKind::kRestoreExpired:
        ++out.ignored;
        tally.Add("event." + std::string(EventKindName(e.kind)));
        break;
    }
  }
  out.ignored_by_reason = tally.Take();
  out.failed_message_ids.assign(failed_ids.begin(), failed_ids.end());
  if (!first_error.ok()) return first_error;
  return out;
}

Result<DispatchOutcome> Dispatch(std::string_view bytes, restore::Engine& engine,
                                 const DispatchOptions& options) {
  THAW_ASSIGN_OR_RETURN(Parsed parsed, ParseMessage(bytes, options.limits));
  return DispatchParsed(parsed, engine, options);
}

bool IsPermanent(const Status& s) {
  return ParseErrorKindOf(s).has_value();
}

}  // namespace thaw::events
