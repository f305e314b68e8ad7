// SqsSource: the loop behind `thaw serve`. It long-polls an SQS queue, hands each message to the
// dispatcher (dispatch.h) and acknowledges it by the rules that make the pipeline lose nothing:
//   - a message is deleted only after Dispatch returned OK (Submit returns once journaled), so a
//     crash at any moment leaves every unfinished message on the queue, to be delivered again;
//     a redelivery is harmless (the engine de-duplicates, the journal remembers);
//   - while a batch is being worked on, a heartbeat extends its messages' visibility so that no
//     other consumer receives them meanwhile;
//   - a message that cannot be read (a parse error) or holds a malformed relevant record goes to
//     the dead-letter queue at once, with the reason as message attributes; one that failed for
//     another reason is made visible again after a short backoff and, after max_receives
//     deliveries (SQS's ApproximateReceiveCount), dead-lettered too. Without a dead-letter queue
//     the reason and the body are logged at error level and the message is deleted.
//     A message is only deleted after its dead-letter copy was sent.
//   - Stop() lets the batch in hand finish (every message deleted, dead-lettered or released)
//     and abandons a long poll still waiting for its answer (within about a second; SQS has
//     handed out nothing then), so Run returns promptly; a poll whose answer has begun is read
//     and its messages handled.
//
// Thread safety: Run on one thread; Stop and counters() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "common/clock.h"
#include "common/status.h"
#include "events/dispatch.h"
#include "restore/engine.h"
#include "s3/sqs_client.h"

namespace thaw::events {

struct SqsSourceOptions {
  std::string queue_url;
  std::string dead_letter_url;  // empty: log poison messages and delete them
  int max_messages = 10;        // per ReceiveMessage, 1..10
  int wait_time_seconds = 20;   // long poll, 0..20
  // How long a received message stays hidden. The heartbeat renews it when a third is left, so
  // it only matters when thaw dies holding messages: they come back after this long.
  int visibility_timeout_seconds = 60;
  int max_receives = 5;  // deliveries before a failing message is dead-lettered
  int workers = 4;       // messages of one batch dispatched at once
  DispatchOptions dispatch;
  // Called after each successfully dispatched message (hooks subscribe to its handles). Must
  // not block.
  std::function<void(const DispatchOutcome&)> on_dispatched;
};

// Monotonic counters for /metrics (read with relaxed loads; exact totals are not needed).
struct SqsSourceCounters {
  std::atomic<uint64_t> receives{0};       // ReceiveMessage calls that answered
  std::atomic<uint64_t> received{0};       // messages received
  std::atomic<uint64_t> deleted{0};        // messages deleted after dispatch or dead-lettering
  std::atomic<uint64_t> failed{0};         // dispatch attempts that failed (message kept)
  std::atomic<uint64_t> dead_lettered{0};  // messages sent to the dead-letter queue or log
  std::atomic<uint64_t> restores_submitted{0};
  std::atomic<uint64_t> completions{0};
  std::atomic<uint64_t> events_ignored{0};
  std::atomic<uint64_t> visibility_extended{0};
  std::atomic<uint64_t> receive_errors{0};
  std::atomic<uint64_t> delete_errors{0};
  std::atomic<uint64_t> visibility_errors{0};
  std::atomic<uint64_t> dead_letter_errors{0};
  // Messages refused unparsed: bodies larger than SQS allows (Limits::max_sqs_message_bytes).
  std::atomic<uint64_t> oversized{0};
  std::atomic<int64_t> last_receive_unix{0};  // when ReceiveMessage last answered (seconds)
};

class SqsSource {
 public:
  SqsSource(s3::SqsClient& sqs, restore::Engine& engine, Clock& clock, SqsSourceOptions options);
  ~SqsSource();
  SqsSource(const SqsSource&) = delete;
  SqsSource& operator=(const SqsSource&) = delete;

  // Polls until Stop(). Errors talking to SQS are logged, counted and retried with backoff;
  // Run returns an error only for a queue that does not exist or refuses access.
  Status Run();
  // One ReceiveMessage and the handling of what it returned. Returns the number of messages.
  Result<int> PollOnce();
  void Stop();
  bool stopping() const { return stop_.load(); }

  const SqsSourceCounters& counters() const { return counters_; }

 private:
  enum class Verdict { kDelete, kDeadLetter, kRetry };
  struct Handled {
    Verdict verdict = Verdict::kRetry;
    std::string reason;
  };

  Handled HandleOne(const s3::SqsMessage& m);
  void Settle(const std::vector<s3::SqsMessage>& batch, std::vector<Handled>& handled);
  bool DeadLetter(const s3::SqsMessage& m, const std::string& reason);
  void DeleteAll(const std::vector<const s3::SqsMessage*>& messages);

  // Heartbeat: receipt handle -> when its visibility runs out.
  void Watch(const std::vector<s3::SqsMessage>& batch);
  void Unwatch(const std::vector<s3::SqsMessage>& batch);
  void HeartbeatLoop();

  s3::SqsClient& sqs_;
  restore::Engine& engine_;
  Clock& clock_;
  SqsSourceOptions options_;
  SqsSourceCounters counters_;
  std::atomic<bool> stop_{false};

  std::mutex hb_mu_;  // guards watched_, hb_stop_
  std::condition_variable hb_cv_;
  std::map<std::string, Clock::TimePoint> watched_;
  bool hb_stop_ = false;
  std::thread heartbeat_;
};

}  // namespace thaw::events
