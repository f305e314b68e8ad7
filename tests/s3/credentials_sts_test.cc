// Tests for the STS-based profile sources: web identity (environment and profile) and assume
// role (source_profile chains, credential_source), against a fake STS (HttpTestServer) that
// records the exact requests; and where STS is (ResolveStsEndpoint).
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

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

constexpr char kRole[] = "arn:aws:iam::123456789012:role/reader";
constexpr char kWebToken[] = "eyJhbGciOiJSUzI1NiJ9.web-identity-token-secret.sig";

// application/x-www-form-urlencoded body -> name -> value.
std::map<std::string, std::string> Form(const std::string& body) {
  std::map<std::string, std::string> m;
  for (const std::string& pair : Split(body, '&')) {
    size_t eq = pair.find('=');
    std::string v = pair.substr(eq + 1);
    std::string decoded;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i] == '%' && i + 2 < v.size()) {
        decoded += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
        i += 2;
      } else {
        decoded += v[i] == '+' ? ' ' : v[i];
      }
    }
    m[pair.substr(0, eq)] = decoded;
  }
  return m;
}

// An STS answer; the key id tells the test which call produced the credentials.
std::string StsXml(const std::string& action, const std::string& key,
                   const std::string& expiration) {
  return "<" + action + "Response xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><" + action +
         "Result><Credentials><AccessKeyId>" + key + "</AccessKeyId><SecretAccessKey>" + kSecret +
         "</SecretAccessKey><SessionToken>" + kSessionToken + "</SessionToken><Expiration>" +
         expiration + "</Expiration></Credentials></" + action + "Result></" + action + "Response>";
}

class StsTest : public ::testing::Test {
 protected:
  StsTest()
      : sts_([this](const TestRequest& r) {
          std::map<std::string, std::string> form = Form(r.body);
          std::string action = form["Action"];
          if (!error_.empty()) {
            return TestResponse::Status(
                403, "<ErrorResponse><Error><Type>Sender</Type><Code>" + error_ +
                         "</Code><Message>Not authorized to perform sts:" + action +
                         "</Message></Error></ErrorResponse>");
          }
          std::string key = "STS" + std::to_string(++calls_);
          return TestResponse::Ok(
              StsXml(action, key, FormatIso8601(clock_.Now() + std::chrono::hours(1))));
        }) {}

  void SetUp() override {
    env_.Set("HOME", home_.path());
    env_.Set("AWS_ENDPOINT_URL_STS", sts_.url());
  }
  void Config(const std::string& text) { home_.WriteFile(".aws/config", text); }
  void Credentials(const std::string& text) { home_.WriteFile(".aws/credentials", text); }
  Result<s3::Credentials> Get(const std::string& profile = "") {
    ProfileProviderOptions options;
    options.sts_http = &http_;
    options.clock = &clock_;
    return MakeProfileProvider(profile, env_.lookup(), options)->Get();
  }
  std::vector<std::map<std::string, std::string>> Forms() const {
    std::vector<std::map<std::string, std::string>> v;
    for (const TestRequest& r : sts_.requests()) v.push_back(Form(r.body));
    return v;
  }

  std::atomic<int> calls_{0};
  std::string error_;  // when set, STS answers 403 with this code
  FakeClock clock_;
  HttpTestServer sts_;
  TempDir home_;
  FakeEnv env_;
  BeastTransport http_;
};

// --- Web identity ------------------------------------------------------------------------------

TEST_F(StsTest, WebIdentityFromTheEnvironmentIsAnUnsignedAssumeRoleWithWebIdentity) {
  env_.Set("AWS_ROLE_ARN", kRole);
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.WriteFile("token", std::string(kWebToken) + "\n"));
  env_.Set("AWS_ROLE_SESSION_NAME", "pod-42");
  // Web identity comes before the shared credentials file (botocore's order).
  Credentials("[default]\naws_access_key_id = STATIC\naws_secret_access_key = s\n");
  Result<s3::Credentials> r = Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "STS1");
  EXPECT_EQ(r->secret_access_key, kSecret);
  EXPECT_EQ(r->session_token, kSessionToken);
  EXPECT_EQ(r->expiration, std::chrono::time_point_cast<std::chrono::seconds>(clock_.Now()) +
                               std::chrono::hours(1));
  ASSERT_EQ(sts_.request_count(), 1);
  TestRequest req = sts_.requests()[0];
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/");
  EXPECT_EQ(req.Header("authorization"), "") << "AssumeRoleWithWebIdentity is unsigned";
  EXPECT_EQ(req.Header("x-amz-security-token"), "");
  EXPECT_NE(req.Header("content-type").find("application/x-www-form-urlencoded"),
            std::string::npos);
  std::map<std::string, std::string> form = Form(req.body);
  EXPECT_EQ(form["Action"], "AssumeRoleWithWebIdentity");
  EXPECT_EQ(form["Version"], "2011-06-15");
  EXPECT_EQ(form["RoleArn"], kRole);
  EXPECT_EQ(form["RoleSessionName"], "pod-42");
  EXPECT_EQ(form["WebIdentityToken"], kWebToken);
  EXPECT_EQ(form.count("DurationSeconds"), 0u);
}

TEST_F(StsTest, WebIdentityFromAProfileAndTheEnvironmentOnlyWithoutProfileOption) {
  Config(std::string("[profile wi]\nrole_arn = ") + kRole + "\nweb_identity_token_file = " +
         home_.WriteFile("ptoken", "profile-token") + "\nduration_seconds = 900\n" +
         "[profile plain]\naws_access_key_id = PLAIN\naws_secret_access_key = s\n");
  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::1:role/env");
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.WriteFile("etoken", "env-token"));
  // --profile turns the environment's web identity settings off.
  Result<s3::Credentials> r = Get("wi");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Forms().back()["RoleArn"], kRole);
  EXPECT_EQ(Forms().back()["WebIdentityToken"], "profile-token");
  EXPECT_EQ(Forms().back()["DurationSeconds"], "900");
  // The default session name: thaw-session-<unix seconds of the injected clock>.
  EXPECT_EQ(Forms().back()["RoleSessionName"], "thaw-session-1700000000");
  EXPECT_EQ(Get("plain")->access_key_id, "PLAIN");
  // AWS_PROFILE does not: the environment's settings win over the profile's.
  env_.Set("AWS_PROFILE", "wi");
  ASSERT_TRUE(Get().ok());
  EXPECT_EQ(Forms().back()["RoleArn"], "arn:aws:iam::1:role/env");
  EXPECT_EQ(Forms().back()["WebIdentityToken"], "env-token");
}

TEST_F(StsTest, TokenFileIsReadAgainOnEveryRefresh) {
  std::string token = home_.WriteFile("token", "first-token");
  env_.Set("AWS_ROLE_ARN", kRole);
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", token);
  auto chain = MakeDefaultCredentialsChain({}, env_.lookup(), http_, clock_);
  EXPECT_EQ(chain->Get()->access_key_id, "STS1");
  home_.WriteFile("token", "rotated-token");  // the kubelet rotates the file in place
  clock_.Advance(std::chrono::minutes(50));
  EXPECT_EQ(chain->Get()->access_key_id, "STS1") << "still fresh: no STS call";
  EXPECT_EQ(sts_.request_count(), 1);
  clock_.Advance(std::chrono::minutes(6));  // inside the 5-minute margin
  EXPECT_EQ(chain->Get()->access_key_id, "STS2");
  ASSERT_EQ(sts_.request_count(), 2);
  EXPECT_EQ(Forms()[0]["WebIdentityToken"], "first-token");
  EXPECT_EQ(Forms()[1]["WebIdentityToken"], "rotated-token");
}

TEST_F(StsTest, MissingTokenFileIsAnErrorNamingIt) {
  env_.Set("AWS_ROLE_ARN", kRole);
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.path() + "/no-such-token");
  Result<s3::Credentials> r = Get();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find(home_.path() + "/no-such-token"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("AWS_WEB_IDENTITY_TOKEN_FILE"), std::string::npos);
  EXPECT_EQ(sts_.request_count(), 0);
  // A token file without a role is a configuration error too.
  env_.Unset("AWS_ROLE_ARN");
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.WriteFile("token", kWebToken));
  r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("AWS_ROLE_ARN"), std::string::npos);
}

TEST_F(StsTest, StsErrorsNameTheProfileAndRoleButNotTheToken) {
  error_ = "AccessDenied";
  env_.Set("AWS_ROLE_ARN", kRole);
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.WriteFile("token", kWebToken));
  Result<s3::Credentials> r = Get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("profile 'default'"), std::string::npos);
  EXPECT_NE(r.status().message().find(kRole), std::string::npos);
  EXPECT_NE(r.status().message().find("AccessDenied"), std::string::npos);
  ExpectNoSecrets(r.status(), {kWebToken});
  error_ = "ExpiredTokenException";
  EXPECT_EQ(Get().status().code(), StatusCode::kUnauthenticated);
}

// --- Assume role -------------------------------------------------------------------------------

TEST_F(StsTest, AssumeRoleIsSignedByTheSourceProfileAndCarriesEveryParameter) {
  Config(std::string("[profile app]\nrole_arn = ") + kRole +
         "\nsource_profile = base\nexternal_id = ext-123\nrole_session_name = nightly job\n"
         "duration_seconds = 7200\nregion = eu-west-1\n");
  Credentials(std::string("[base]\naws_access_key_id = ") + kAccessKeyId +
              "\naws_secret_access_key = " + kSecret + "\n");
  Result<s3::Credentials> r = Get("app");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "STS1");
  EXPECT_EQ(r->session_token, kSessionToken);
  EXPECT_TRUE(r->expiration.has_value());
  ASSERT_EQ(sts_.request_count(), 1);
  TestRequest req = sts_.requests()[0];
  EXPECT_EQ(req.method, "POST");
  std::string auth = req.Header("authorization");
  EXPECT_TRUE(StartsWith(auth, std::string("AWS4-HMAC-SHA256 Credential=") + kAccessKeyId +
                                   "/20231114/eu-west-1/sts/aws4_request"))
      << auth;
  EXPECT_EQ(req.Header("x-amz-security-token"), "") << "long-term source keys have no token";
  std::map<std::string, std::string> form = Form(req.body);
  EXPECT_EQ(form["Action"], "AssumeRole");
  EXPECT_EQ(form["Version"], "2011-06-15");
  EXPECT_EQ(form["RoleArn"], kRole);
  EXPECT_EQ(form["RoleSessionName"], "nightly job");
  EXPECT_EQ(form["ExternalId"], "ext-123");
  EXPECT_EQ(form["DurationSeconds"], "7200");
  EXPECT_EQ(form.count("WebIdentityToken"), 0u);
}

TEST_F(StsTest, RoleArnWinsOverStaticKeysOfTheSameProfile) {
  Config(std::string("[profile app]\nrole_arn = ") + kRole + "\nsource_profile = base\n");
  Credentials(
      "[app]\naws_access_key_id = APPSTATIC\naws_secret_access_key = s\n"
      "[base]\naws_access_key_id = BASE\naws_secret_access_key = s\n");
  EXPECT_EQ(Get("app")->access_key_id, "STS1");
}

TEST_F(StsTest, ChainsOfRolesSignEachCallWithThePreviousCredentials) {
  Config(
      "[profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = middle\n"
      "[profile middle]\nrole_arn = arn:aws:iam::1:role/middle\nsource_profile = base\n"
      "[profile base]\naws_access_key_id = BASEKEY\naws_secret_access_key = s\n");
  Result<s3::Credentials> r = Get("top");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "STS2");
  ASSERT_EQ(sts_.request_count(), 2);
  std::vector<TestRequest> reqs = sts_.requests();
  EXPECT_EQ(Form(reqs[0].body)["RoleArn"], "arn:aws:iam::1:role/middle");
  EXPECT_NE(reqs[0].Header("authorization").find("Credential=BASEKEY/"), std::string::npos);
  EXPECT_EQ(Form(reqs[1].body)["RoleArn"], "arn:aws:iam::1:role/top");
  EXPECT_NE(reqs[1].Header("authorization").find("Credential=STS1/"), std::string::npos);
  EXPECT_EQ(reqs[1].Header("x-amz-security-token"), kSessionToken);
}

TEST_F(StsTest, ASourceProfileWithStaticKeysUsesThemEvenWithARoleArn) {
  // botocore: static keys of a source profile win; a profile may then name itself as source.
  Config(
      "[profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = base\n"
      "[profile base]\nrole_arn = arn:aws:iam::1:role/base\nsource_profile = base\n"
      "aws_access_key_id = BASEKEY\naws_secret_access_key = s\n");
  ASSERT_TRUE(Get("top").ok()) << Get("top").status().ToString();
  EXPECT_NE(sts_.requests()[0].Header("authorization").find("Credential=BASEKEY/"),
            std::string::npos);
  // Asked for directly, base assumes its role with its own keys.
  Result<s3::Credentials> r = Get("base");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Forms().back()["RoleArn"], "arn:aws:iam::1:role/base");
}

TEST_F(StsTest, SourceProfileLoopsAreErrorsListingTheChain) {
  Config(
      "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
      "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = c\n"
      "[profile c]\nrole_arn = arn:aws:iam::1:role/c\nsource_profile = a\n"
      "[profile self]\nrole_arn = arn:aws:iam::1:role/s\nsource_profile = self\n");
  Result<s3::Credentials> r = Get("a");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("a -> b -> c -> a"), std::string::npos)
      << r.status().message();
  r = Get("self");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("self -> self"), std::string::npos) << r.status().message();
  EXPECT_EQ(sts_.request_count(), 0);
}

TEST_F(StsTest, MissingOrEmptySourceProfileAndBadSettingsAreClearErrors) {
  Config(std::string("[profile gone]\nrole_arn = ") + kRole + "\nsource_profile = nowhere\n" +
         "[profile empty]\nrole_arn = " + kRole + "\nsource_profile = bare\n" +
         "[profile bare]\nregion = us-east-1\n" + "[profile none]\nrole_arn = " + kRole + "\n" +
         "[profile both]\nrole_arn = " + kRole + "\nsource_profile = bare\n" +
         "credential_source = Environment\n" + "[profile mfa]\nrole_arn = " + kRole +
         "\nsource_profile = bare\n" + "mfa_serial = arn:aws:iam::1:mfa/me\n" +
         "[profile long]\nrole_arn = " + kRole + "\ncredential_source = Environment\n" +
         "duration_seconds = 99999\n" + "[profile odd]\nrole_arn = " + kRole +
         "\ncredential_source = Laptop\n");
  struct Case {
    const char* profile;
    const char* says;
  };
  for (const Case& c :
       {Case{"gone", "source_profile 'nowhere' does not exist"},
        Case{"empty", "source profile 'bare'"},
        Case{"none", "neither source_profile nor credential_source"},
        Case{"both", "both source_profile and credential_source"}, Case{"mfa", "mfa_serial"},
        Case{"long", "duration_seconds"}, Case{"odd", "credential_source 'Laptop'"}}) {
    SCOPED_TRACE(c.profile);
    Result<s3::Credentials> r = Get(c.profile);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().code(), StatusCode::kNotFound) << "must not fall through the chain";
    EXPECT_NE(r.status().message().find(c.says), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(std::string("'") + c.profile + "'"), std::string::npos)
        << r.status().message();
  }
  EXPECT_EQ(sts_.request_count(), 0);
}

TEST_F(StsTest, CredentialSourceEnvironment) {
  Config(std::string("[profile ci]\nrole_arn = ") + kRole + "\ncredential_source = Environment\n");
  Result<s3::Credentials> r = Get("ci");
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << "no keys in the environment";
  EXPECT_NE(r.status().message().find("Environment"), std::string::npos);
  env_.Set("AWS_ACCESS_KEY_ID", "ENVKEY");
  env_.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  r = Get("ci");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NE(sts_.requests()[0].Header("authorization").find("Credential=ENVKEY/"),
            std::string::npos);
}

TEST_F(StsTest, CredentialSourceEcsContainerAndEc2InstanceMetadata) {
  // One fake for both metadata services: the container endpoint and IMDSv2.
  HttpTestServer metadata([](const TestRequest& r) {
    if (r.target == "/container")
      return TestResponse::Ok(CredentialsJson("2030-01-01T00:00:00Z", "ECSKEY"));
    if (r.method == "PUT") return TestResponse::Ok("imds-token");
    if (r.target == "/latest/meta-data/iam/security-credentials/") return TestResponse::Ok("role");
    return TestResponse::Ok(CredentialsJson("2030-01-01T00:00:00Z", "EC2KEY"));
  });
  env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", metadata.url() + "/container");
  env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.url());
  Config(std::string("[profile task]\nrole_arn = ") + kRole +
         "\ncredential_source = EcsContainer\n[profile vm]\nrole_arn = " + kRole +
         "\ncredential_source = Ec2InstanceMetadata\n");
  Result<s3::Credentials> r = Get("task");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "STS1");
  r = Get("vm");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "STS2");
  ASSERT_EQ(sts_.request_count(), 2);
  // Each AssumeRole is signed by its source, with the source's session token.
  EXPECT_NE(sts_.requests()[0].Header("authorization").find("Credential=ECSKEY/"),
            std::string::npos);
  EXPECT_NE(sts_.requests()[1].Header("authorization").find("Credential=EC2KEY/"),
            std::string::npos);
  EXPECT_NE(sts_.requests()[1].Header("x-amz-security-token"), "");
  // A source that has nothing is a clear error naming the profile and the source, not a fall
  // through to other credentials.
  env_.Set("AWS_EC2_METADATA_DISABLED", "true");
  r = Get("vm");
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  EXPECT_NE(r.status().message().find("profile 'vm'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("credential_source Ec2InstanceMetadata"), std::string::npos)
      << r.status().message();
}

TEST_F(StsTest, AssumeRoleErrorsNameProfileAndRole) {
  error_ = "AccessDenied";
  Config(std::string("[profile app]\nrole_arn = ") + kRole + "\nsource_profile = base\n" +
         "[profile base]\naws_access_key_id = " + kAccessKeyId +
         "\naws_secret_access_key = " + kSecret + "\n");
  Result<s3::Credentials> r = Get("app");
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(r.status().message().find("profile 'app'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(kRole), std::string::npos);
  EXPECT_NE(r.status().message().find("AccessDenied"), std::string::npos);
  ExpectNoSecrets(r.status());
}

TEST_F(StsTest, ConcurrentCallersShareOneAssumeRole) {
  Config(std::string("[profile app]\nrole_arn = ") + kRole + "\nsource_profile = base\n" +
         "[profile base]\naws_access_key_id = B\naws_secret_access_key = s\n");
  CredentialsOptions options;
  options.profile = "app";
  auto chain = MakeDefaultCredentialsChain(options, env_.lookup(), http_, clock_);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ok += chain->Get().ok() ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8);
  EXPECT_EQ(sts_.request_count(), 1);
}

// --- Where STS is ------------------------------------------------------------------------------

TEST(StsEndpoint, RegionalByDefaultLegacyGlobalAndOverrides) {
  FakeEnv env;
  std::map<std::string, std::string> profile;
  auto url = [&](const std::string& region) {
    Result<internal::StsEndpoint> ep = internal::ResolveStsEndpoint(region, profile, env.lookup());
    return ep.ok() ? ep->url + " " + ep->signing_region : ep.status().ToString();
  };
  EXPECT_EQ(url("eu-west-1"), "https://sts.eu-west-1.amazonaws.com eu-west-1");
  EXPECT_EQ(url("us-east-1"), "https://sts.us-east-1.amazonaws.com us-east-1");
  EXPECT_EQ(url("cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn cn-north-1");
  EXPECT_EQ(url(""), "https://sts.amazonaws.com us-east-1");
  profile["sts_regional_endpoints"] = "legacy";
  EXPECT_EQ(url("eu-west-1"), "https://sts.amazonaws.com us-east-1");
  EXPECT_EQ(url("af-south-1"), "https://sts.af-south-1.amazonaws.com af-south-1");
  env.Set("AWS_STS_REGIONAL_ENDPOINTS", "regional");
  EXPECT_EQ(url("eu-west-1"), "https://sts.eu-west-1.amazonaws.com eu-west-1");
  profile["endpoint_url"] = "http://all:1/";
  EXPECT_EQ(url("eu-west-1"), "http://all:1 eu-west-1");
  profile["sts.endpoint_url"] = "http://sts-section:2";
  EXPECT_EQ(url("eu-west-1"), "http://sts-section:2 eu-west-1");
  env.Set("AWS_ENDPOINT_URL", "http://env-all:3");
  EXPECT_EQ(url("eu-west-1"), "http://env-all:3 eu-west-1");
  env.Set("AWS_ENDPOINT_URL_STS", "http://env-sts:4");
  EXPECT_EQ(url("eu-west-1"), "http://env-sts:4 eu-west-1");
  env.Set("AWS_ENDPOINT_URL_STS", "ftp://x");
  EXPECT_EQ(url("eu-west-1").find("INVALID_ARGUMENT"), 0u);
}

}  // namespace
}  // namespace thaw::s3
