// Child process management for integration tests (see process.h).
#include "process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace thaw::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& argv,
                           const std::map<std::string, std::string>& env,
                           const std::string& log_path) {
  pid_ = fork();
  if (pid_ == 0) {
    setpgid(0, 0);
    // If the test process dies (a crash, ctest's timeout), take the server down with it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    int fd =
        open(log_path.empty() ? "/dev/null" : log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  if (pid_ > 0) setpgid(pid_, pid_);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) Kill(SIGKILL);
}

bool ChildProcess::running() {
  if (pid_ <= 0 || reaped_) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    reaped_ = true;
    wait_status_ = st;
    return false;
  }
  return true;
}

int ChildProcess::Kill(int sig) {
  if (pid_ <= 0) return -1;
  if (!reaped_) {
    kill(-pid_, sig);
    kill(pid_, sig);
    int st = 0;
    if (waitpid(pid_, &st, 0) == pid_) wait_status_ = st;
    reaped_ = true;
    // Make sure no grandchild survives (moto forks reloaders in some versions).
    kill(-pid_, SIGKILL);
  }
  return wait_status_;
}

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool WaitForPort(int port, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    close(fd);
    if (rc == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

namespace {

// Server-side sockets of 127.0.0.1:port that are connected (ESTABLISHED, 01) or whose client
// has gone (CLOSE_WAIT, 08). /proc/net/tcp lines: "sl local rem st ...", addresses as
// hex IP:PORT.
int OpenServerConnections(int port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  int open = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    size_t colon = local.find(':');
    if (colon == std::string::npos) continue;
    int local_port = static_cast<int>(std::stoul(local.substr(colon + 1), nullptr, 16));
    if (local_port == port && (state == "01" || state == "08")) ++open;
  }
  return open;
}

}  // namespace

bool WaitForServerConnectionsClosed(int port, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (OpenServerConnections(port) > 0) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

MotoServer::MotoServer(const std::map<std::string, std::string>& extra_env) {
  for (int tries = 0; tries < 3 && !ok_; ++tries) {
    delete process_;
    port_ = FreePort();
    log_path_ = "/tmp/thaw-moto-" + std::to_string(port_) + ".log";
    std::map<std::string, std::string> env = extra_env;
    env.emplace("AWS_ACCESS_KEY_ID", "testing");
    env.emplace("AWS_SECRET_ACCESS_KEY", "testing");
    env.emplace("AWS_DEFAULT_REGION", "us-east-1");
    process_ = new ChildProcess({"moto_server", "-H", "127.0.0.1", "-p", std::to_string(port_)},
                                env, log_path_);
    ok_ = WaitForPort(port_, 20000) && process_->running();
  }
}

MotoServer::~MotoServer() {
  delete process_;
}

}  // namespace thaw::testing
