// Tests for IAM Identity Center (SSO) profiles: sso_session and legacy settings, the token cache
// `aws sso login` leaves (file name, fields, expiry), the token refresh through SSO OIDC, and
// GetRoleCredentials against a fake SSO portal (HttpTestServer) that records the exact requests.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/strings.h"
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
using Json = nlohmann::json;

constexpr char kStartUrl[] = "https://corp.awsapps.com/start";
constexpr char kSsoToken[] = "aoaAAAAAGSSOaccessTOKENsecretpart";
constexpr char kRefreshToken[] = "aorAAAAAGrefreshTOKENsecretpart";
constexpr char kClientSecret[] = "eyJraWQiOiJjbGllbnRzZWNyZXQifQ";

std::string Sha1Hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha1(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

class SsoTest : public ::testing::Test {
 protected:
  SsoTest()
      : portal_([this](const TestRequest& r) {
          if (!portal_error_.empty()) {
            TestResponse resp = TestResponse::Status(portal_status_, R"({"message":"no"})");
            resp.headers.push_back({"x-amzn-ErrorType", portal_error_});
            return resp;
          }
          int n = ++portal_calls_;
          int64_t exp_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               (clock_.Now() + std::chrono::hours(1)).time_since_epoch())
                               .count();
          (void)r;
          return TestResponse::Ok(Json{{"roleCredentials",
                                        {{"accessKeyId", "ASIASSO" + std::to_string(n)},
                                         {"secretAccessKey", kSecret},
                                         {"sessionToken", kSessionToken},
                                         {"expiration", exp_ms}}}}
                                      .dump());
        }),
        oidc_([this](const TestRequest&) {
          ++oidc_calls_;
          if (oidc_fail_) return TestResponse::Status(400, R"({"error":"invalid_grant"})");
          return TestResponse::Ok(Json{{"accessToken", "refreshed-access-token"},
                                       {"tokenType", "Bearer"},
                                       {"expiresIn", 28800},
                                       {"refreshToken", "rotated-refresh-token"}}
                                      .dump());
        }) {}

  void SetUp() override {
    env_.Set("HOME", home_.path());
    env_.Set("AWS_ENDPOINT_URL_SSO", portal_.url());
    env_.Set("AWS_ENDPOINT_URL_SSO_OIDC", oidc_.url());
  }
  void Config(const std::string& text) { home_.WriteFile(".aws/config", text); }
  // Writes the token cache file for `key_source` (session name or start URL).
  std::string Token(const std::string& key_source, const Json& doc) {
    return home_.WriteFile(".aws/sso/cache/" + Sha1Hex(key_source) + ".json", doc.dump());
  }
  Json TokenDoc(Clock::Duration valid_for, bool refreshable = false) {
    Json doc = {{"startUrl", kStartUrl},
                {"region", "eu-west-1"},
                {"accessToken", kSsoToken},
                {"expiresAt", FormatIso8601(clock_.Now() + valid_for, false)}};
    if (refreshable) {
      doc["refreshToken"] = kRefreshToken;
      doc["clientId"] = "client-id";
      doc["clientSecret"] = kClientSecret;
      doc["registrationExpiresAt"] = FormatIso8601(clock_.Now() + std::chrono::hours(24 * 90));
    }
    return doc;
  }
  Result<s3::Credentials> Get(const std::string& profile = "") {
    ProfileProviderOptions options;
    options.sts_http = &http_;
    options.clock = &clock_;
    return MakeProfileProvider(profile, env_.lookup(), options)->Get();
  }
  void ExpectClean(const Status& s) {
    ExpectNoSecrets(s, {kSsoToken, kRefreshToken, kClientSecret, "refreshed-access-token"});
  }

  static constexpr char kSessionConfig[] =
      "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n"
      "sso_role_name = ReadOnly\nregion = eu-west-1\n"
      "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
      "sso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n";

  // Advances on SleepFor: the retries' backoff takes no real time.
  FakeClock clock_{Clock::TimePoint(std::chrono::seconds(1700000000)), /*auto_advance=*/true};
  std::atomic<int> portal_calls_{0};
  std::atomic<int> oidc_calls_{0};
  std::string portal_error_;  // when set, the portal answers portal_status_ with this type
  int portal_status_ = 401;
  std::atomic<bool> oidc_fail_{false};
  HttpTestServer portal_;
  HttpTestServer oidc_;
  TempDir home_;
  FakeEnv env_;
  BeastTransport http_;
};

TEST_F(SsoTest, SessionProfileReadsTheTokenCachedUnderTheSessionNameAndCallsThePortal) {
  Config(kSessionConfig);
  Token("corp", TokenDoc(std::chrono::hours(8)));
  // SSO comes before the credentials file's static keys (botocore's order).
  home_.WriteFile(".aws/credentials",
                  "[dev]\naws_access_key_id = STATIC\naws_secret_access_key = s\n");
  Result<s3::Credentials> r = Get("dev");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "ASIASSO1");
  EXPECT_EQ(r->secret_access_key, kSecret);
  EXPECT_EQ(r->session_token, kSessionToken);
  ASSERT_TRUE(r->expiration.has_value());
  EXPECT_EQ(*r->expiration, clock_.Now() + std::chrono::hours(1));
  EXPECT_EQ(r->source, "profile dev (sso)");
  ASSERT_EQ(portal_.request_count(), 1);
  TestRequest req = portal_.requests()[0];
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/federation/credentials?account_id=111122223333&role_name=ReadOnly");
  EXPECT_EQ(req.Header("x-amz-sso_bearer_token"), kSsoToken);
  EXPECT_EQ(req.Header("authorization"), "") << "GetRoleCredentials is unsigned";
  EXPECT_EQ(oidc_calls_, 0) << "a token valid for hours is not refreshed";
}

TEST_F(SsoTest, LegacyProfileReadsTheTokenCachedUnderTheStartUrl) {
  Config(
      "[default]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
      "sso_account_id = 444455556666\nsso_role_name = Admin+Ops\n");
  Token(kStartUrl, TokenDoc(std::chrono::hours(1)));
  Result<s3::Credentials> r = Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "ASIASSO1");
  EXPECT_EQ(portal_.requests()[0].target,
            "/federation/credentials?account_id=444455556666&role_name=Admin%2BOps");
}

TEST_F(SsoTest, CacheFileNameIsTheSha1OfSessionOrStartUrl) {
  internal::SsoProfile sso;
  sso.session_name = "my-sso";
  sso.start_url = kStartUrl;
  // Values computed with Python: hashlib.sha1(b"my-sso").hexdigest().
  EXPECT_EQ(internal::SsoTokenCachePath(sso, env_.lookup()),
            home_.path() + "/.aws/sso/cache/" + Sha1Hex("my-sso") + ".json");
  EXPECT_EQ(Sha1Hex("my-sso"), "0ad374308c5a4e22f723adf10145eafad7c4031c");
  sso.session_name.clear();
  EXPECT_EQ(internal::SsoTokenCachePath(sso, env_.lookup()),
            home_.path() + "/.aws/sso/cache/" + Sha1Hex(kStartUrl) + ".json");
}

TEST_F(SsoTest, MissingTokenSaysToLogIn) {
  Config(kSessionConfig);
  Result<s3::Credentials> r = Get("dev");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("run aws sso login --profile dev"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find(".aws/sso/cache/" + Sha1Hex("corp") + ".json"),
            std::string::npos);
  EXPECT_EQ(portal_.request_count(), 0);
}

TEST_F(SsoTest, ExpiredLegacyTokenSaysToLogInWithoutCallingThePortal) {
  Config(
      "[profile old]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n"
      "sso_account_id = 1\nsso_role_name = R\n");
  Json doc = TokenDoc(-std::chrono::minutes(1), /*refreshable=*/true);
  // The AWS CLI v1 wrote the expiry with a "UTC" suffix.
  std::string expires = doc["expiresAt"];
  doc["expiresAt"] = expires.substr(0, expires.size() - 1) + "UTC";
  Token(kStartUrl, doc);
  Result<s3::Credentials> r = Get("old");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("expired"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("run aws sso login --profile old"), std::string::npos);
  EXPECT_EQ(portal_.request_count(), 0);
  EXPECT_EQ(oidc_calls_, 0) << "legacy profiles are never refreshed (botocore)";
  ExpectClean(r.status());
}

TEST_F(SsoTest, InvalidTokenCacheSaysToLogIn) {
  Config(kSessionConfig);
  Json doc = TokenDoc(std::chrono::hours(1));
  doc.erase("expiresAt");
  Token("corp", doc);
  Result<s3::Credentials> r = Get("dev");
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("aws sso login"), std::string::npos);
  home_.WriteFile(".aws/sso/cache/" + Sha1Hex("corp") + ".json", "not json");
  EXPECT_EQ(Get("dev").status().code(), StatusCode::kUnauthenticated);
  ExpectClean(Get("dev").status());
}

TEST_F(SsoTest, TokenAboutToExpireIsRefreshedThroughOidcAndWrittenBack) {
  Config(kSessionConfig);
  std::string path = Token("corp", TokenDoc(std::chrono::minutes(5), /*refreshable=*/true));
  Result<s3::Credentials> r = Get("dev");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(oidc_calls_, 1);
  TestRequest refresh = oidc_.requests()[0];
  EXPECT_EQ(refresh.method, "POST");
  EXPECT_EQ(refresh.target, "/token");
  Json body = Json::parse(refresh.body);
  EXPECT_EQ(body["grantType"], "refresh_token");
  EXPECT_EQ(body["clientId"], "client-id");
  EXPECT_EQ(body["clientSecret"], kClientSecret);
  EXPECT_EQ(body["refreshToken"], kRefreshToken);
  EXPECT_EQ(portal_.requests()[0].Header("x-amz-sso_bearer_token"), "refreshed-access-token");
  std::ifstream in(path);
  Json cached = Json::parse(in);
  EXPECT_EQ(cached["accessToken"], "refreshed-access-token");
  EXPECT_EQ(cached["refreshToken"], "rotated-refresh-token");
  EXPECT_EQ(cached["clientId"], "client-id") << "the registration stays in the cache";
  EXPECT_EQ(ParseIso8601(cached["expiresAt"].get<std::string>()),
            clock_.Now() + std::chrono::hours(8));
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(SsoTest, FailedRefreshUsesTheTokenWhileItIsValidThenSaysToLogIn) {
  Config(kSessionConfig);
  Token("corp", TokenDoc(std::chrono::minutes(5), /*refreshable=*/true));
  oidc_fail_ = true;
  Result<s3::Credentials> r = Get("dev");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(portal_.requests()[0].Header("x-amz-sso_bearer_token"), kSsoToken);
  clock_.Advance(std::chrono::minutes(6));
  r = Get("dev");
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("run aws sso login --profile dev"), std::string::npos);
  ExpectClean(r.status());
}

TEST_F(SsoTest, PortalRefusingTheTokenSaysToLogIn) {
  Config(kSessionConfig);
  Token("corp", TokenDoc(std::chrono::hours(1)));
  portal_error_ = "UnauthorizedException";
  Result<s3::Credentials> r = Get("dev");
  EXPECT_EQ(r.status().code(), StatusCode::kUnauthenticated);
  EXPECT_NE(r.status().message().find("run aws sso login --profile dev"), std::string::npos);
  ExpectClean(r.status());
  portal_error_ = "ForbiddenException";
  portal_status_ = 403;
  r = Get("dev");
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("ForbiddenException"), std::string::npos);
  EXPECT_NE(r.status().message().find("111122223333"), std::string::npos);
  portal_error_ = "TooManyRequestsException";
  portal_status_ = 429;
  EXPECT_EQ(Get("dev").status().code(), StatusCode::kUnavailable);
}

TEST_F(SsoTest, ConfigurationErrorsNameTheProfileAndTheKeys) {
  Config(
      "[profile nosession]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = R\n"
      "[profile partial]\nsso_start_url = https://x/start\nsso_account_id = 1\n"
      "[profile clash]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
      "sso_region = us-west-2\n"
      "[profile tokenonly]\nsso_session = corp\n"
      "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
      "sso_region = eu-west-1\n");
  Result<s3::Credentials> r = Get("nosession");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("[sso-session gone]"), std::string::npos)
      << r.status().message();
  r = Get("partial");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("sso_region, sso_role_name"), std::string::npos)
      << r.status().message();
  r = Get("clash");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("sso_region"), std::string::npos) << r.status().message();
  // A profile with only sso_session is for SSO bearer tokens, not credentials (botocore's SSO
  // credential provider needs sso_account_id or sso_role_name): no credentials here.
  EXPECT_EQ(Get("tokenonly").status().code(), StatusCode::kNotFound);
}

TEST_F(SsoTest, SsoProfileAsSourceOfAnAssumedRole) {
  HttpTestServer sts([](const TestRequest& r) {
    EXPECT_NE(r.Header("authorization").find("Credential=ASIASSO1/"), std::string::npos);
    EXPECT_EQ(r.Header("x-amz-security-token"), kSessionToken);
    return TestResponse::Ok(
        "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAROLE</AccessKeyId>"
        "<SecretAccessKey>x</SecretAccessKey><SessionToken>t</SessionToken>"
        "<Expiration>2030-01-01T00:00:00Z</Expiration></Credentials></AssumeRoleResult>"
        "</AssumeRoleResponse>");
  });
  env_.Set("AWS_ENDPOINT_URL_STS", sts.url());
  Config(std::string(kSessionConfig) +
         "[profile data]\nrole_arn = arn:aws:iam::999:role/data\nsource_profile = dev\n");
  Token("corp", TokenDoc(std::chrono::hours(1)));
  Result<s3::Credentials> r = Get("data");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "ASIAROLE");
  EXPECT_EQ(sts.request_count(), 1);
}

TEST_F(SsoTest, PortalAndOidcEndpointsFromTheProfilesServicesSection) {
  // No variables: the config file's services section says where both services are, as it does
  // for botocore's sso and sso-oidc clients.
  env_.Unset("AWS_ENDPOINT_URL_SSO");
  env_.Unset("AWS_ENDPOINT_URL_SSO_OIDC");
  Config(
      "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n"
      "sso_role_name = ReadOnly\nregion = eu-west-1\nservices = local\n"
      "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
      "sso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"
      "[services local]\nsso =\n  endpoint_url = " +
      portal_.url() + "/\nsso_oidc =\n  endpoint_url = " + oidc_.url() + "\n");
  Token("corp", TokenDoc(std::chrono::minutes(5), /*refreshable=*/true));
  Result<s3::Credentials> r = Get("dev");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "ASIASSO1");
  EXPECT_EQ(oidc_calls_, 1);
  EXPECT_EQ(portal_calls_, 1);
  // The service's variable beats the section; a bad URL is an error naming the service.
  env_.Set("AWS_ENDPOINT_URL_SSO", "ftp://nowhere");
  r = Get("dev");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  EXPECT_NE(r.status().message().find("sso endpoint URL 'ftp://nowhere'"), std::string::npos)
      << r.status().message();
  ExpectClean(r.status());
}

TEST_F(SsoTest, RegionalPortalHostByDefault) {
  // Without AWS_ENDPOINT_URL_SSO the portal of sso_region is asked; a transport that records
  // the request shows the URL without going to the network.
  env_.Unset("AWS_ENDPOINT_URL_SSO");
  Config(kSessionConfig);
  Token("corp", TokenDoc(std::chrono::hours(1)));
  RecordingTransport rec;
  ProfileProviderOptions options;
  options.sts_http = &rec;
  options.clock = &clock_;
  Result<s3::Credentials> r = MakeProfileProvider("dev", env_.lookup(), options)->Get();
  EXPECT_FALSE(r.ok());
  ASSERT_EQ(rec.requests().size(), 1u);
  EXPECT_EQ(rec.requests()[0].url,
            "https://portal.sso.eu-west-1.amazonaws.com/federation/credentials?account_id="
            "111122223333&role_name=ReadOnly");
  ExpectClean(r.status());
}

}  // namespace
}  // namespace thaw::s3
