// The real S3 client against misbehaving servers (tests/support/http_test_server): retries with
// backoff on the injected clock, typed outcomes, malformed bodies, closed connections,
// connection reuse, resumed downloads. No network beyond 127.0.0.1.
#include <gtest/gtest.h>

#include <cstring>

#include "common/clock.h"
#include "s3/client.h"
#include "s3/error.h"
#include "support/http_test_server.h"

namespace thaw::s3 {
namespace {

using thaw::testing::HttpTestServer;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

std::string ErrorXml(const std::string& code, const std::string& message = "m") {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" +
         message + "</Message><RequestId>REQ123</RequestId></Error>";
}

class ClientAgainstFakeServer : public ::testing::Test {
 protected:
  std::unique_ptr<S3Client> Client(HttpTestServer& server, int max_attempts = 3, bool sign = true) {
    ClientConfig config;
    config.endpoint_url = server.url();
    config.force_path_style = true;
    config.retry.max_attempts = max_attempts;
    config.transport.stall_timeout = std::chrono::milliseconds(2000);
    Credentials creds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", {}, "test"};
    return MakeHttpClient(config, sign ? MakeStaticProvider(creds) : nullptr, clock_);
  }
  FakeClock clock_{FakeClock::TimePoint(std::chrono::seconds(1700000000)), /*auto_advance=*/true};
};

TEST_F(ClientAgainstFakeServer, RetriesSlowDownThenSucceeds) {
  int calls = 0;
  HttpTestServer server([&](const TestRequest&) {
    if (++calls < 3) return TestResponse::Status(503, ErrorXml("SlowDown"));
    TestResponse r;
    r.headers = {{"Content-Length", "5"}, {"ETag", "\"e\""}};
    return r;
  });
  auto client = Client(server);
  auto head = client->HeadObject({"b", "k", ""});
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(server.request_count(), 3);
  // Two backoff sleeps happened on the injected clock, each at most base * 2^(n-1).
  EXPECT_GT(clock_.total_slept(), Clock::Duration::zero());
  EXPECT_LE(clock_.total_slept(), std::chrono::milliseconds(100 + 200));
}

TEST_F(ClientAgainstFakeServer, GivesUpAfterMaxAttemptsWithTheLastError) {
  HttpTestServer server([](const TestRequest&) { return TestResponse::Status(500); });
  auto client = Client(server, 4);
  auto r = client->GetObject({"b", "k", "", std::nullopt, "", nullptr});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server.request_count(), 4);
  EXPECT_TRUE(r.status().IsUnavailable());
  const S3ErrorDetail* d = GetS3Error(r.status());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->http_status, 500);
  EXPECT_EQ(d->kind, S3ErrorDetail::Kind::kService);
}

TEST_F(ClientAgainstFakeServer, ClientErrorsAreNotRetried) {
  HttpTestServer server(
      [](const TestRequest&) { return TestResponse::Status(403, ErrorXml("AccessDenied", "no")); });
  auto client = Client(server);
  auto r = client->ListObjectsV2({.bucket = "b"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server.request_count(), 1);
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(GetS3Error(r.status())->request_id, "REQ123");
  EXPECT_NE(r.status().message().find("AccessDenied"), std::string::npos);
}

TEST_F(ClientAgainstFakeServer, RestoreAnswersAreTypedOutcomes) {
  struct Case {
    int status;
    std::string body;
    RestoreOutcome want;
  };
  std::vector<Case> cases = {
      {202, "", RestoreOutcome::kAccepted},
      {200, "", RestoreOutcome::kAlreadyRestored},
      {409, ErrorXml("RestoreAlreadyInProgress"), RestoreOutcome::kAlreadyInProgress},
      {503, ErrorXml("GlacierExpeditedRetrievalNotAvailable"),
       RestoreOutcome::kExpeditedUnavailable},
      {403, ErrorXml("InvalidObjectState"), RestoreOutcome::kNotArchived},
      {400, ErrorXml("ObjectAlreadyInActiveTierError"), RestoreOutcome::kNotArchived},
      {403, ErrorXml("ObjectAlreadyInActiveTierError"), RestoreOutcome::kNotArchived},
  };
  for (const auto& c : cases) {
    std::string seen_body, seen_target, seen_method;
    HttpTestServer server([&](const TestRequest& req) {
      seen_body = req.body;
      seen_target = req.target;
      seen_method = req.method;
      return TestResponse::Status(c.status, c.body);
    });
    auto client = Client(server);
    auto r = client->RestoreObject({"b", "dir/a b", "v1", RestoreTier::kExpedited, 2});
    ASSERT_TRUE(r.ok()) << c.status << " " << r.status().ToString();
    EXPECT_EQ(*r, c.want) << c.status << " " << c.body;
    // One request only: none of these answers is retried.
    EXPECT_EQ(server.request_count(), 1) << c.body;
    EXPECT_EQ(seen_method, "POST");
    EXPECT_EQ(seen_target, "/b/dir/a%20b?restore&versionId=v1");
    EXPECT_NE(seen_body.find("<Days>2</Days>"), std::string::npos);
    EXPECT_NE(seen_body.find("<Tier>Expedited</Tier>"), std::string::npos);
  }
}

TEST_F(ClientAgainstFakeServer, RestoreThrottlingIsRetried) {
  int calls = 0;
  HttpTestServer server([&](const TestRequest&) {
    return ++calls == 1 ? TestResponse::Status(503, ErrorXml("SlowDown"))
                        : TestResponse::Status(202);
  });
  auto client = Client(server);
  auto r = client->RestoreObject({"b", "k", "", RestoreTier::kBulk, 1});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, RestoreOutcome::kAccepted);
  EXPECT_EQ(calls, 2);
}

TEST_F(ClientAgainstFakeServer, MalformedListingIsAClearError) {
  for (std::string body :
       {std::string("<ListBucketResult><Contents><Key>a</Key>"), std::string("not xml at all"),
        std::string(""), std::string("<Other/>")}) {
    HttpTestServer server([&](const TestRequest&) { return TestResponse::Ok(body); });
    auto client = Client(server);
    auto r = client->ListObjectsV2({.bucket = "b"});
    ASSERT_FALSE(r.ok()) << body;
    EXPECT_NE(r.status().message().find("ListObjectsV2 s3://b"), std::string::npos)
        << r.status().message();
  }
}

TEST_F(ClientAgainstFakeServer, ErrorStatusWithoutBody) {
  HttpTestServer server([](const TestRequest&) { return TestResponse::Status(404); });
  auto client = Client(server);
  auto r = client->HeadObject({"b", "missing", ""});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_EQ(GetS3Error(r.status())->http_status, 404);
}

TEST_F(ClientAgainstFakeServer, ClosedConnectionIsANetworkErrorAndRetried) {
  HttpTestServer server([](const TestRequest&) {
    TestResponse r;
    r.action = TestResponse::Action::kClose;
    return r;
  });
  auto client = Client(server);
  auto r = client->GetObject({"b", "k", "", std::nullopt, "", nullptr});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server.request_count(), 3);
  const S3ErrorDetail* d = GetS3Error(r.status());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, S3ErrorDetail::Kind::kNetwork);
  EXPECT_EQ(d->http_status, 0);
}

TEST_F(ClientAgainstFakeServer, TruncatedBodyIsNotReturnedAsData) {
  HttpTestServer server([](const TestRequest&) {
    TestResponse r = TestResponse::Ok(std::string(1000, 'x'));
    r.action = TestResponse::Action::kTruncate;
    return r;
  });
  auto client = Client(server, 2);
  auto r = client->GetObject({"b", "k", "", std::nullopt, "", nullptr});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server.request_count(), 2);
  EXPECT_EQ(GetS3Error(r.status())->kind, S3ErrorDetail::Kind::kNetwork);
}

TEST_F(ClientAgainstFakeServer, ResumedDownloadAsksOnlyForTheRestPinnedToTheETag) {
  const std::string data = "0123456789abcdefghijklmnopqrstuvwxyz";
  HttpTestServer server([&](const TestRequest& req) {
    std::string range = req.Header("range");
    if (range.empty()) {
      TestResponse r = TestResponse::Ok(data);
      r.headers = {{"ETag", "\"v1\""}};
      r.action = TestResponse::Action::kTruncate;  // sends the first half, then closes
      return r;
    }
    uint64_t from = std::stoull(range.substr(6));
    TestResponse r = TestResponse::Ok(data.substr(from));
    r.status = 206;
    r.headers = {
        {"ETag", "\"v1\""},
        {"Content-Range", "bytes " + std::to_string(from) + "-" + std::to_string(data.size() - 1) +
                              "/" + std::to_string(data.size())}};
    return r;
  });
  auto client = Client(server);
  std::string got;
  GetObjectRequest req{"b", "k", "", std::nullopt, "", nullptr};
  req.sink = [&](std::string_view chunk) {
    got.append(chunk);
    return Status::Ok();
  };
  auto r = client->GetObject(req);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(got, data);
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].Header("range"), "bytes=18-");
  EXPECT_EQ(seen[1].Header("if-match"), "\"v1\"");
}

TEST_F(ClientAgainstFakeServer, ConnectionsAreReused) {
  HttpTestServer server([](const TestRequest&) {
    TestResponse r;
    r.headers = {{"Content-Length", "1"}};
    return r;
  });
  auto client = Client(server);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client->HeadObject({"b", "k", ""}).ok());
  EXPECT_EQ(server.request_count(), 20);
  EXPECT_EQ(server.connection_count(), 1);
}

TEST_F(ClientAgainstFakeServer, SignsRequestsUnlessToldNotTo) {
  HttpTestServer server([](const TestRequest&) { return TestResponse::Status(200); });
  auto signed_client = Client(server);
  ASSERT_TRUE(signed_client->HeadObject({"b", "k", ""}).ok());
  auto anon = Client(server, 3, /*sign=*/false);
  ASSERT_TRUE(anon->HeadObject({"b", "k", ""}).ok());
  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].Header("authorization").rfind("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", 0),
            0u);
  EXPECT_FALSE(seen[0].Header("x-amz-date").empty());
  EXPECT_EQ(seen[1].Header("authorization"), "");
}

TEST_F(ClientAgainstFakeServer, DeadEndpointFailsFastWithoutReachingTheServer) {
  ClientConfig config;
  {
    HttpTestServer gone([](const TestRequest&) { return TestResponse::Status(200); });
    config.endpoint_url = gone.url();
  }  // the port is closed now
  config.force_path_style = true;
  auto client = MakeHttpClient(config, nullptr, clock_);
  auto r = client->HeadObject({"b", "k", ""});
  ASSERT_FALSE(r.ok());
  const S3ErrorDetail* d = GetS3Error(r.status());
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, S3ErrorDetail::Kind::kNetwork);
  EXPECT_FALSE(d->request_sent);
}

TEST_F(ClientAgainstFakeServer, NonRewindableUploadIsNotRepeatedAfterReachingTheServer) {
  HttpTestServer server([](const TestRequest&) {
    TestResponse r;
    r.action = TestResponse::Action::kClose;
    return r;
  });
  auto client = Client(server);
  PutObjectRequest put;
  put.bucket = "b";
  put.key = "k";
  auto data = std::make_shared<std::string>("streamed body");
  auto offset = std::make_shared<size_t>(0);
  put.body.size = data->size();
  put.body.reader = [data, offset](char* buf, size_t len) -> int64_t {
    size_t n = std::min(len, data->size() - *offset);
    std::memcpy(buf, data->data() + *offset, n);
    *offset += n;
    return static_cast<int64_t>(n);
  };
  auto r = client->PutObject(put);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(server.request_count(), 1);
}

}  // namespace
}  // namespace thaw::s3
