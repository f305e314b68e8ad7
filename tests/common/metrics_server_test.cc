// MetricsServer facing slow and hostile clients: loopback unless told otherwise, a header due
// whole within the read timeout (silence and trickles alike get 408 and lose the connection),
// oversized requests refused with 431, and scrapers served again once the slow client is gone.
#include "common/metrics_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace thaw {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

int Connect(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Everything the server sends until it closes (or 10 s pass).
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  auto deadline = SteadyClock::now() + milliseconds(10000);
  while (SteadyClock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Get(int port, const std::string& path) {
  int fd = Connect(port);
  if (fd < 0) return "";
  std::string req = "GET " + path + " HTTP/1.0\r\nHost: x\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string out = ReadAll(fd);
  ::close(fd);
  return out;
}

class MetricsServerTest : public ::testing::Test {
 protected:
  MetricsServer server_{[] { return std::string("thaw_up 1\n"); }, [] { return std::string(); }};
};

TEST_F(MetricsServerTest, APortAloneListensOnLoopback) {
  for (const char* listen : {"0", ":0", "localhost:0"}) {
    MetricsServer s([] { return std::string(); }, [] { return std::string(); });
    ASSERT_TRUE(s.Start(listen).ok()) << listen;
    EXPECT_EQ(s.host(), "127.0.0.1") << listen;
    EXPECT_NE(Get(s.port(), "/healthz").find("200 OK"), std::string::npos);
  }
}

TEST_F(MetricsServerTest, SilentAndTricklingClientsAreDroppedAfterTheReadTimeout) {
  server_.set_read_timeout(milliseconds(1000));
  ASSERT_TRUE(server_.Start("127.0.0.1:0").ok());
  // Silent: 408 after about a second.
  int silent = Connect(server_.port());
  auto start = SteadyClock::now();
  // A scraper queued behind it is served once the silent client is dropped.
  auto scrape = std::async(std::launch::async, [&] { return Get(server_.port(), "/metrics"); });
  std::string answer = ReadAll(silent);
  ::close(silent);
  EXPECT_EQ(answer.rfind("HTTP/1.0 408", 0), 0u) << answer;
  EXPECT_LT(SteadyClock::now() - start, milliseconds(3000));
  EXPECT_NE(scrape.get().find("thaw_up 1"), std::string::npos);

  // Trickling: a byte every 50 ms keeps arriving, but the header is not done in time.
  int slow = Connect(server_.port());
  start = SteadyClock::now();
  std::string dripped = "GET /metrics HTTP/1.0\r\nX-Slow: ";
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {
    if (::send(slow, dripped.data() + (i % dripped.size()), 1, MSG_NOSIGNAL) != 1) closed = true;
    pollfd p{slow, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0) closed = true;  // the answer (408) has come
  }
  std::string late = ReadAll(slow);
  ::close(slow);
  EXPECT_TRUE(closed);
  EXPECT_EQ(late.rfind("HTTP/1.0 408", 0), 0u) << late;
  EXPECT_LT(SteadyClock::now() - start, milliseconds(3000));
  EXPECT_EQ(server_.timeouts(), 2u);
}

TEST_F(MetricsServerTest, RequestsOver8KiBAreRefused) {
  ASSERT_TRUE(server_.Start("127.0.0.1:0").ok());
  int fd = Connect(server_.port());
  std::string req = "GET /metrics HTTP/1.0\r\nX-Pad: " + std::string(9000, 'a') + "\r\n\r\n";
  ::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string answer = ReadAll(fd);
  ::close(fd);
  EXPECT_EQ(answer.rfind("HTTP/1.0 431", 0), 0u) << answer;
  EXPECT_EQ(server_.refused(), 1u);
  EXPECT_NE(Get(server_.port(), "/metrics").find("thaw_up 1"), std::string::npos);
}

}  // namespace
}  // namespace thaw
