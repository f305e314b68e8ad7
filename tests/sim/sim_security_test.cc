// thaw sim facing untrusted clients (issue 17): where it listens, the admin paths' signature
// check, the caps on header sections, XML bodies and key length, the idle timeout that drops
// slow clients (raw sockets below, since no well-behaved client can be that slow), and hostile
// keys echoed in XML and stored on disk (checked with boto3 and a strict XML parser).
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

// Keys whose bytes mean something to XML, to a shell or to a file system.
const char* kHostileKeysPython =
    "keys = ['a<b>c', 'amp&amp;', 'cdata]]>end', 'quote\"apos\\'', 'ctl\\x01\\x02\\x1f\\x7f', "
    "'tab\\tlf\\ncr\\r', '../../escape', '/absolute/key', 'dir/../../../up', '..', '.', "
    "'%2e%2e/enc', 'back\\\\slash', 'unicode-\\u00e9\\u2603', 'x' * 1024, "
    "'d/' + 'y' * 300 + '/z']\n";

TEST(SimHostileKeys, ListingsAndEchoesStayWellFormedXml) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string out = Boto(
      sim,
      std::string(kHostileKeysPython) +
          "import urllib.request, xml.etree.ElementTree as ET\n"
          "from botocore.auth import S3SigV4Auth\n"
          "from botocore.awsrequest import AWSRequest\n"
          "from botocore.credentials import Credentials\n"
          "def raw(path, method='GET'):\n"
          "    url = s3.meta.endpoint_url + path\n"
          "    aws = AWSRequest(method=method, url=url)\n"
          "    S3SigV4Auth(Credentials('testing', 'testing'), 's3', 'us-east-1').add_auth(aws)\n"
          "    req = urllib.request.Request(url, headers=dict(aws.headers), method=method)\n"
          "    try:\n"
          "        return urllib.request.urlopen(req).read()\n"
          "    except urllib.error.HTTPError as e:\n"
          "        return e.read()\n"
          "s3.create_bucket(Bucket='hostile')\n"
          "for k in keys:\n"
          "    s3.put_object(Bucket='hostile', Key=k, Body=k.encode())\n"
          // boto3 lists with encoding-type=url and decodes: every key comes back exactly.
          "got = [o['Key'] for p in s3.get_paginator('list_objects_v2').paginate("
          "Bucket='hostile', PaginationConfig={'PageSize': 3}) for o in p.get('Contents', [])]\n"
          "assert sorted(got) == sorted(keys), (got, keys)\n"
          "got = [o['Key'] for o in s3.list_objects(Bucket='hostile')['Contents']]\n"
          "assert sorted(got) == sorted(keys), got\n"
          "for k in keys:\n"
          "    assert s3.get_object(Bucket='hostile', Key=k)['Body'].read() == k.encode(), k\n"
          // A strict parser (expat) reads every url-encoded listing, delimiters and markers too.
          "import urllib.parse\n"
          "for q in ['list-type=2&encoding-type=url&delimiter=%3C&prefix=a',\n"
          "          'encoding-type=url&delimiter=%01&marker=%3C%26',\n"
          "          'list-type=2&encoding-type=url&start-after=%5D%5D%3E&max-keys=2']:\n"
          "    ET.fromstring(raw('/hostile?' + q))\n"
          "root = ET.fromstring(raw('/hostile?list-type=2&encoding-type=url'))\n"
          "ns = '{http://s3.amazonaws.com/doc/2006-03-01/}'\n"
          "got = [urllib.parse.unquote(e.text) for e in root.iter(ns + 'Key')]\n"
          "assert sorted(got) == sorted(keys), got\n"
          // Without encoding-type=url the control characters go out as &#x1; references, as
          // S3 writes them; everything else the strict parser reads back exactly.
          "body = raw('/hostile?list-type=2&prefix=ctl')\n"
          "assert b'<Key>ctl&#x1;&#x2;&#x1F;\\x7f</Key>' in body, body\n"
          "root = ET.fromstring(raw('/hostile?list-type=2&prefix=a'))\n"
          "assert [e.text for e in root.iter(ns + 'Key')] == ['a<b>c', 'amp&amp;'], body\n"
          // Errors echo the hostile key's resource; uploads echo the key.
          "err = raw('/hostile/' + urllib.parse.quote('nope<&>\"\\'', safe=''))\n"
          "e = ET.fromstring(err)\n"
          "assert e.find('Code').text == 'NoSuchKey', err\n"
          "for k in ['up<&>\"\\']]>', 'up\\tload']:\n"
          "    u = s3.create_multipart_upload(Bucket='hostile', Key=k)\n"
          "    assert u['Key'] == k, u\n"
          "    p = s3.upload_part(Bucket='hostile', Key=k, UploadId=u['UploadId'], PartNumber=1, "
          "Body=b'part')\n"
          "    assert [x['Key'] for x in s3.list_multipart_uploads(Bucket='hostile')['Uploads']] "
          "== [k]\n"
          "    parts = s3.list_parts(Bucket='hostile', Key=k, UploadId=u['UploadId'])\n"
          "    assert parts['Key'] == k, parts\n"
          "    c = s3.complete_multipart_upload(Bucket='hostile', Key=k, UploadId=u['UploadId'], "
          "MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': p['ETag']}]})\n"
          "    assert c['Key'] == k, c\n"
          // (boto3 cannot read S3's answer naming such a key: expat refuses &#x1;.)
          "raw('/hostile/ctl%01up?uploads', 'POST')\n"
          "body = raw('/hostile?uploads&encoding-type=url')\n"
          "root = ET.fromstring(body)\n"
          "assert [e.text for e in root.iter(ns + 'Key')] == ['ctl%01up'], body\n"
          "r = s3.delete_objects(Bucket='hostile', Delete={'Objects': [{'Key': k} for k in keys "
          "if '\\x01' not in k and '\\r' not in k]})\n"
          "assert len(r['Deleted']) == len(keys) - 2, r\n"
          "print('ok')\n");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

TEST(SimHostileKeys, KeysNeverBecomePathsOutsideTheDataDir) {
  TempDir dir;
  std::string data = dir.path() + "/sub/data";
  std::filesystem::create_directories(data);
  Sim sim(data);
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string out = Boto(sim, std::string(kHostileKeysPython) +
                                  "s3.create_bucket(Bucket='paths')\n"
                                  "for k in keys:\n"
                                  "    s3.put_object(Bucket='paths', Key=k, Body=k.encode())\n"
                                  // (boto3 cannot parse S3's answer naming a C0 key.)
                                  "    if '\\x01' in k: continue\n"
                                  "    u = s3.create_multipart_upload(Bucket='paths', Key=k)\n"
                                  "    s3.upload_part(Bucket='paths', Key=k, PartNumber=1, "
                                  "UploadId=u['UploadId'], Body=b'p')\n"
                                  "for k in keys:\n"
                                  "    assert s3.get_object(Bucket='paths', Key=k)['Body'].read() "
                                  "== k.encode(), k\n"
                                  "print('ok')\n");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
  // Nothing beside the data dir, and inside it only the sim's own layout: no name in it comes
  // from a key (`escape`, `absolute`, `up`, `enc`, 'yyy...').
  namespace fs = std::filesystem;
  std::vector<std::string> outside;
  for (const auto& e : fs::recursive_directory_iterator(dir.path())) {
    std::string p = e.path().string();
    if (p.rfind(data, 0) != 0 && p != dir.path() + "/sub" && p.find("/data.") == std::string::npos)
      outside.push_back(p);
  }
  EXPECT_TRUE(outside.empty()) << outside.front();
  for (const auto& e : fs::recursive_directory_iterator(data)) {
    std::string name = e.path().filename().string();
    for (const char* bad : {"escape", "absolute", "enc", "yyyy", "slash", "unicode"}) {
      EXPECT_EQ(name.find(bad), std::string::npos) << e.path();
    }
  }
  EXPECT_FALSE(fs::exists("/absolute"));
}

TEST(SimHostileKeys, KeysOver1024BytesAreTooLong) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string out = Boto(sim,
                         "from botocore.exceptions import ClientError\n"
                         "s3.create_bucket(Bucket='long')\n"
                         "s3.put_object(Bucket='long', Key='k' * 1024, Body=b'fits')\n"
                         "assert s3.get_object(Bucket='long', Key='k' * 1024)['Body'].read() == "
                         "b'fits'\n"
                         "for op in [lambda: s3.put_object(Bucket='long', Key='k' * 1025, "
                         "Body=b'x'),\n"
                         "           lambda: s3.put_object(Bucket='long', Key='\\u00e9' * 513, "
                         "Body=b'x'),\n"
                         "           lambda: s3.create_multipart_upload(Bucket='long', "
                         "Key='k' * 1025)]:\n"
                         "    try:\n"
                         "        op(); assert False\n"
                         "    except ClientError as e:\n"
                         "        assert e.response['Error']['Code'] == 'KeyTooLongError', "
                         "e.response\n"
                         "        assert e.response['ResponseMetadata']['HTTPStatusCode'] == 400\n"
                         "print('ok')\n");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

}  // namespace
}  // namespace thaw::testing
