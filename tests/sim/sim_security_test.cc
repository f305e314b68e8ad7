// thaw sim facing untrusted clients (issue 17): where it listens, the admin paths' signature
// check, the caps on header sections and XML bodies, and the idle timeout that drops slow
// clients (raw sockets below, since no well-behaved client can be that slow).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "sim/sim_harness.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

// A raw TCP connection to 127.0.0.1:port.
class RawConnection {
 public:
  explicit RawConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawConnection() { ::close(fd_); }
  bool connected() const { return connected_; }
  // False when the peer has closed (EPIPE/ECONNRESET).
  bool Send(const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
      ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return false;
      off += static_cast<size_t>(n);
    }
    return true;
  }
  // Everything received until the peer closes or `timeout` passes; *closed says which.
  std::string ReadUntilClosed(milliseconds timeout, bool* closed) {
    std::string out;
    *closed = false;
    auto deadline = SteadyClock::now() + timeout;
    char buf[4096];
    while (SteadyClock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      int left = static_cast<int>(
          std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()).count());
      if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n <= 0) {
        *closed = true;
        break;
      }
      out.append(buf, static_cast<size_t>(n));
    }
    return out;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::string Listening(const Sim& sim) {
  return sim.endpoint().substr(0, sim.endpoint().rfind(':'));
}

TEST(SimListen, AMissingHostMeansLoopback) {
  TempDir dir;
  for (const char* listen : {":0", "0", "localhost:0"}) {
    Sim sim(dir.path() + "/data", {"--listen", listen});
    ASSERT_FALSE(sim.endpoint().empty()) << listen << ": " << sim.Log();
    EXPECT_EQ(Listening(sim), "http://127.0.0.1") << listen;
  }
}

TEST(SimListen, AnAnonymousSimOnAPublicAddressWarns) {
  TempDir dir;
  Sim open(dir.path() + "/open", {"--anonymous", "--listen", "0.0.0.0:0"});
  ASSERT_FALSE(open.endpoint().empty()) << open.Log();
  for (int i = 0; i < 100 && open.Log().find("WARNING") == std::string::npos; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_NE(open.Log().find("WARNING: thaw sim --anonymous is listening on 0.0.0.0"),
            std::string::npos)
      << open.Log();
  Sim local(dir.path() + "/local", {"--anonymous"});
  Sim signed_public(dir.path() + "/signed", {"--listen", "0.0.0.0:0"});
  ASSERT_FALSE(local.endpoint().empty() || signed_public.endpoint().empty());
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(local.Log().find("WARNING"), std::string::npos) << local.Log();
  EXPECT_EQ(signed_public.Log().find("WARNING"), std::string::npos) << signed_public.Log();
}

TEST(SimAdmin, AdminPathsWantTheSimsSignature) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string url = sim.endpoint() + "/_thaw/faults";
  std::string out;
  // Unsigned: 403 AccessDenied, as S3 answers an anonymous request to a private bucket.
  RunCommand("curl -s -o - -w '%{http_code}' -X PUT --data-binary 'op=*,error=SlowDown' " + url,
             &out);
  EXPECT_NE(out.find("<Code>AccessDenied</Code>"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 3), "403");
  // Signed with the wrong secret: 403 SignatureDoesNotMatch.
  RunCommand(
      "curl -s -o - -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:s3 --user "
      "testing:wrong -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -X PUT --data-binary "
      "'op=*,error=SlowDown' " +
          url,
      &out);
  EXPECT_NE(out.find("<Code>SignatureDoesNotMatch</Code>"), std::string::npos) << out;
  EXPECT_EQ(out.substr(out.size() - 3), "403");
  for (const char* path : {"time?advance=30d", "expedited"}) {
    RunCommand("curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary unavailable " +
                   sim.endpoint() + "/_thaw/" + path,
               &out);
    EXPECT_EQ(out, "403") << path;
  }
  // Nothing of the refused requests took effect; the signed ones do.
  ASSERT_EQ(RunCommand(SimAdminCurl() + url, &out), 0);
  EXPECT_EQ(out, "\n");
  ASSERT_EQ(RunCommand(SimAdminCurl() + sim.endpoint() + "/_thaw/expedited", &out), 0);
  EXPECT_EQ(out, "available\n");
  ASSERT_EQ(
      RunCommand(SimAdminCurl() + "-X PUT --data-binary 'op=HeadBucket,error=SlowDown' " + url,
                 &out),
      0);
  ASSERT_EQ(RunCommand(SimAdminCurl() + url, &out), 0);
  EXPECT_EQ(out, "op=HeadBucket,error=SlowDown\n");
  // A signed hash of the body binds it: the same signature with another body is refused.
  std::string replay =
      Boto(sim,
           "import urllib.request, urllib.error\n"
           "from botocore.auth import S3SigV4Auth\n"
           "from botocore.awsrequest import AWSRequest\n"
           "from botocore.credentials import Credentials\n"
           "url = s3.meta.endpoint_url + '/_thaw/faults'\n"
           "aws = AWSRequest(method='PUT', url=url, data=b'op=GetObject,count=1')\n"
           "S3SigV4Auth(Credentials('testing', 'testing'), 's3', "
           "'us-east-1').add_auth(aws)\n"
           "req = urllib.request.Request(url, data=b'op=*,error=SlowDown', "
           "method='PUT', headers=dict(aws.headers))\n"
           "try:\n"
           "    urllib.request.urlopen(req); print('accepted')\n"
           "except urllib.error.HTTPError as e:\n"
           "    print(e.code, e.read().decode())\n");
  EXPECT_NE(replay.find("400"), std::string::npos) << replay;
  EXPECT_NE(replay.find("XAmzContentSHA256Mismatch"), std::string::npos) << replay;
}

TEST(SimAdmin, AnAnonymousSimTakesUnsignedAdminRequests) {
  TempDir dir;
  Sim sim(dir.path() + "/data", {"--anonymous"});
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string out;
  ASSERT_EQ(
      RunCommand("curl -sf -X PUT --data-binary unavailable " + sim.endpoint() + "/_thaw/expedited",
                 &out),
      0);
  EXPECT_EQ(out, "unavailable\n");
}

TEST(SimLimits, AHeaderSectionOver8KiBIsRefused) {
  TempDir dir;
  Sim sim(dir.path() + "/data", {"--anonymous"});
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  auto request = [](size_t header_bytes) {
    return "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: " + std::string(header_bytes, 'a') + "\r\n\r\n";
  };
  for (size_t pad : {9 * 1024, 40 * 1024}) {
    RawConnection c(sim.port());
    ASSERT_TRUE(c.connected());
    c.Send(request(pad));
    bool closed = false;
    std::string answer = c.ReadUntilClosed(milliseconds(5000), &closed);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << pad << ": " << answer;
    EXPECT_NE(answer.find("<Code>RequestHeaderSectionTooLarge</Code>"), std::string::npos)
        << answer;
    EXPECT_TRUE(closed);
  }
  // 7 KiB of headers is fine (ListBuckets answers).
  RawConnection c(sim.port());
  c.Send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Pad: " + std::string(7 * 1024, 'a') +
         "\r\n\r\n");
  bool closed = false;
  std::string answer = c.ReadUntilClosed(milliseconds(5000), &closed);
  EXPECT_EQ(answer.rfind("HTTP/1.1 200", 0), 0u) << answer;
}

TEST(SimLimits, XmlBodiesAreCappedPerOperation) {
  TempDir dir;
  Sim sim(dir.path() + "/data", {"--anonymous"});
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  // Declared too large: refused before the body is read.
  {
    RawConnection c(sim.port());
    c.Send("POST /b?delete HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(3 << 20) +
           "\r\n\r\n");
    bool closed = false;
    std::string answer = c.ReadUntilClosed(milliseconds(5000), &closed);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("<Code>MaxMessageLengthExceeded</Code>"), std::string::npos) << answer;
  }
  // Chunked, so the size shows only while reading: refused once past the cap (restore: 256 KiB).
  {
    RawConnection c(sim.port());
    std::string chunk(64 * 1024, '<');
    std::string req = "POST /b/k?restore HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 8; ++i) req += "10000\r\n" + chunk + "\r\n";
    req += "0\r\n\r\n";
    c.Send(req);
    bool closed = false;
    std::string answer = c.ReadUntilClosed(milliseconds(5000), &closed);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("<Code>MaxMessageLengthExceeded</Code>"), std::string::npos) << answer;
  }
}

TEST(SimLimits, SlowClientsAreDroppedAfterTheIdleTimeout) {
  TempDir dir;
  Sim sim(dir.path() + "/data", {"--anonymous", "--idle-timeout-ms", "1000"});
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  // Silent: closed after about a second.
  {
    RawConnection c(sim.port());
    auto start = SteadyClock::now();
    bool closed = false;
    c.ReadUntilClosed(milliseconds(10000), &closed);
    EXPECT_TRUE(closed);
    EXPECT_LT(SteadyClock::now() - start, milliseconds(3000));
  }
  // A header trickled a few bytes every 100 ms: still closed about a second after it began,
  // though bytes keep arriving (the deadline covers the whole header).
  {
    RawConnection c(sim.port());
    auto start = SteadyClock::now();
    c.Send("GET / HTTP/1.1\r\n");
    bool sent = true;
    while (sent && SteadyClock::now() - start < milliseconds(10000)) {
      std::this_thread::sleep_for(milliseconds(100));
      sent = c.Send("X: y\r\n");
    }
    EXPECT_FALSE(sent) << "the server kept reading a header for 10 s";
    EXPECT_LT(SteadyClock::now() - start, milliseconds(3500));
  }
  // A body that stops: 400 RequestTimeout, as S3 answers, then closed.
  {
    RawConnection c(sim.port());
    c.Send("POST /b?delete HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<Delete>");
    bool closed = false;
    std::string answer = c.ReadUntilClosed(milliseconds(10000), &closed);
    EXPECT_TRUE(closed);
    EXPECT_EQ(answer.rfind("HTTP/1.1 400", 0), 0u) << answer;
    EXPECT_NE(answer.find("<Code>RequestTimeout</Code>"), std::string::npos) << answer;
  }
  // Meanwhile (and after) ordinary clients are served.
  RawConnection idle(sim.port());
  std::string out;
  ASSERT_EQ(RunCommand("curl -sf -o /dev/null -w '%{http_code}' " + sim.endpoint() + "/", &out), 0);
  EXPECT_EQ(out, "200");
}

}  // namespace
}  // namespace thaw::testing
