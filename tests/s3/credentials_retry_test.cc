// Retries of the credential calls (STS AssumeRole and AssumeRoleWithWebIdentity, the SSO portal's
// GetRoleCredentials): a fake server that fails twice (throttling, 5xx, a dropped connection)
// and then answers is survived with the S3 client's backoff; errors that retrying cannot fix
// are returned after one attempt; a server that keeps failing gets RetryPolicy's 3 attempts.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>

#include "common/time_format.h"
#include "s3/credentials.h"
#include "s3/credentials_test_util.h"
#include "s3/internal/credential_sources.h"
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

constexpr char kRole[] = "arn:aws:iam::123456789012:role/reader";

std::string AssumeRoleXml(const std::string& action) {
  return "<" + action + "Response><" + action +
         "Result><Credentials><AccessKeyId>ASIAOK</AccessKeyId><SecretAccessKey>" + kSecret +
         "</SecretAccessKey><SessionToken>" + kSessionToken +
         "</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></" + action +
         "Result></" + action + "Response>";
}

TestResponse Throttled() {
  return TestResponse::Status(400,
                              "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                              "<Message>Rate exceeded</Message></Error></ErrorResponse>");
}

// A fake STS whose first `failures` answers come from `failure`, then real credentials.
class StsRetryTest : public ::testing::Test {
 protected:
  StsRetryTest()
      : sts_([this](const TestRequest& r) {
          int n = ++calls_;
          if (n <= failures_) return failure_();
          std::string action = r.body.find("AssumeRoleWithWebIdentity") != std::string::npos
                                   ? "AssumeRoleWithWebIdentity"
                                   : "AssumeRole";
          return TestResponse::Ok(AssumeRoleXml(action));
        }) {}

  void SetUp() override {
    env_.Set("HOME", home_.path());
    env_.Set("AWS_ENDPOINT_URL_STS", sts_.url());
    home_.WriteFile(".aws/config", std::string("[profile role]\nrole_arn = ") + kRole +
                                       "\nsource_profile = base\n"
                                       "[profile base]\naws_access_key_id = AKIABASE\n"
                                       "aws_secret_access_key = base-secret\n"
                                       "[profile web]\nrole_arn = " +
                                       kRole + "\nweb_identity_token_file = " +
                                       home_.WriteFile("token", "jwt-token") + "\n");
  }
  Result<s3::Credentials> Get(const std::string& profile) {
    ProfileProviderOptions options;
    options.sts_http = &http_;
    options.clock = &clock_;
    return MakeProfileProvider(profile, env_.lookup(), options)->Get();
  }

  std::atomic<int> calls_{0};
  int failures_ = 2;
  std::function<TestResponse()> failure_ = [] { return TestResponse::Status(503, ""); };
  FakeClock clock_{Clock::TimePoint(std::chrono::seconds(1700000000)), /*auto_advance=*/true};
  HttpTestServer sts_;
  TempDir home_;
  FakeEnv env_;
  BeastTransport http_;
};

TEST_F(StsRetryTest, AssumeRoleSurvivesTwoServerErrorsWithBackoff) {
  Result<s3::Credentials> r = Get("role");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "ASIAOK");
  EXPECT_EQ(calls_, 3);
  EXPECT_GT(clock_.total_slept(), Clock::Duration::zero()) << "retries back off";
  // Each attempt is signed afresh (its own X-Amz-Date on the advancing clock).
  std::vector<TestRequest> reqs = sts_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  for (const TestRequest& req : reqs) {
    EXPECT_NE(req.Header("authorization").find("Credential=AKIABASE/"), std::string::npos);
  }
}

TEST_F(StsRetryTest, ThrottlingAndDroppedConnectionsAreRetried) {
  failure_ = Throttled;
  ASSERT_TRUE(Get("role").ok());
  EXPECT_EQ(calls_, 3);
  calls_ = 0;
  failure_ = [] {
    TestResponse r;
    r.action = TestResponse::Action::kClose;
    return r;
  };
  Result<s3::Credentials> r = Get("web");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(calls_, 3);
}

TEST_F(StsRetryTest, AServerThatKeepsFailingGetsThreeAttempts) {
  failures_ = 100;
  failure_ = [] { return TestResponse::Status(500, ""); };
  Result<s3::Credentials> r = Get("role");
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("HTTP 500"), std::string::npos) << r.status().message();
  EXPECT_EQ(calls_, 3);
  ExpectNoSecrets(r.status(), {"base-secret", "jwt-token"});
}

TEST_F(StsRetryTest, RefusalsAreNotRetried) {
  failures_ = 100;
  failure_ = [] {
    return TestResponse::Status(403,
                                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
                                "<Message>not allowed</Message></Error></ErrorResponse>");
  };
  Result<s3::Credentials> r = Get("role");
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(calls_, 1);
}

TEST(SsoRetry, PortalThrottlingIsRetried) {
  std::atomic<int> calls{0};
  HttpTestServer portal([&](const TestRequest&) {
    if (++calls <= 2) return TestResponse::Status(429, R"({"message":"slow down"})");
    return TestResponse::Ok(
        R"({"roleCredentials":{"accessKeyId":"ASIASSO","secretAccessKey":"s","sessionToken":"t",)"
        R"("expiration":1900000000000}})");
  });
  TempDir home;
  FakeEnv env{{"HOME", home.path()}, {"AWS_ENDPOINT_URL_SSO", portal.url()}};
  home.WriteFile(".aws/config",
                 "[default]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n"
                 "sso_account_id = 1\nsso_role_name = R\n");
  internal::SsoProfile sso;
  sso.start_url = "https://x.awsapps.com/start";
  FakeClock clock{Clock::TimePoint(std::chrono::seconds(1700000000)), /*auto_advance=*/true};
  home.WriteFile(".aws/sso/cache/" +
                     internal::SsoTokenCachePath(sso, env.lookup()).substr(home.path().size() + 16),
                 R"({"accessToken":"tok","expiresAt":"2030-01-01T00:00:00Z"})");
  BeastTransport http;
  ProfileProviderOptions options;
  options.sts_http = &http;
  options.clock = &clock;
  Result<s3::Credentials> r = MakeProfileProvider("", env.lookup(), options)->Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "ASIASSO");
  EXPECT_EQ(calls, 3);
}

}  // namespace
}  // namespace thaw::s3
