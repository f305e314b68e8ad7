// Child processes for integration tests: moto_server, `thaw` itself. A ChildProcess is started
// in its own process group and killed (the whole group) by its destructor, so a failing test
// never leaves servers behind.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace thaw::testing {

class ChildProcess {
 public:
  // Starts argv[0] (looked up in PATH) with the current environment plus `env`.
  // stdout/stderr go to `log_path` (or /dev/null when empty).
  ChildProcess(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::string& log_path = "");
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends `sig` to the process group and waits for the child. Returns its wait status.
  int Kill(int sig);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  int wait_status_ = 0;
};

// A free TCP port on 127.0.0.1 (bound, then released; a small race is accepted in tests).
int FreePort();

// Polls until a TCP connect to 127.0.0.1:port succeeds or timeout_ms passes.
bool WaitForPort(int port, int timeout_ms);

// Waits until no TCP connection to the server listening on 127.0.0.1:port is open or half
// closed (ESTABLISHED or CLOSE_WAIT on the server's side, read from /proc/net/tcp), or
// timeout_ms passes; true when none is left. After a client was killed, a server socket stays
// in CLOSE_WAIT until the server has finished the request it was handling on it and closed it:
// this is "the server has answered everything the dead client sent", observed, not guessed.
// Only meaningful while no live client talks to that server.
bool WaitForServerConnectionsClosed(int port, int timeout_ms);

// moto_server on a free loopback port, started for one test (or one suite).
class MotoServer {
 public:
  // `extra_env` e.g. {"INITIAL_NO_AUTH_ACTION_COUNT", "3"} to make moto verify signatures.
  explicit MotoServer(const std::map<std::string, std::string>& extra_env = {});
  ~MotoServer();

  bool ok() const { return ok_; }
  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& log_path() const { return log_path_; }

 private:
  int port_ = 0;
  bool ok_ = false;
  std::string log_path_;
  ChildProcess* process_ = nullptr;
};

}  // namespace thaw::testing
