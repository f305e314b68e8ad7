// Child processes for commands that drive other programs (`thaw demo` runs `thaw sim`,
// `thaw mount`, `ls`, `cat`...): started with posix_spawn, stdout and stderr merged into one
// pipe we read, waited for with a deadline and a cancellation check (Ctrl-C), never a hang.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace thaw::cli {

class Subprocess {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // Starts argv[0] (searched in PATH) with stdin from /dev/null and stdout+stderr captured
  // (or inherited when `capture` is false).
  static Result<Subprocess> Start(const std::vector<std::string>& argv, bool capture = true);

  Subprocess(Subprocess&& other) noexcept;
  Subprocess& operator=(Subprocess&& other) noexcept;
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess();  // kills (SIGKILL) and reaps a child still running

  pid_t pid() const { return pid_; }

  // The next line of output (without '\n'), or nullopt at the deadline, on cancel, or at EOF.
  std::optional<std::string> ReadLine(Deadline deadline, const std::function<bool()>& cancelled);

  // Collects output until the child exits; returns its exit code (128+N when killed by signal
  // N), kDeadlineExceeded at the deadline or kCancelled when `cancelled` says so (the child is
  // left running: Kill it).
  Result<int> Wait(Deadline deadline, const std::function<bool()>& cancelled);

  // Sends `sig` and reaps the child (waits at most a few seconds, then SIGKILL).
  void Kill(int sig);

  // Everything the child wrote so far (after ReadLine's lines).
  const std::string& output() const { return output_; }

 private:
  Subprocess(pid_t pid, int fd) : pid_(pid), fd_(fd) {}
  // Reads what is available within `wait`; false at EOF.
  bool Pump(std::chrono::milliseconds wait);
  std::optional<int> TryReap();

  pid_t pid_ = -1;
  int fd_ = -1;
  std::string output_;
  size_t line_start_ = 0;  // ReadLine's position in output_
  std::optional<int> exit_code_;
};

// Runs argv to completion (bounded by `timeout`); the exit code and merged output.
struct ProcessResult {
  int exit_code = -1;
  std::string output;
};
Result<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout,
                                 const std::function<bool()>& cancelled = {});

// The path of the running executable (to start other thaw subcommands).
std::string SelfExecutable();

}  // namespace thaw::cli
