// The /metrics and /healthz endpoint (see metrics_server.h), on plain POSIX sockets.
#include "common/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>

#include "common/strings.h"

namespace thaw {
namespace {

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

std::string Response(int status, std::string_view reason, std::string_view content_type,
                     std::string_view body) {
  return "HTTP/1.0 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: " + std::string(content_type) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         std::string(body);
}

}  // namespace

MetricsServer::MetricsServer(Render render, Health health)
    : render_(std::move(render)), health_(std::move(health)) {}

MetricsServer::~MetricsServer() {
  Stop();
}

Status MetricsServer::Start(const std::string& listen) {
  // "HOST:PORT", ":PORT" or "PORT"; no host is loopback: counters and health are for the
  // operator, not for every interface.
  size_t colon = listen.rfind(':');
  std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
  if (host == "localhost" || host.empty()) host = "127.0.0.1";
  auto port = ParseInt64(colon == std::string::npos ? listen : listen.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    return Status::InvalidArgument("--metrics-listen '" + listen + "': bad port");
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(*port));
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return Status::InvalidArgument("--metrics-listen '" + listen + "': bad IPv4 address");
  }
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Status::Internal(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(fd_, 16) != 0) {
    Status s = Status::Unavailable("--metrics-listen " + listen + ": " + std::strerror(errno));
    ::close(fd_);
    fd_ = -1;
    return s;
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &addr.sin_addr, text, sizeof(text));
  host_ = text;
  thread_ = std::thread([this] { Loop(); });
  return Status::Ok();
}

void MetricsServer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void MetricsServer::Loop() {
  while (!stop_.load()) {
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, 200);  // wakes regularly to notice Stop()
    if (ready <= 0) continue;
    int conn = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    Serve(conn);
    ::close(conn);
  }
}

// One request on `conn`. The whole header must arrive within the read timeout, however it is
// split: a client that sends nothing, or a byte at a time, would otherwise hold the only
// thread (and every scraper behind it) as long as it likes.
void MetricsServer::Serve(int conn) {
  auto deadline = std::chrono::steady_clock::now() + read_timeout_;
  std::string request;
  char buf[2048];
  bool complete = false;
  while (!(complete = request.find("\r\n\r\n") != std::string::npos) &&
         request.size() <= kMaxRequestBytes) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{conn, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 200)));
    if (ready < 0 && errno != EINTR) break;
    if (stop_.load()) return;
    if (ready <= 0) continue;
    ssize_t n = ::recv(conn, buf, sizeof(buf), MSG_DONTWAIT);
    if (n == 0) return;  // the client went away
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return;
    }
    request.append(buf, static_cast<size_t>(n));
  }
  size_t header_end = request.find("\r\n\r\n");
  if (!complete || header_end + 4 > kMaxRequestBytes) {
    if (request.size() > kMaxRequestBytes) {
      refused_.fetch_add(1);
      WriteAll(conn, Response(431, "Request Header Fields Too Large", "text/plain",
                              "request header larger than 8 KiB\n"));
    } else {
      timeouts_.fetch_add(1);
      WriteAll(conn, Response(408, "Request Timeout", "text/plain", "request timeout\n"));
    }
    return;
  }
  std::string_view line(request);
  line = line.substr(0, line.find("\r\n"));
  std::string answer;
  if (StartsWith(line, "GET /metrics")) {
    answer = Response(200, "OK", "text/plain; version=0.0.4; charset=utf-8", render_());
  } else if (StartsWith(line, "GET /healthz")) {
    std::string why = health_();
    answer = why.empty() ? Response(200, "OK", "text/plain", "ok\n")
                         : Response(503, "Service Unavailable", "text/plain", why + "\n");
  } else if (StartsWith(line, "GET ")) {
    answer = Response(404, "Not Found", "text/plain", "try /metrics or /healthz\n");
  } else {
    answer = Response(400, "Bad Request", "text/plain", "bad request\n");
  }
  // Writes are bounded too: a scraper that never reads must not block the loop either.
  timeval tv{static_cast<time_t>(read_timeout_.count() / 1000),
             static_cast<suseconds_t>((read_timeout_.count() % 1000) * 1000)};
  ::setsockopt(conn, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  WriteAll(conn, answer);
}

}  // namespace thaw
