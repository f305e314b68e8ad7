#include "cli/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <thread>

extern char** environ;

namespace thaw::cli {

using namespace std::chrono_literals;

Result<Subprocess> Subprocess::Start(const std::vector<std::string>& argv, bool capture) {
  if (argv.empty()) return Status::InvalidArgument("no command to run");
  int fds[2] = {-1, -1};
  if (capture && pipe2(fds, O_CLOEXEC) != 0) {
    return Status::Internal(std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (capture) {
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  }
  // The child gets default signal dispositions, whatever handlers we installed.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t all;
  sigfillset(&all);
  posix_spawnattr_setsigdefault(&attr, &all);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (capture) close(fds[1]);
  if (rc != 0) {
    if (capture) close(fds[0]);
    return Status::NotFound(argv[0] + ": cannot run: " + std::strerror(rc));
  }
  return Subprocess(pid, capture ? fds[0] : -1);
}

Subprocess::Subprocess(Subprocess&& other) noexcept { *this = std::move(other); }

Subprocess& Subprocess::operator=(Subprocess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !exit_code_) Kill(SIGKILL);
    if (fd_ >= 0) close(fd_);
    pid_ = other.pid_;
    fd_ = other.fd_;
    output_ = std::move(other.output_);
    line_start_ = other.line_start_;
    exit_code_ = other.exit_code_;
    other.pid_ = -1;
    other.fd_ = -1;
  }
  return *this;
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !exit_code_) Kill(SIGKILL);
  if (fd_ >= 0) close(fd_);
}

bool Subprocess::Pump(std::chrono::milliseconds wait) {
  if (fd_ < 0) {
    std::this_thread::sleep_for(wait);
    return false;
  }
  pollfd p{fd_, POLLIN, 0};
  int n = poll(&p, 1, static_cast<int>(wait.count()));
  if (n <= 0) return true;  // timeout or EINTR: not EOF
  char buf[65536];
  ssize_t got = read(fd_, buf, sizeof buf);
  if (got > 0) {
    output_.append(buf, static_cast<size_t>(got));
    return true;
  }
  if (got < 0 && errno == EINTR) return true;
  close(fd_);  // EOF (every writer closed) or a read error
  fd_ = -1;
  return false;
}

std::optional<int> Subprocess::TryReap() {
  if (exit_code_ || pid_ <= 0) return exit_code_;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  return exit_code_;
}

std::optional<std::string> Subprocess::ReadLine(Deadline deadline,
                                                const std::function<bool()>& cancelled) {
  while (true) {
    size_t nl = output_.find('\n', line_start_);
    if (nl != std::string::npos) {
      std::string line = output_.substr(line_start_, nl - line_start_);
      line_start_ = nl + 1;
      return line;
    }
    if (std::chrono::steady_clock::now() >= deadline || (cancelled && cancelled())) {
      return std::nullopt;
    }
    if (!Pump(100ms) && fd_ < 0) return std::nullopt;
  }
}

Result<int> Subprocess::Wait(Deadline deadline, const std::function<bool()>& cancelled) {
  while (true) {
    Pump(50ms);  // drain output so a child blocked on a full pipe can finish
    if (auto code = TryReap()) {
      // Take what is left in the pipe, but do not wait for EOF: a daemon the child started may
      // hold the pipe open for its whole life.
      for (int i = 0; i < 1000 && fd_ >= 0; ++i) {
        size_t before = output_.size();
        if (!Pump(10ms) || output_.size() == before) break;
      }
      return *code;
    }
    if (cancelled && cancelled()) return Status::Cancelled("interrupted");
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::DeadlineExceeded("still running after the time allowed");
    }
  }
}

void Subprocess::Kill(int sig) {
  if (pid_ <= 0 || TryReap()) return;
  kill(pid_, sig);
  for (int i = 0; i < 100 && !TryReap(); ++i) std::this_thread::sleep_for(20ms);
  if (!TryReap()) {
    kill(pid_, SIGKILL);
    int st = 0;
    waitpid(pid_, &st, 0);
    exit_code_ = 128 + SIGKILL;
  }
}

Result<ProcessResult> RunProcess(const std::vector<std::string>& argv,
                                 std::chrono::milliseconds timeout,
                                 const std::function<bool()>& cancelled) {
  THAW_ASSIGN_OR_RETURN(Subprocess p, Subprocess::Start(argv));
  auto code = p.Wait(std::chrono::steady_clock::now() + timeout, cancelled);
  if (!code.ok()) {
    p.Kill(SIGTERM);
    return Status(code.status().code(), argv[0] + ": " + code.status().message());
  }
  return ProcessResult{*code, p.output()};
}

std::string SelfExecutable() {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "thaw";
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace thaw::cli
