// Tests for the network credential sources: the container endpoint and EC2 instance metadata,
// each faked by an HttpTestServer and reached over real sockets (BeastTransport), plus a
// recording transport where the real address (169.254.x.x) matters.
#include <gtest/gtest.h>

// clang-format off
#include <utility>  // Boost 1.74 asio needs std::exchange declared first under C++20
#include <boost/asio.hpp>
// clang-format on

#include "common/time_format.h"
#include "s3/credentials.h"
#include "s3/credentials_test_util.h"
#include "support/beast_transport.h"
#include "support/http_test_server.h"
#include "support/test_env.h"

namespace thaw::s3 {
namespace {

using namespace credtest;  // NOLINT: test helpers
using thaw::testing::BeastTransport;
using thaw::testing::HttpTestServer;
using thaw::testing::TempDir;
using thaw::testing::TestRequest;
using thaw::testing::TestResponse;

constexpr char kRoles[] = "/latest/meta-data/iam/security-credentials/";

// A URL on 127.0.0.1 where nothing listens: connections are refused.
std::string ClosedPortUrl() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  int port = a.local_endpoint().port();
  a.close();
  return "http://127.0.0.1:" + std::to_string(port);
}

// --- Container ---------------------------------------------------------------------------------

class ContainerProviderTest : public ::testing::Test {
 protected:
  ContainerProviderTest()
      : server_([](const TestRequest&) { return TestResponse::Ok(CredentialsJson()); }) {}
  void SetUp() override {
    env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server_.url() + "/v2/creds");
  }
  Result<Credentials> Get() { return MakeContainerProvider(env_.lookup(), http_)->Get(); }
  void Respond(TestResponse response) {
    server_.set_handler([response](const TestRequest&) { return response; });
  }

  HttpTestServer server_;
  FakeEnv env_;
  BeastTransport http_;
  TempDir dir_;
};

TEST_F(ContainerProviderTest, NotConfiguredIsNotFound) {
  env_.Unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  EXPECT_EQ(Get().status().code(), StatusCode::kNotFound);
  EXPECT_EQ(server_.request_count(), 0);
}

TEST_F(ContainerProviderTest, FullUriWithTokenFromEnvironment) {
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Basic abc123");
  Result<Credentials> r = Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, kAccessKeyId);
  EXPECT_EQ(r->secret_access_key, kSecret);
  EXPECT_EQ(r->session_token, kSessionToken);
  EXPECT_EQ(r->source, "container");
  ASSERT_TRUE(r->expiration.has_value());
  EXPECT_EQ(FormatIso8601(*r->expiration, false), "2030-01-01T00:00:00Z");
  ASSERT_EQ(server_.request_count(), 1);
  TestRequest req = server_.requests()[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/v2/creds");
  EXPECT_EQ(req.Header("authorization"), "Basic abc123");
  EXPECT_EQ(req.Header("accept"), "application/json");
}

TEST_F(ContainerProviderTest, NoTokenNoAuthorizationHeader) {
  ASSERT_TRUE(Get().ok());
  EXPECT_EQ(server_.requests()[0].headers.count("authorization"), 0u);
}

TEST_F(ContainerProviderTest, TokenFileIsReadOnEveryFetchAndBeatsTheVariable) {
  std::string path = dir_.WriteFile("token", "file-token-1\n");
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path);
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token");
  auto p = MakeContainerProvider(env_.lookup(), http_);
  ASSERT_TRUE(p->Get().ok());
  dir_.WriteFile("token", "file-token-2");  // rotated, as EKS Pod Identity does
  ASSERT_TRUE(p->Get().ok());
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].Header("authorization"), "file-token-1");
  EXPECT_EQ(reqs[1].Header("authorization"), "file-token-2");
}

TEST_F(ContainerProviderTest, UnreadableTokenFileIsAnError) {
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir_.path() + "/missing");
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(server_.request_count(), 0);
}

TEST_F(ContainerProviderTest, TokenWithALineBreakIsRejectedWithoutQuotingIt) {
  env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", std::string(kSessionToken) + "\r\nX-Evil: 1");
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  ExpectNoSecrets(r.status());
  EXPECT_EQ(server_.request_count(), 0);
}

TEST_F(ContainerProviderTest, RelativeUriGoesToTheEcsAgentAndWinsOverFullUri) {
  RecordingTransport rec;
  rec.Push(Answer(200, CredentialsJson()));
  env_.Set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/abc-123");
  Result<Credentials> r = MakeContainerProvider(env_.lookup(), rec)->Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(rec.requests().size(), 1u);
  EXPECT_EQ(rec.requests()[0].method, "GET");
  EXPECT_EQ(rec.requests()[0].url, "http://169.254.170.2/v2/credentials/abc-123");
}

TEST_F(ContainerProviderTest, FullUriHostsAllowedOverPlainHttp) {
  for (const char* url : {"http://localhost:8080/c", "http://127.0.0.5/c", "http://[::1]:80/c",
                          "http://169.254.170.23/v1/credentials", "http://[fd00:ec2::23]/c",
                          "https://creds.example.com/c", "HTTP://LOCALHOST/c"}) {
    RecordingTransport rec;
    rec.Push(Answer(200, CredentialsJson()));
    env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    Result<Credentials> r = MakeContainerProvider(env_.lookup(), rec)->Get();
    EXPECT_TRUE(r.ok()) << url << ": " << r.status().ToString();
    EXPECT_EQ(rec.requests().size(), 1u) << url;
  }
  for (const char* url : {"http://creds.example.com/c", "http://10.0.0.1/c", "ftp://localhost/c",
                          "http://user@evil.com/c", "http://127.0.0.1.evil.com/c"}) {
    RecordingTransport rec;
    env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", url);
    env_.Set("AWS_CONTAINER_AUTHORIZATION_TOKEN", kSessionToken);
    Result<Credentials> r = MakeContainerProvider(env_.lookup(), rec)->Get();
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_TRUE(rec.requests().empty()) << url << ": the token must not be sent";
    ExpectNoSecrets(r.status());
  }
}

TEST_F(ContainerProviderTest, ServerErrorsAreErrorsWithoutTheBody) {
  Respond(TestResponse::Status(500, CredentialsJson()));
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  ExpectNoSecrets(r.status());
  Respond(TestResponse::Status(403, "denied"));
  EXPECT_EQ(Get().status().code(), StatusCode::kPermissionDenied);
  Respond(TestResponse::Status(404, "no such"));
  r = Get();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.status().code(), StatusCode::kNotFound) << "a configured source does not skip";
}

TEST_F(ContainerProviderTest, MalformedDocumentsAreErrorsWithoutSecrets) {
  std::string truncated = CredentialsJson().substr(0, 120);
  std::string no_secret = std::string(R"({"AccessKeyId":"A","Token":")") + kSessionToken + R"("})";
  std::string bad_expiry = CredentialsJson("soon");
  std::string wrong_types =
      std::string(R"({"AccessKeyId":1,"SecretAccessKey":")") + kSecret + R"(","Expiration":5})";
  for (const std::string& body :
       {truncated, no_secret, bad_expiry, wrong_types, std::string("[]"), std::string("")}) {
    Respond(TestResponse::Ok(body));
    Result<Credentials> r = Get();
    EXPECT_EQ(r.status().code(), StatusCode::kInternal) << body;
    ExpectNoSecrets(r.status());
  }
}

TEST_F(ContainerProviderTest, UnreachableEndpointIsAnError) {
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", ClosedPortUrl() + "/creds");
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
}

TEST_F(ContainerProviderTest, MissingTokenAndExpirationMeanLongTermKeys) {
  Respond(TestResponse::Ok(R"({"AccessKeyId":"AK","SecretAccessKey":"SK"})"));
  Result<Credentials> r = Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->session_token, "");
  EXPECT_FALSE(r->expiration.has_value());
}

// --- Instance metadata -------------------------------------------------------------------------

// A fake IMDS: answers the token PUT with `token_status` and then serves the role and its
// credentials, checking the session token when one was issued.
class ImdsTest : public ::testing::Test {
 protected:
  ImdsTest() : server_([this](const TestRequest& r) { return Handle(r); }) {}
  void SetUp() override { env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url()); }
  Result<Credentials> Get() { return MakeImdsProvider(env_.lookup(), http_)->Get(); }

  TestResponse Handle(const TestRequest& r) {
    std::lock_guard<std::mutex> lock(mu_);
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      if (token_status_ != 200) return TestResponse::Status(token_status_);
      if (r.Header("x-aws-ec2-metadata-token-ttl-seconds") != "21600") {
        return TestResponse::Status(400);
      }
      return TestResponse::Ok("AQAEAFakeImdsToken==");
    }
    if (r.method != "GET") return TestResponse::Status(405);
    if (token_status_ == 200 && r.Header("x-aws-ec2-metadata-token") != "AQAEAFakeImdsToken==") {
      return TestResponse::Status(401);
    }
    if (r.target == kRoles) return role_list_;
    if (r.target == std::string(kRoles) + "my-role") return credentials_;
    return TestResponse::Status(404);
  }

  // The handler runs on the server's threads; tests change the script through these.
  void SetTokenStatus(int status) {
    std::lock_guard<std::mutex> lock(mu_);
    token_status_ = status;
  }
  void SetRoleList(TestResponse r) {
    std::lock_guard<std::mutex> lock(mu_);
    role_list_ = std::move(r);
  }
  void SetCredentials(TestResponse r) {
    std::lock_guard<std::mutex> lock(mu_);
    credentials_ = std::move(r);
  }

  std::mutex mu_;  // guards the script below
  int token_status_ = 200;
  TestResponse role_list_ = TestResponse::Ok("my-role\n");
  TestResponse credentials_ = TestResponse::Ok(CredentialsJson("2023-11-15T04:13:20Z"));
  HttpTestServer server_;
  FakeEnv env_;
  BeastTransport http_;
};

TEST_F(ImdsTest, V2TokenFirstThenRoleThenCredentials) {
  Result<Credentials> r = Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, kAccessKeyId);
  EXPECT_EQ(r->secret_access_key, kSecret);
  EXPECT_EQ(r->session_token, kSessionToken);
  EXPECT_EQ(r->source, "instance metadata");
  ASSERT_TRUE(r->expiration.has_value());
  EXPECT_EQ(*r->expiration, Clock::TimePoint(std::chrono::seconds(1700000000 + 6 * 3600)));
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].target, "/latest/api/token");
  EXPECT_EQ(reqs[0].Header("x-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(reqs[1].method, "GET");
  EXPECT_EQ(reqs[1].target, kRoles);
  EXPECT_EQ(reqs[2].target, std::string(kRoles) + "my-role");
  EXPECT_EQ(reqs[1].Header("x-aws-ec2-metadata-token"), "AQAEAFakeImdsToken==");
  EXPECT_EQ(reqs[2].Header("x-aws-ec2-metadata-token"), "AQAEAFakeImdsToken==");
}

TEST_F(ImdsTest, FallsBackToV1WhenTheTokenIsRefused) {
  for (int status : {403, 404, 405, 503}) {
    SetTokenStatus(status);
    int before = server_.request_count();
    Result<Credentials> r = Get();
    ASSERT_TRUE(r.ok()) << status << ": " << r.status().ToString();
    auto reqs = server_.requests();
    ASSERT_EQ(reqs.size(), static_cast<size_t>(before + 3)) << status;
    EXPECT_EQ(reqs[before].method, "PUT");
    for (size_t i = before + 1; i < reqs.size(); ++i) {
      EXPECT_EQ(reqs[i].method, "GET");
      EXPECT_EQ(reqs[i].headers.count("x-aws-ec2-metadata-token"), 0u) << status;
    }
  }
}

TEST_F(ImdsTest, NoV1FallbackWhenV1IsDisabled) {
  SetTokenStatus(404);
  env_.Set("AWS_EC2_METADATA_V1_DISABLED", "true");
  EXPECT_EQ(Get().status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(server_.request_count(), 1);
}

TEST_F(ImdsTest, BadRequestOnTheTokenMeansNoCredentials) {
  SetTokenStatus(400);  // what Azure's metadata service, at the same address, answers
  EXPECT_EQ(Get().status().code(), StatusCode::kNotFound);
  EXPECT_EQ(server_.request_count(), 1);
}

TEST_F(ImdsTest, DisabledSendsNothing) {
  for (const char* v : {"true", "TRUE", "True"}) {
    env_.Set("AWS_EC2_METADATA_DISABLED", v);
    EXPECT_EQ(Get().status().code(), StatusCode::kNotFound) << v;
  }
  EXPECT_EQ(server_.request_count(), 0);
  env_.Set("AWS_EC2_METADATA_DISABLED", "false");
  EXPECT_TRUE(Get().ok());
}

TEST_F(ImdsTest, UnreachableIsNotFound) {
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", ClosedPortUrl());
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("not reachable"), std::string::npos);
}

TEST_F(ImdsTest, NoRoleIsNotFound) {
  SetRoleList(TestResponse::Status(404));
  EXPECT_EQ(Get().status().code(), StatusCode::kNotFound);
  SetRoleList(TestResponse::Ok(""));
  EXPECT_EQ(Get().status().code(), StatusCode::kNotFound);
  SetRoleList(TestResponse::Ok("<html><body>Welcome to the hotel wifi</body></html>"));
  EXPECT_EQ(Get().status().code(), StatusCode::kNotFound);
}

TEST_F(ImdsTest, BrokenCredentialsOfAnExistingRoleAreErrors) {
  SetCredentials(TestResponse::Status(500, CredentialsJson()));
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "credentials of role my-role: the metadata service answered HTTP 500");
  ExpectNoSecrets(r.status());

  SetCredentials(TestResponse::Ok(CredentialsJson().substr(0, 100)));
  r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  EXPECT_EQ(r.status().message(),
            "credentials of role my-role: the credentials response is not a JSON object");
  ExpectNoSecrets(r.status());

  SetCredentials(TestResponse::Ok(
      R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role"})"));
  r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("AssumeRoleUnauthorizedAccess"), std::string::npos);
}

TEST_F(ImdsTest, EndpointWithTrailingSlash) {
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server_.url() + "/");
  ASSERT_TRUE(Get().ok());
  EXPECT_EQ(server_.requests()[0].target, "/latest/api/token");
}

TEST(ImdsAddress, DefaultAndIpv6Endpoints) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "http://169.254.169.254"},
      {"IPv6", "http://[fd00:ec2::254]"},
      {"IPv4", "http://169.254.169.254"}};
  for (const auto& [mode, base] : cases) {
    FakeEnv env;
    if (!mode.empty()) env.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", mode);
    RecordingTransport rec;
    rec.Push(Answer(200, "tok"));
    rec.Push(Answer(200, "r"));
    rec.Push(Answer(200, CredentialsJson()));
    ASSERT_TRUE(MakeImdsProvider(env.lookup(), rec)->Get().ok()) << mode;
    auto reqs = rec.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[0].method, "PUT");
    EXPECT_EQ(reqs[0].url, base + "/latest/api/token");
    EXPECT_EQ(reqs[0].headers.Get("X-aws-ec2-metadata-token-ttl-seconds"), "21600");
    EXPECT_EQ(reqs[1].url, base + kRoles);
    EXPECT_EQ(reqs[2].url, base + kRoles + "r");
    EXPECT_EQ(reqs[2].headers.Get("x-aws-ec2-metadata-token"), "tok");
  }
}

TEST(ImdsAddress, TimeoutAfterSendingTheTokenRequestFallsBackToV1) {
  FakeEnv env;
  RecordingTransport rec;
  rec.Push(Status(StatusCode::kUnavailable, "timed out",
                  std::make_shared<HttpErrorDetail>(HttpErrorDetail::Kind::kTimeout, true)));
  rec.Push(Answer(200, "r"));
  rec.Push(Answer(200, CredentialsJson()));
  ASSERT_TRUE(MakeImdsProvider(env.lookup(), rec)->Get().ok());
  auto reqs = rec.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_FALSE(reqs[1].headers.Has("x-aws-ec2-metadata-token"));
}

TEST(ImdsAddress, ConnectTimeoutIsNotFoundWithoutAV1Attempt) {
  FakeEnv env;
  RecordingTransport rec;
  rec.Push(Status(StatusCode::kUnavailable, "connect timed out",
                  std::make_shared<HttpErrorDetail>(HttpErrorDetail::Kind::kTimeout, false)));
  EXPECT_EQ(MakeImdsProvider(env.lookup(), rec)->Get().status().code(), StatusCode::kNotFound);
  EXPECT_EQ(rec.requests().size(), 1u);
}

}  // namespace
}  // namespace thaw::s3
