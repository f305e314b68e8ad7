// credential_process: a profile names a program that prints credentials as JSON (the AWS
// "sourcing credentials with an external process" contract). As botocore, thaw splits the
// command line itself and runs the program without a shell, so nothing in the line is expanded.
//
// The program's stdout holds secrets: it is parsed and never quoted in a message. Its stderr is
// meant for people and goes to the log (the log formatter escapes it).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "s3/internal/credential_sources.h"

extern char** environ;

namespace thaw::s3::internal {
namespace {

// Far more than any credentials document; a program that prints more is broken.
constexpr size_t kMaxOutputBytes = 1 << 20;

Status ProcessError(const std::string& profile, const std::string& why) {
  return Status::FailedPrecondition("profile '" + profile + "': credential_process " + why);
}

// Owns the pipes and the child until it has been reaped; a destructor that runs on an early
// return kills the child's process group so no credential helper is left behind.
class Child {
 public:
  ~Child() {
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
    if (pid_ > 0) {
      kill(-pid_, SIGKILL);
      int st = 0;
      waitpid(pid_, &st, 0);
    }
  }

  Status Start(const std::vector<std::string>& argv) {
    int out[2], err[2];
    if (pipe2(out, O_CLOEXEC) != 0) return Status::Internal("pipe failed");
    if (pipe2(err, O_CLOEXEC) != 0) {
      close(out[0]);
      close(out[1]);
      return Status::Internal("pipe failed");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);  // its own group: a timeout kills its children too
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], &fa, &attr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(out[1]);
    close(err[1]);
    out_ = out[0];
    err_ = err[0];
    if (rc != 0) return Status::NotFound("cannot start '" + argv[0] + "': " + std::strerror(rc));
    pid_ = pid;
    return Status::Ok();
  }

  // Reads both pipes until the child closes them or `deadline` passes (false).
  bool Drain(Clock& clock, Clock::TimePoint deadline, std::string& out, std::string& err) {
    while (out_ >= 0 || err_ >= 0) {
      Clock::Duration left = deadline - clock.Now();
      if (left <= Clock::Duration::zero()) return false;
      // Polls in short slices so that the deadline is checked against the injected clock.
      int wait_ms = static_cast<int>(std::min<int64_t>(
          100, std::chrono::duration_cast<std::chrono::milliseconds>(left).count() + 1));
      pollfd fds[2] = {{out_, POLLIN, 0}, {err_, POLLIN, 0}};
      int n = poll(fds, 2, wait_ms);
      if (n < 0 && errno != EINTR) return false;
      if (n <= 0) continue;
      ReadSome(fds[0], out_, out);
      ReadSome(fds[1], err_, err);
    }
    return true;
  }

  // The wait status once the child has exited.
  int Wait() {
    int st = 0;
    while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return st;
  }

 private:
  static void ReadSome(const pollfd& p, int& fd, std::string& into) {
    if (fd < 0 || (p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0 && into.size() < kMaxOutputBytes + 1) {
      into.append(buf, static_cast<size_t>(n));
      return;
    }
    if (n > 0 || (n < 0 && errno == EINTR)) return;  // over the limit: keep draining
    close(fd);
    fd = -1;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int err_ = -1;
};

void LogStderr(const std::string& profile, const std::string& err) {
  size_t start = 0;
  int lines = 0;
  while (start < err.size() && lines < 20) {
    size_t end = err.find('\n', start);
    if (end == std::string::npos) end = err.size();
    if (end > start) {
      spdlog::warn("credential_process of profile '{}': {}", profile,
                   std::string_view(err).substr(start, std::min<size_t>(end - start, 1000)));
      ++lines;
    }
    start = end + 1;
  }
}

Result<Credentials> ParseProcessOutput(const std::string& profile, const std::string& out) {
  nlohmann::json doc = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return ProcessError(profile, "did not print a JSON object");
  }
  auto version = doc.find("Version");
  if (version == doc.end() || !version->is_number_integer() || version->get<int64_t>() != 1) {
    return ProcessError(profile, "printed no \"Version\": 1 (the only version there is)");
  }
  auto text = [&doc](const char* key) -> std::string {
    auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : "";
  };
  Credentials c;
  c.source = "profile " + profile + " (credential_process)";
  c.access_key_id = text("AccessKeyId");
  c.secret_access_key = text("SecretAccessKey");
  if (c.access_key_id.empty() || c.secret_access_key.empty()) {
    return ProcessError(profile, "printed no AccessKeyId or no SecretAccessKey");
  }
  c.session_token = text("SessionToken");
  if (doc.contains("Expiration") && !doc["Expiration"].is_null()) {
    c.expiration = ParseIso8601(text("Expiration"));
    if (!c.expiration) return ProcessError(profile, "printed an Expiration that is not ISO 8601");
  }
  return c;
}

}  // namespace

Result<std::vector<std::string>> SplitCommandLine(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < command.size(); ++i) {
    char c = command[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
      continue;
    }
    in_word = true;
    if (c == '\\') {
      if (++i == command.size()) return Status::InvalidArgument("ends with a lone backslash");
      word += command[i];
    } else if (c == '\'') {
      size_t end = command.find('\'', i + 1);
      if (end == std::string::npos) return Status::InvalidArgument("has an unterminated ' quote");
      word += command.substr(i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      for (++i;; ++i) {
        if (i == command.size()) return Status::InvalidArgument("has an unterminated \" quote");
        if (command[i] == '"') break;
        if (command[i] == '\\' && i + 1 < command.size() &&
            std::strchr("\"\\$`\n", command[i + 1]) != nullptr) {
          ++i;
        }
        word += command[i];
      }
    } else {
      word += c;
    }
  }
  if (in_word) words.push_back(std::move(word));
  return words;
}

Result<Credentials> RunCredentialProcess(const std::string& profile, const std::string& command,
                                         Clock& clock, std::chrono::milliseconds timeout) {
  Result<std::vector<std::string>> argv = SplitCommandLine(command);
  if (!argv.ok())
    return Status::InvalidArgument(ProcessError(profile, argv.status().message()).message());
  if (argv->empty())
    return Status::InvalidArgument("profile '" + profile + "': credential_process is empty");
  Child child;
  if (Status s = child.Start(*argv); !s.ok()) return ProcessError(profile, s.message());
  std::string out, err;
  bool finished = child.Drain(clock, clock.Now() + timeout, out, err);
  LogStderr(profile, err);
  if (!finished) {
    return Status::DeadlineExceeded(
        ProcessError(profile, "did not finish within " +
                                  std::to_string((timeout.count() + 999) / 1000) + " s")
            .message());
  }
  int st = child.Wait();
  if (WIFSIGNALED(st)) {
    return ProcessError(profile, "was killed by signal " + std::to_string(WTERMSIG(st)));
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    return ProcessError(profile, "exited with status " + std::to_string(WEXITSTATUS(st)) +
                                     " (its stderr is in the log)");
  }
  if (out.size() > kMaxOutputBytes) return ProcessError(profile, "printed more than 1 MiB");
  return ParseProcessOutput(profile, out);
}

}  // namespace thaw::s3::internal
