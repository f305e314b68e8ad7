// The SQS polling loop of `thaw serve` (see sqs_source.h).
#include "events/sqs_source.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace thaw::events {
namespace {

using std::chrono::seconds;

int64_t UnixSeconds(Clock::TimePoint t) {
  return std::chrono::duration_cast<seconds>(t.time_since_epoch()).count();
}

// The first `n` bytes of a body for a log line.
std::string Excerpt(const std::string& body, size_t n = 512) {
  return body.size() <= n ? body : body.substr(0, n) + "...";
}

}  // namespace

SqsSource::SqsSource(s3::SqsClient& sqs, restore::Engine& engine, Clock& clock,
                     SqsSourceOptions options)
    : sqs_(sqs), engine_(engine), clock_(clock), options_(std::move(options)) {
  options_.max_messages = std::clamp(options_.max_messages, 1, s3::kSqsMaxBatchEntries);
  options_.wait_time_seconds = std::clamp(options_.wait_time_seconds, 0, s3::kSqsMaxWaitSeconds);
  options_.visibility_timeout_seconds =
      std::clamp(options_.visibility_timeout_seconds, 3, s3::kSqsMaxVisibilitySeconds);
  options_.max_receives = std::max(1, options_.max_receives);
  options_.workers = std::max(1, options_.workers);
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
}

SqsSource::~SqsSource() {
  {
    std::lock_guard<std::mutex> g(hb_mu_);
    hb_stop_ = true;
  }
  hb_cv_.notify_all();
  heartbeat_.join();
}

void SqsSource::Stop() {
  stop_.store(true);
}

Status SqsSource::Run() {
  int consecutive_errors = 0;
  while (!stop_.load()) {
    Result<int> n = PollOnce();
    if (n.ok()) {
      consecutive_errors = 0;
      continue;
    }
    // A queue that is not there or not ours will not appear by waiting.
    if (n.status().IsNotFound() || n.status().code() == StatusCode::kPermissionDenied) {
      return n.status();
    }
    ++consecutive_errors;
    auto delay = std::min<int64_t>(30, int64_t{1} << std::min(consecutive_errors, 5));
    spdlog::warn("serve: receive failed ({}); again in {} s", n.status().ToString(), delay);
    for (int64_t i = 0; i < delay * 10 && !stop_.load(); ++i) {
      clock_.SleepFor(std::chrono::milliseconds(100));
    }
  }
  return Status::Ok();
}

Result<int> SqsSource::PollOnce() {
  s3::ReceiveMessageRequest req;
  req.queue_url = options_.queue_url;
  req.max_messages = options_.max_messages;
  req.wait_time_seconds = options_.wait_time_seconds;
  req.visibility_timeout_seconds = options_.visibility_timeout_seconds;
  req.attribute_names = {"All"};
  // Stop() ends a long poll at once unless SQS has begun to answer (then its messages are
  // handled like any batch).
  req.cancel = &stop_;
  auto received = sqs_.ReceiveMessage(req);
  if (!received.ok() && received.status().code() == StatusCode::kCancelled && stop_.load()) {
    return 0;
  }
  if (!received.ok()) {
    counters_.receive_errors.fetch_add(1, std::memory_order_relaxed);
    return received.status();
  }
  counters_.receives.fetch_add(1, std::memory_order_relaxed);
  counters_.last_receive_unix.store(UnixSeconds(clock_.Now()), std::memory_order_relaxed);
  std::vector<s3::SqsMessage>& batch = *received;
  if (batch.empty()) return 0;
  counters_.received.fetch_add(batch.size(), std::memory_order_relaxed);
  Watch(batch);

  std::vector<Handled> handled(batch.size());
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < batch.size(); i = next.fetch_add(1)) {
      handled[i] = HandleOne(batch[i]);
    }
  };
  size_t threads = std::min<size_t>(batch.size(), static_cast<size_t>(options_.workers));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();

  Settle(batch, handled);
  Unwatch(batch);
  return static_cast<int>(batch.size());
}

SqsSource::Handled SqsSource::HandleOne(const s3::SqsMessage& m) {
  // A message delivered more often than allowed may be one that kills the process while it is
  // handled: set it aside before touching it again.
  if (m.receive_count > options_.max_receives) {
    return {Verdict::kDeadLetter, "received " + std::to_string(m.receive_count) +
                                      " times without being handled (max " +
                                      std::to_string(options_.max_receives) + ")"};
  }
  const size_t max_body = options_.dispatch.limits.max_sqs_message_bytes;
  if (m.body.size() > max_body) {
    // Not from SQS as documented (a hostile or broken endpoint): never parsed, set aside.
    counters_.oversized.fetch_add(1, std::memory_order_relaxed);
    return {Verdict::kDeadLetter, "message body of " + std::to_string(m.body.size()) +
                                      " bytes is over SQS's maximum of " +
                                      std::to_string(max_body) + ": refused unparsed"};
  }
  auto out = Dispatch(m.body, engine_, options_.dispatch);
  if (!out.ok()) {
    counters_.failed.fetch_add(1, std::memory_order_relaxed);
    if (IsPermanent(out.status())) return {Verdict::kDeadLetter, out.status().ToString()};
    if (m.receive_count >= options_.max_receives) {
      return {Verdict::kDeadLetter, "failed " + std::to_string(m.receive_count) +
                                        " times, last: " + out.status().ToString()};
    }
    spdlog::warn("serve: message {} failed (delivery {}): {}; it will come back", m.message_id,
                 m.receive_count, out.status().ToString());
    return {Verdict::kRetry, out.status().ToString()};
  }
  counters_.restores_submitted.fetch_add(out->restores_submitted, std::memory_order_relaxed);
  counters_.completions.fetch_add(out->completions, std::memory_order_relaxed);
  counters_.events_ignored.fetch_add(out->ignored, std::memory_order_relaxed);
  if (options_.on_dispatched) options_.on_dispatched(*out);
  spdlog::debug("serve: message {}: {} restore(s), {} completion(s), {} ignored", m.message_id,
                out->restores_submitted, out->completions, out->ignored);
  // The good events of a message with a malformed record are journaled; the message itself
  // goes aside so that someone can look at the record thaw could not read.
  if (!out->poison.empty()) return {Verdict::kDeadLetter, out->poison};
  return {Verdict::kDelete, ""};
}

void SqsSource::Settle(const std::vector<s3::SqsMessage>& batch, std::vector<Handled>& handled) {
  std::vector<const s3::SqsMessage*> to_delete;
  for (size_t i = 0; i < batch.size(); ++i) {
    const s3::SqsMessage& m = batch[i];
    Handled& h = handled[i];
    if (h.verdict == Verdict::kDeadLetter) {
      h.verdict = DeadLetter(m, h.reason) ? Verdict::kDelete : Verdict::kRetry;
    }
    if (h.verdict == Verdict::kDelete) {
      to_delete.push_back(&m);
    } else {
      // Back on the queue soon (not after the whole visibility timeout), later on each try.
      int backoff = std::min(options_.visibility_timeout_seconds,
                             5 * (1 << std::min(std::max(m.receive_count, 1) - 1, 8)));
      Status s = sqs_.ChangeMessageVisibility(options_.queue_url, m.receipt_handle, backoff);
      if (!s.ok()) counters_.visibility_errors.fetch_add(1, std::memory_order_relaxed);
    }
  }
  DeleteAll(to_delete);
}

bool SqsSource::DeadLetter(const s3::SqsMessage& m, const std::string& reason) {
  if (options_.dead_letter_url.empty()) {
    spdlog::error("serve: dropping message {} (no --dead-letter-url): {}; body: {}", m.message_id,
                  reason, Excerpt(m.body));
    counters_.dead_lettered.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  s3::SendMessageRequest req;
  req.queue_url = options_.dead_letter_url;
  req.body = m.body;
  if (req.body.size() > options_.dispatch.limits.max_sqs_message_bytes) {
    // The queue would refuse it whole: keep a head (cut on a UTF-8 boundary) for the operator.
    size_t cut = 64 * 1024;
    while (cut > 0 && (static_cast<unsigned char>(req.body[cut]) & 0xC0) == 0x80) --cut;
    req.body.resize(cut);
    req.message_attributes["thaw-truncated-from-bytes"] = std::to_string(m.body.size());
  }
  req.message_attributes["thaw-reason"] = reason.substr(0, 1024);
  req.message_attributes["thaw-source-message-id"] = m.message_id;
  req.message_attributes["thaw-receive-count"] = std::to_string(m.receive_count);
  auto sent = sqs_.SendMessage(req);
  if (!sent.ok()) {
    counters_.dead_letter_errors.fetch_add(1, std::memory_order_relaxed);
    spdlog::error("serve: could not dead-letter message {} ({}): {}; it stays on the queue",
                  m.message_id, reason, sent.status().ToString());
    return false;
  }
  counters_.dead_lettered.fetch_add(1, std::memory_order_relaxed);
  spdlog::warn("serve: message {} dead-lettered as {}: {}", m.message_id, sent->message_id, reason);
  return true;
}

void SqsSource::DeleteAll(const std::vector<const s3::SqsMessage*>& messages) {
  for (size_t start = 0; start < messages.size(); start += s3::kSqsMaxBatchEntries) {
    size_t end = std::min(messages.size(), start + s3::kSqsMaxBatchEntries);
    std::vector<s3::ReceiptEntry> entries;
    for (size_t i = start; i < end; ++i) {
      entries.push_back({std::to_string(i), messages[i]->receipt_handle});
    }
    auto r = sqs_.DeleteMessageBatch(options_.queue_url, entries);
    if (!r.ok()) {
      // The messages come back after their visibility timeout and are dispatched again,
      // which is harmless.
      counters_.delete_errors.fetch_add(entries.size(), std::memory_order_relaxed);
      spdlog::warn("serve: delete of {} message(s) failed: {}", entries.size(),
                   r.status().ToString());
      continue;
    }
    counters_.deleted.fetch_add(r->successful.size(), std::memory_order_relaxed);
    counters_.delete_errors.fetch_add(r->failed.size(), std::memory_order_relaxed);
    for (const auto& f : r->failed) {
      spdlog::warn("serve: delete failed: {} {}", f.code, f.message);
    }
  }
}

void SqsSource::Watch(const std::vector<s3::SqsMessage>& batch) {
  Clock::TimePoint until = clock_.Now() + seconds(options_.visibility_timeout_seconds);
  {
    std::lock_guard<std::mutex> g(hb_mu_);
    for (const auto& m : batch) watched_[m.receipt_handle] = until;
  }
  hb_cv_.notify_all();
}

void SqsSource::Unwatch(const std::vector<s3::SqsMessage>& batch) {
  std::lock_guard<std::mutex> g(hb_mu_);
  for (const auto& m : batch) watched_.erase(m.receipt_handle);
}

void SqsSource::HeartbeatLoop() {
  const auto visibility = seconds(options_.visibility_timeout_seconds);
  const auto renew_before = visibility / 3;
  std::unique_lock<std::mutex> lock(hb_mu_);
  while (!hb_stop_) {
    Clock::TimePoint earliest = Clock::TimePoint::max();
    for (const auto& [receipt, until] : watched_) earliest = std::min(earliest, until);
    if (earliest == Clock::TimePoint::max()) {
      hb_cv_.wait(lock, [&] { return hb_stop_ || !watched_.empty(); });
      continue;
    }
    Clock::TimePoint due = earliest - renew_before;
    size_t watched_before = watched_.size();
    if (clock_.Now() < due) {
      // Wakes early when the set changes, so a new batch's deadline is taken into account.
      clock_.WaitUntil(lock, hb_cv_, due,
                       [&] { return hb_stop_ || watched_.size() != watched_before; });
      continue;
    }
    std::vector<s3::VisibilityEntry> entries;
    Clock::TimePoint now = clock_.Now();
    for (auto& [receipt, until] : watched_) {
      if (until - renew_before > now) continue;
      entries.push_back(
          {std::to_string(entries.size()), receipt, options_.visibility_timeout_seconds});
      until = now + visibility;
    }
    lock.unlock();
    for (size_t start = 0; start < entries.size(); start += s3::kSqsMaxBatchEntries) {
      std::vector<s3::VisibilityEntry> chunk(
          entries.begin() + static_cast<std::ptrdiff_t>(start),
          entries.begin() + static_cast<std::ptrdiff_t>(
                                std::min(entries.size(), start + s3::kSqsMaxBatchEntries)));
      auto r = sqs_.ChangeMessageVisibilityBatch(options_.queue_url, chunk);
      if (r.ok()) {
        counters_.visibility_extended.fetch_add(r->successful.size(), std::memory_order_relaxed);
        counters_.visibility_errors.fetch_add(r->failed.size(), std::memory_order_relaxed);
      } else {
        counters_.visibility_errors.fetch_add(chunk.size(), std::memory_order_relaxed);
        spdlog::warn("serve: extending visibility failed: {}", r.status().ToString());
      }
    }
    lock.lock();
  }
}

}  // namespace thaw::events
