// Completion hooks (see hooks.h): a queue with retry times, and running the expanded commands
// (hook_command.h) in their own process group with a timeout.
#include "events/hooks.h"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "common/strings.h"

namespace thaw::events {
namespace {

// The variables a hook gets from us; inherited ones of the same names are dropped so that a
// hook never sees a stale THAW_PATH from thaw's own environment.
constexpr std::string_view kHookVariables[] = {
    "THAW_BUCKET=", "THAW_KEY=", "THAW_VERSION_ID=", "THAW_PATH=", "THAW_STORAGE_CLASS="};

std::vector<std::string> HookEnvironment(const std::vector<std::string>& ours) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    bool shadowed = false;
    for (std::string_view name : kHookVariables) shadowed = shadowed || StartsWith(entry, name);
    if (!shadowed) env.emplace_back(entry);
  }
  env.insert(env.end(), ours.begin(), ours.end());
  return env;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void ExecHook(char* const* argv, char* const* envp) {
  ::setpgid(0, 0);  // so a timeout kills the command's children too
  int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) {
    ::dup2(devnull, STDIN_FILENO);
    if (devnull != STDIN_FILENO) ::close(devnull);
  }
  ::close_range(3, ~0U, 0);
  ::execvpe(argv[0], argv, envp);
  constexpr char kMsg[] = "thaw hook: cannot execute the command\n";
  ssize_t ignored = ::write(STDERR_FILENO, kMsg, sizeof(kMsg) - 1);
  (void)ignored;
  ::_exit(127);
}

}  // namespace

HookRunner::HookRunner(HookOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {
  options_.max_attempts = std::max(1, options_.max_attempts);
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

HookRunner::~HookRunner() {
  Shutdown();
}

void HookRunner::Watch(const DispatchOutcome& outcome) {
  for (const auto& h : outcome.handles) Subscribe(h);
  for (const auto& c : outcome.completed) Enqueue({c.object, c.storage_class});
}

void HookRunner::Subscribe(const std::shared_ptr<restore::RestoreHandle>& handle) {
  // The callback runs on an engine thread (or here, if the request already finished): it only
  // queues.
  handle->Subscribe([this](const Result<restore::RestoreRecord>& r) {
    if (r.ok() && r->state == restore::State::kRestored) Enqueue({r->object, r->storage_class});
  });
}

Expansion HookRunner::Expand(const HookSubject& subject) const {
  return ExpandHook(options_.command, options_.maps, subject);
}

void HookRunner::Enqueue(const HookSubject& subject) {
  Expansion e = Expand(subject);
  const restore::ObjectRef& object = subject.object;
  std::lock_guard<std::mutex> g(mu_);
  if (stop_) return;
  if (e.outcome == ExpandOutcome::kUnmapped) {
    ++stats_.skipped;
    spdlog::info("hook: no --map covers {}; skipped", object.ToString());
    return;
  }
  if (e.outcome == ExpandOutcome::kUnsafe) {
    ++stats_.unsafe;
    spdlog::warn(
        "hook: not run for {}: its key is not a plain path below the --map directory (an empty, "
        "'.' or '..' segment, or a NUL); the restore itself is unaffected",
        object.ToString());
    return;
  }
  Clock::TimePoint now = clock_.Now();
  auto it = recent_.find(object);
  if (it != recent_.end() && now - it->second < options_.dedup_window) return;
  recent_[object] = now;
  // Keeps the de-duplication memory bounded on a long-running server.
  if (recent_.size() > 100000) {
    std::erase_if(recent_,
                  [&](const auto& kv) { return now - kv.second >= options_.dedup_window; });
  }
  jobs_.push_back({object, std::move(e.command), 0, now});
  ++stats_.queued;
  cv_.notify_one();
}

void HookRunner::WorkerLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (jobs_.empty()) {
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      continue;
    }
    auto next = std::min_element(jobs_.begin(), jobs_.end(),
                                 [](const Job& a, const Job& b) { return a.due < b.due; });
    if (next->due > clock_.Now()) {
      Clock::TimePoint due = next->due;
      size_t n = jobs_.size();
      clock_.WaitUntil(lock, cv_, due, [&] { return stop_ || jobs_.size() != n; });
      continue;
    }
    Job job = std::move(*next);
    jobs_.erase(next);
    ++running_;
    lock.unlock();
    bool ok = RunOnce(job.command);
    lock.lock();
    --running_;
    cv_.notify_all();  // WaitIdle
    ++job.attempt;
    if (ok) {
      ++stats_.succeeded;
      --stats_.queued;
      continue;
    }
    ++stats_.failed;
    if (job.attempt >= options_.max_attempts) {
      ++stats_.abandoned;
      --stats_.queued;
      spdlog::error("hook: giving up on {} after {} attempt(s)", job.object.ToString(),
                    job.attempt);
      continue;
    }
    job.due = clock_.Now() + options_.retry_delay * (1 << std::min(job.attempt - 1, 10));
    jobs_.push_back(std::move(job));
  }
}

bool HookRunner::RunOnce(const HookCommand& command) {
  // Everything the child needs is built before fork: a multi-threaded parent's child may not
  // allocate.
  std::vector<std::string> args = command.argv;
  std::vector<std::string> env = HookEnvironment(command.env);
  std::vector<char*> argv = CStrings(args);
  std::vector<char*> envp = CStrings(env);
  pid_t pid = ::fork();
  if (pid < 0) {
    spdlog::warn("hook: fork failed: {}", std::strerror(errno));
    return false;
  }
  if (pid == 0) ExecHook(argv.data(), envp.data());
  ::setpgid(pid, pid);
  Clock::TimePoint deadline = clock_.Now() + options_.timeout;
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return false;
    if (clock_.Now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      spdlog::warn("hook: timed out after {} s: {}", options_.timeout.count(), command.display);
      return false;
    }
    clock_.SleepFor(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  spdlog::warn("hook: failed ({}): {}",
               WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                 : "signal " + std::to_string(WTERMSIG(status)),
               command.display);
  return false;
}

bool HookRunner::WaitIdle(Clock::Duration max) {
  std::unique_lock<std::mutex> lock(mu_);
  return clock_.WaitUntil(lock, cv_, clock_.Now() + max,
                          [&] { return stop_ || (jobs_.empty() && running_ == 0); });
}

void HookRunner::Shutdown() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (stop_ && workers_.empty()) return;
    stop_ = true;
    if (!jobs_.empty()) spdlog::warn("hook: {} queued hook(s) dropped at shutdown", jobs_.size());
  }
  cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

HookStats HookRunner::Stats() const {
  std::lock_guard<std::mutex> g(mu_);
  return stats_;
}

}  // namespace thaw::events
