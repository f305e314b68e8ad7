// Completion hooks (see hooks.h): placeholder expansion, a queue with retry times, and running
// /bin/sh commands in their own process group with a timeout.
#include "events/hooks.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "common/s3_uri.h"
#include "common/strings.h"

namespace thaw::events {
namespace {

void ReplaceAll(std::string& s, std::string_view from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

}  // namespace

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

Result<PathMap> ParsePathMap(std::string_view spec) {
  size_t eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Status::InvalidArgument("--map '" + std::string(spec) +
                                   "': expected LOCAL_DIR=s3://BUCKET[/PREFIX]");
  }
  PathMap m;
  m.local = std::string(spec.substr(0, eq));
  while (m.local.size() > 1 && m.local.back() == '/') m.local.pop_back();
  auto uri = ParseS3Uri(spec.substr(eq + 1));
  if (!uri.ok()) return uri.status().WithContext("--map '" + std::string(spec) + "'");
  m.bucket = uri->bucket;
  m.prefix = uri->key;
  if (!m.prefix.empty() && m.prefix.back() != '/') m.prefix += '/';
  return m;
}

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
  for (const auto& o : outcome.completed) Enqueue(o);
}

void HookRunner::Subscribe(const std::shared_ptr<restore::RestoreHandle>& handle) {
  // The callback runs on an engine thread (or here, if the request already finished): it only
  // queues.
  handle->Subscribe([this](const Result<restore::RestoreRecord>& r) {
    if (r.ok() && r->state == restore::State::kRestored) Enqueue(r->object);
  });
}

std::optional<std::string> HookRunner::Expand(const restore::ObjectRef& object) const {
  std::string cmd = options_.command;
  if (cmd.find("{path}") != std::string::npos) {
    const PathMap* best = nullptr;
    for (const auto& m : options_.maps) {
      if (m.bucket != object.bucket || !StartsWith(object.key, m.prefix)) continue;
      if (best == nullptr || m.prefix.size() > best->prefix.size()) best = &m;
    }
    if (best == nullptr) return std::nullopt;
    std::string rest = object.key.substr(best->prefix.size());
    std::string path = best->local == "/" ? "/" + rest : best->local + "/" + rest;
    ReplaceAll(cmd, "{path}", ShellQuote(path));
  }
  ReplaceAll(cmd, "{bucket}", ShellQuote(object.bucket));
  ReplaceAll(cmd, "{key}", ShellQuote(object.key));
  ReplaceAll(cmd, "{version}", ShellQuote(object.version_id));
  return cmd;
}

void HookRunner::Enqueue(const restore::ObjectRef& object) {
  std::optional<std::string> cmd = Expand(object);
  std::lock_guard<std::mutex> g(mu_);
  if (stop_) return;
  if (!cmd) {
    ++stats_.skipped;
    spdlog::info("hook: no --map covers {}; skipped", object.ToString());
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
  jobs_.push_back({object, std::move(*cmd), 0, now});
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
    lock.unlock();
    bool ok = RunOnce(job.command);
    lock.lock();
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

bool HookRunner::RunOnce(const std::string& command) {
  pid_t pid = ::fork();
  if (pid < 0) {
    spdlog::warn("hook: fork failed: {}", std::strerror(errno));
    return false;
  }
  if (pid == 0) {
    ::setpgid(0, 0);  // so a timeout kills the command's children too
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
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
      spdlog::warn("hook: timed out after {} s: {}", options_.timeout.count(), command);
      return false;
    }
    clock_.SleepFor(std::chrono::milliseconds(20));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  spdlog::warn("hook: failed ({}): {}",
               WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                 : "signal " + std::to_string(WTERMSIG(status)),
               command);
  return false;
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
