// Completion hooks: a command run when a restore finishes, e.g. `lfs hsm_restore {path}` for FSx
// for Lustre or a prefetch into a thaw mount's cache. `thaw serve` and `thaw scan` feed it the
// handles of the restores they submitted (it subscribes to them) and the objects named by
// restore-completed notifications.
//
// The command is a /bin/sh command line or an argv (PROG ARG...) with placeholders: {bucket},
// {key}, {version}, {storage_class} and {path}, the local path of the object under a mapping
// (`--map /fsx/data=s3://bucket/prefix`: s3://bucket/prefix/a/b -> /fsx/data/a/b; the longest
// matching prefix wins). hook_command.h says how hostile keys are kept from the shell and from
// paths outside the mapping. An object no mapping covers is skipped when the command uses
// {path}; an object whose key cannot be mapped safely is never hooked. Both are counted.
//
// The command runs in its own process group with stdin from /dev/null and no descriptor of
// thaw's open but stdout and stderr (the journal, sockets and the queue stay ours).
//
// Hooks never block the pipeline: Watch/Enqueue only queue work; a pool of worker threads runs
// the commands, each killed (its whole process group) after `timeout`. A failed or timed-out run
// is logged and retried after retry_delay * 2^n, up to max_attempts runs; then abandoned with a
// log line. The same object is hooked at most once per dedup_window (a completion notification
// and the engine's own tracker may both report it). Queued hooks are not persisted: a restart
// forgets them.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "events/dispatch.h"
#include "events/hook_command.h"
#include "restore/record.h"

namespace thaw::events {

struct HookOptions {
  HookTemplate command;
  std::vector<PathMap> maps;
  std::chrono::seconds timeout{300};
  int max_attempts = 3;
  std::chrono::seconds retry_delay{10};
  int workers = 2;
  std::chrono::seconds dedup_window{600};
};

struct HookStats {
  uint64_t queued = 0;     // waiting or being retried now
  uint64_t succeeded = 0;  // runs that exited 0
  uint64_t failed = 0;     // runs that failed or timed out
  uint64_t abandoned = 0;  // objects given up after max_attempts
  uint64_t skipped = 0;    // objects no mapping covers ({path} commands)
  uint64_t unsafe = 0;     // objects whose key cannot be mapped safely (or holds a NUL)
};

class HookRunner {
 public:
  HookRunner(HookOptions options, Clock& clock);
  ~HookRunner();
  HookRunner(const HookRunner&) = delete;
  HookRunner& operator=(const HookRunner&) = delete;

  // Subscribes to the outcome's handles (hook on kRestored) and queues its completed objects.
  void Watch(const DispatchOutcome& outcome);
  void Subscribe(const std::shared_ptr<restore::RestoreHandle>& handle);
  void Enqueue(const HookSubject& subject);
  // The command for `subject` (hook_command.h: ExpandHook with this runner's template and maps).
  Expansion Expand(const HookSubject& subject) const;
  // Waits until nothing is queued or running, or `max` of real time passed (on the clock).
  // Returns whether it became idle. For one-shot commands (`thaw scan`) before Shutdown.
  bool WaitIdle(Clock::Duration max);
  // Stops the workers: runs under way finish (or time out); queued ones are dropped, logged.
  void Shutdown();
  HookStats Stats() const;

 private:
  struct Job {
    restore::ObjectRef object;
    HookCommand command;
    int attempt = 0;
    Clock::TimePoint due;
  };
  void WorkerLoop();
  bool RunOnce(const HookCommand& command);  // true: exit status 0 within the timeout

  HookOptions options_;
  Clock& clock_;
  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::deque<Job> jobs_;
  std::map<restore::ObjectRef, Clock::TimePoint> recent_;
  HookStats stats_;
  int running_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace thaw::events
