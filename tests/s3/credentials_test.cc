// Tests for the local credential sources (static, environment, profile), the chain, the
// refreshing cache and the default chain's order. Container and IMDS have
// credentials_remote_test.cc; the default chain's network legs run against HttpTestServer.
#include "s3/credentials.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <condition_variable>
#include <sstream>
#include <thread>

#include "common/time_format.h"
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

// --- Static and environment --------------------------------------------------------------------

TEST(StaticProvider, ReturnsWhatItWasGiven) {
  Credentials c{kAccessKeyId, kSecret, kSessionToken, std::nullopt, "command line"};
  auto p = MakeStaticProvider(c);
  Result<Credentials> r = p->Get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->access_key_id, kAccessKeyId);
  EXPECT_EQ(r->secret_access_key, kSecret);
  EXPECT_EQ(r->session_token, kSessionToken);
  EXPECT_EQ(r->source, "command line");
  EXPECT_EQ(p->name(), "command line");
}

TEST(StaticProvider, EmptyIsNotFoundAndHalfIsAnError) {
  EXPECT_EQ(MakeStaticProvider({})->Get().status().code(), StatusCode::kNotFound);
  Credentials only_secret;
  only_secret.secret_access_key = kSecret;
  Result<Credentials> r = MakeStaticProvider(only_secret)->Get();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  ExpectNoSecrets(r.status());
}

TEST(EnvironmentProvider, ReadsKeysAndSessionToken) {
  FakeEnv env{{"AWS_ACCESS_KEY_ID", kAccessKeyId},
              {"AWS_SECRET_ACCESS_KEY", kSecret},
              {"AWS_SESSION_TOKEN", kSessionToken}};
  Result<Credentials> r = MakeEnvironmentProvider(env.lookup())->Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, kAccessKeyId);
  EXPECT_EQ(r->secret_access_key, kSecret);
  EXPECT_EQ(r->session_token, kSessionToken);
  EXPECT_FALSE(r->expiration.has_value());
  EXPECT_EQ(r->source, "environment");
}

TEST(EnvironmentProvider, SecurityTokenIsTheOldNameOfSessionToken) {
  FakeEnv env{{"AWS_ACCESS_KEY_ID", kAccessKeyId},
              {"AWS_SECRET_ACCESS_KEY", kSecret},
              {"AWS_SECURITY_TOKEN", "old"}};
  EXPECT_EQ(MakeEnvironmentProvider(env.lookup())->Get()->session_token, "old");
  env.Set("AWS_SESSION_TOKEN", "new");
  EXPECT_EQ(MakeEnvironmentProvider(env.lookup())->Get()->session_token, "new");
}

TEST(EnvironmentProvider, NothingWithoutAnAccessKeyId) {
  FakeEnv env;
  EXPECT_EQ(MakeEnvironmentProvider(env.lookup())->Get().status().code(), StatusCode::kNotFound);
  // botocore looks at the secret only once the key id is there.
  env.Set("AWS_SECRET_ACCESS_KEY", kSecret);
  EXPECT_EQ(MakeEnvironmentProvider(env.lookup())->Get().status().code(), StatusCode::kNotFound);
  env.Set("AWS_ACCESS_KEY_ID", "");
  EXPECT_EQ(MakeEnvironmentProvider(env.lookup())->Get().status().code(), StatusCode::kNotFound);
}

TEST(EnvironmentProvider, KeyIdWithoutSecretIsAnError) {
  FakeEnv env{{"AWS_ACCESS_KEY_ID", kAccessKeyId}, {"AWS_SESSION_TOKEN", kSessionToken}};
  Result<Credentials> r = MakeEnvironmentProvider(env.lookup())->Get();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  ExpectNoSecrets(r.status());
}

TEST(EnvironmentProvider, CredentialExpiration) {
  FakeEnv env{{"AWS_ACCESS_KEY_ID", kAccessKeyId},
              {"AWS_SECRET_ACCESS_KEY", kSecret},
              {"AWS_CREDENTIAL_EXPIRATION", "2023-11-14T22:13:20Z"}};
  Result<Credentials> r = MakeEnvironmentProvider(env.lookup())->Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->expiration.has_value());
  EXPECT_EQ(*r->expiration, Clock::TimePoint(std::chrono::seconds(1700000000)));
  env.Set("AWS_CREDENTIAL_EXPIRATION", "tomorrow");
  EXPECT_EQ(MakeEnvironmentProvider(env.lookup())->Get().status().code(),
            StatusCode::kInvalidArgument);
}

// --- Profile -----------------------------------------------------------------------------------

class ProfileProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.Set("HOME", home_.path()); }
  void WriteCredentials(const std::string& text) { home_.WriteFile(".aws/credentials", text); }
  void WriteConfig(const std::string& text) { home_.WriteFile(".aws/config", text); }
  Result<Credentials> Get(const std::string& profile = "") {
    return MakeProfileProvider(profile, env_.lookup())->Get();
  }
  static std::string Keys(const std::string& id, const std::string& secret) {
    return "aws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n";
  }

  TempDir home_;
  FakeEnv env_;
};

TEST_F(ProfileProviderTest, DefaultProfileFromCredentialsFileUnderHome) {
  WriteCredentials("[default]\n" + Keys(kAccessKeyId, kSecret) +
                   "aws_session_token = " + kSessionToken + "\n");
  Result<Credentials> r = Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, kAccessKeyId);
  EXPECT_EQ(r->secret_access_key, kSecret);
  EXPECT_EQ(r->session_token, kSessionToken);
  EXPECT_EQ(r->source, "profile default");
  EXPECT_FALSE(r->expiration.has_value());
}

TEST_F(ProfileProviderTest, AwsProfileSelectsAndAnExplicitNameWins) {
  WriteCredentials("[default]\n" + Keys("DEF", "s1") + "[envp]\n" + Keys("ENVP", "s2") +
                   "[argp]\n" + Keys("ARGP", "s3"));
  EXPECT_EQ(Get()->access_key_id, "DEF");
  env_.Set("AWS_PROFILE", "envp");
  EXPECT_EQ(Get()->access_key_id, "ENVP");
  EXPECT_EQ(MakeProfileProvider("", env_.lookup())->name(), "profile envp");
  EXPECT_EQ(Get("argp")->access_key_id, "ARGP");
  EXPECT_EQ(Get("argp")->source, "profile argp");
}

TEST_F(ProfileProviderTest, ConfigFileProfilesNeedThePrefix) {
  WriteConfig("[dev]\n" + Keys("WRONG", "x") + "[profile dev]\n" + Keys("RIGHT", "y") +
              "[default]\n" + Keys("DEFAULT", "z"));
  EXPECT_EQ(Get("dev")->access_key_id, "RIGHT");
  EXPECT_EQ(Get()->access_key_id, "DEFAULT");
}

TEST_F(ProfileProviderTest, CredentialsFileWinsAndKeysAreNotMixedAcrossFiles) {
  WriteCredentials("[default]\n" + Keys("CREDS", "creds-secret"));
  WriteConfig("[default]\n" + Keys("CONFIG", "config-secret") + "aws_session_token = stale\n");
  Result<Credentials> r = Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "CREDS");
  EXPECT_EQ(r->secret_access_key, "creds-secret");
  EXPECT_EQ(r->session_token, "") << "a token from the other file must not be attached";
}

TEST_F(ProfileProviderTest, ConfigFileKeysWhenTheCredentialsFileHasNone) {
  WriteCredentials("[default]\nregion = x\n[other]\n" + Keys("OTHER", "o"));
  WriteConfig("[default]\n" + Keys("CONFIG", "config-secret"));
  EXPECT_EQ(Get()->access_key_id, "CONFIG");
}

TEST_F(ProfileProviderTest, FileLocationsFromEnvironment) {
  std::string creds = home_.WriteFile("x/creds", "[default]\n" + Keys("ENVFILE", "s"));
  WriteCredentials("[default]\n" + Keys("HOMEFILE", "s"));
  env_.Set("AWS_SHARED_CREDENTIALS_FILE", creds);
  EXPECT_EQ(Get()->access_key_id, "ENVFILE");
  env_.Unset("AWS_SHARED_CREDENTIALS_FILE");
  home_.WriteFile("y/conf", "[profile p]\n" + Keys("CONFENV", "s"));
  env_.Set("AWS_CONFIG_FILE", "~/y/conf");
  EXPECT_EQ(Get("p")->access_key_id, "CONFENV");
}

TEST_F(ProfileProviderTest, NoFilesMeansNotFoundForTheDefaultProfile) {
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find(home_.path() + "/.aws/credentials"), std::string::npos)
      << r.status().message();
  env_.Unset("HOME");  // nowhere to look at all
  EXPECT_EQ(Get().status().code(), StatusCode::kNotFound);
}

TEST_F(ProfileProviderTest, MissingNamedProfileIsAnError) {
  WriteCredentials("[default]\n" + Keys("DEF", "s"));
  Result<Credentials> r = Get("typo");
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("profile 'typo' not found"), std::string::npos);
  env_.Set("AWS_PROFILE", "typo2");
  EXPECT_EQ(Get().status().code(), StatusCode::kInvalidArgument);
}

TEST_F(ProfileProviderTest, ProfileWithoutKeysIsNotFound) {
  WriteConfig("[default]\nregion = eu-west-1\n");
  EXPECT_EQ(Get().status().code(), StatusCode::kNotFound);
  // Like botocore, a secret alone does not trigger the profile.
  WriteCredentials(std::string("[default]\naws_secret_access_key = ") + kSecret + "\n");
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  ExpectNoSecrets(r.status());
}

TEST_F(ProfileProviderTest, KeyIdWithoutSecretIsAPartialCredentialsError) {
  std::string path = home_.WriteFile(".aws/credentials",
                                     std::string("[default]\naws_access_key_id = ") + kAccessKeyId +
                                         "\naws_session_token = " + kSessionToken);
  // A secret in the config file does not complete the credentials file's keys.
  WriteConfig(std::string("[default]\naws_secret_access_key = ") + kSecret + "\n");
  Result<Credentials> r = Get();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(),
            path + ": profile 'default' has aws_access_key_id but no aws_secret_access_key");
  ExpectNoSecrets(r.status());
}

TEST_F(ProfileProviderTest, MalformedFileIsAnErrorThatHidesTheSecret) {
  WriteCredentials(std::string("[default]\naws_access_key_id = A\naws_secret_access_key ") +
                   kSecret + "\n");
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("credentials:3:"), std::string::npos) << r.status().message();
  ExpectNoSecrets(r.status());
}

TEST_F(ProfileProviderTest, UnsupportedCredentialSourcesAreErrors) {
  WriteConfig(
      "[profile sso]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = R\n"
      "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
      "sso_region = eu-west-1\n"
      "[profile login]\nlogin_session = arn:aws:iam::1:user/u\n"
      "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = src\n"
      "[profile src]\naws_access_key_id = SRC\naws_secret_access_key = s\n");
  // SSO comes before static keys of the credentials file (botocore's order); without a
  // transport for the portal it is an error, never a fall-through to the static keys.
  WriteCredentials("[sso]\n" + Keys("STATIC", "s"));
  EXPECT_EQ(Get("sso").status().code(), StatusCode::kUnimplemented);
  EXPECT_EQ(Get("login").status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(Get("login").status().message().find("login_session"), std::string::npos);
  // Without an STS transport a role profile cannot work; it is an error, never a fall-through
  // to the profile's static keys.
  WriteCredentials("[role]\n" + Keys("STATIC", "s"));
  EXPECT_EQ(Get("role").status().code(), StatusCode::kUnimplemented);
  EXPECT_NE(Get("role").status().message().find("arn:aws:iam::1:role/r"), std::string::npos);
}

TEST_F(ProfileProviderTest, WebIdentityEnvironmentComesFirstUnlessAProfileIsNamed) {
  WriteCredentials("[default]\n" + Keys("STATIC", "s") + "[named]\n" + Keys("NAMED", "s"));
  env_.Set("AWS_ROLE_ARN", "arn:aws:iam::1:role/r");
  env_.Set("AWS_WEB_IDENTITY_TOKEN_FILE", home_.path() + "/no-token");
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("AWS_WEB_IDENTITY_TOKEN_FILE"), std::string::npos);
  EXPECT_EQ(Get("named")->access_key_id, "NAMED");
}

// --- Chain -------------------------------------------------------------------------------------

// Answers from a script; counts calls.
class ScriptedProvider : public CredentialsProvider {
 public:
  ScriptedProvider(std::string name, Result<Credentials> answer, int* calls = nullptr)
      : name_(std::move(name)), answer_(std::move(answer)), calls_(calls) {}
  Result<Credentials> Get() override {
    if (calls_ != nullptr) ++*calls_;
    return answer_;
  }
  std::string name() const override { return name_; }

 private:
  std::string name_;
  Result<Credentials> answer_;
  int* calls_;
};

Credentials Creds(const std::string& id) {
  Credentials c;
  c.access_key_id = id;
  c.secret_access_key = kSecret;
  c.source = id;
  return c;
}

TEST(ChainProvider, FirstProviderWithCredentialsWins) {
  int calls_a = 0, calls_c = 0;
  std::vector<std::unique_ptr<CredentialsProvider>> ps;
  ps.push_back(std::make_unique<ScriptedProvider>("a", Status::NotFound("nope"), &calls_a));
  ps.push_back(std::make_unique<ScriptedProvider>("b", Creds("B")));
  ps.push_back(std::make_unique<ScriptedProvider>("c", Creds("C"), &calls_c));
  auto chain = MakeChainProvider(std::move(ps));
  EXPECT_EQ(chain->Get()->access_key_id, "B");
  EXPECT_EQ(calls_a, 1);
  EXPECT_EQ(calls_c, 0);
}

TEST(ChainProvider, StopsAtAnErrorAndNamesTheSource) {
  int calls_c = 0;
  std::vector<std::unique_ptr<CredentialsProvider>> ps;
  ps.push_back(std::make_unique<ScriptedProvider>("a", Status::NotFound("nope")));
  ps.push_back(std::make_unique<ScriptedProvider>("b", Status::Unavailable("HTTP 500")));
  ps.push_back(std::make_unique<ScriptedProvider>("c", Creds("C"), &calls_c));
  Result<Credentials> r = MakeChainProvider(std::move(ps))->Get();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(), "b: HTTP 500");
  EXPECT_EQ(calls_c, 0);
}

TEST(ChainProvider, NothingFoundListsWhatWasTried) {
  std::vector<std::unique_ptr<CredentialsProvider>> ps;
  ps.push_back(std::make_unique<ScriptedProvider>("environment", Status::NotFound("x")));
  ps.push_back(std::make_unique<ScriptedProvider>("profile default", Status::NotFound("y")));
  Result<Credentials> r = MakeChainProvider(std::move(ps))->Get();
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(
      r.status().message().find("no AWS credentials found (tried: environment, profile default)"),
      std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("--no-sign-request"), std::string::npos);
}

// --- RefreshingProvider ------------------------------------------------------------------------

// Hands out credentials numbered by call, expiring `lifetime` after the clock's now; fails while
// `fail` is set.
class CountingProvider : public CredentialsProvider {
 public:
  CountingProvider(Clock& clock, std::optional<std::chrono::seconds> lifetime)
      : clock_(clock), lifetime_(lifetime) {}
  Result<Credentials> Get() override {
    int n = ++calls;
    if (delay.count() > 0) std::this_thread::sleep_for(delay);
    if (fail) return Status::Unavailable("endpoint down");
    Credentials c = Creds("KEY" + std::to_string(n));
    if (lifetime_) c.expiration = clock_.Now() + *lifetime_;
    return c;
  }
  std::string name() const override { return "counting"; }

  std::atomic<int> calls{0};
  std::atomic<bool> fail{false};
  std::chrono::milliseconds delay{0};

 private:
  Clock& clock_;
  std::optional<std::chrono::seconds> lifetime_;
};

using std::chrono::minutes;
using std::chrono::seconds;

TEST(RefreshingProvider, LongTermCredentialsAreFetchedOnce) {
  FakeClock clock;
  auto inner = std::make_unique<CountingProvider>(clock, std::nullopt);
  CountingProvider* counting = inner.get();
  auto p = MakeRefreshingProvider(std::move(inner), clock, seconds(300));
  EXPECT_EQ(p->Get()->access_key_id, "KEY1");
  clock.Advance(std::chrono::hours(24 * 365));
  EXPECT_EQ(p->Get()->access_key_id, "KEY1");
  EXPECT_EQ(counting->calls, 1);
}

TEST(RefreshingProvider, RefetchesWhenExpiryIsWithinTheMargin) {
  FakeClock clock;
  auto inner = std::make_unique<CountingProvider>(clock, minutes(60));
  CountingProvider* counting = inner.get();
  auto p = MakeRefreshingProvider(std::move(inner), clock, seconds(300));
  EXPECT_EQ(p->Get()->access_key_id, "KEY1");
  clock.Advance(minutes(54));
  EXPECT_EQ(p->Get()->access_key_id, "KEY1");
  clock.Advance(seconds(59));  // 5 min 1 s before expiry
  EXPECT_EQ(p->Get()->access_key_id, "KEY1");
  clock.Advance(seconds(1));  // exactly the margin
  EXPECT_EQ(p->Get()->access_key_id, "KEY2");
  EXPECT_EQ(counting->calls, 2);
}

TEST(RefreshingProvider, FailedRefreshKeepsUnexpiredCredentials) {
  FakeClock clock;
  auto inner = std::make_unique<CountingProvider>(clock, minutes(60));
  CountingProvider* counting = inner.get();
  auto p = MakeRefreshingProvider(std::move(inner), clock, seconds(300));
  ASSERT_EQ(p->Get()->access_key_id, "KEY1");
  counting->fail = true;
  clock.Advance(minutes(56));
  EXPECT_EQ(p->Get()->access_key_id, "KEY1");
  EXPECT_EQ(counting->calls, 2);
  // A failing source is not asked again on every call...
  EXPECT_EQ(p->Get()->access_key_id, "KEY1");
  EXPECT_EQ(counting->calls, 2);
  // ...but again a little later.
  clock.Advance(seconds(10));
  EXPECT_EQ(p->Get()->access_key_id, "KEY1");
  EXPECT_EQ(counting->calls, 3);
  // Once they have expired, the error comes through.
  clock.Advance(minutes(4));
  Result<Credentials> r = p->Get();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  counting->fail = false;
  EXPECT_EQ(p->Get()->access_key_id, "KEY5");
}

TEST(RefreshingProvider, FirstFetchErrorIsReturned) {
  FakeClock clock;
  auto inner = std::make_unique<CountingProvider>(clock, minutes(60));
  inner->fail = true;
  auto p = MakeRefreshingProvider(std::move(inner), clock, seconds(300));
  EXPECT_EQ(p->Get().status().code(), StatusCode::kUnavailable);
}

TEST(RefreshingProvider, CredentialsShorterThanTheMarginAreNotRefetchedOnEveryCall) {
  FakeClock clock;
  auto inner = std::make_unique<CountingProvider>(clock, minutes(4));  // margin is 5
  CountingProvider* counting = inner.get();
  auto p = MakeRefreshingProvider(std::move(inner), clock, seconds(300));
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(p->Get().ok());
  EXPECT_EQ(counting->calls, 1);
  clock.Advance(minutes(2));  // halfway to expiry
  EXPECT_EQ(p->Get()->access_key_id, "KEY2");
}

TEST(RefreshingProvider, ConcurrentCallersShareOneFetch) {
  FakeClock clock;
  auto inner = std::make_unique<CountingProvider>(clock, minutes(60));
  CountingProvider* counting = inner.get();
  counting->delay = std::chrono::milliseconds(50);
  auto p = MakeRefreshingProvider(std::move(inner), clock, seconds(300));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) ok += p->Get().ok() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 400);
  EXPECT_EQ(counting->calls, 1);
}

TEST(RefreshingProvider, ManyThreadsDuringARefreshCauseOneFetchAndNeverAnExpiredCredential) {
  FakeClock clock;
  auto inner = std::make_unique<CountingProvider>(clock, minutes(60));
  CountingProvider* counting = inner.get();
  auto p = MakeRefreshingProvider(std::move(inner), clock, seconds(300));
  ASSERT_EQ(p->Get()->access_key_id, "KEY1");
  counting->delay = std::chrono::milliseconds(100);  // a slow STS
  clock.Advance(minutes(56));                        // inside the margin
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, expired{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        Result<Credentials> c = p->Get();
        if (c.ok()) ++ok;
        if (c.ok() && c->expiration && *c->expiration <= clock.Now()) ++expired;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 320);
  EXPECT_EQ(expired, 0);
  EXPECT_EQ(counting->calls, 2) << "one refresh for all sixteen threads";
  EXPECT_EQ(p->Get()->access_key_id, "KEY2");
}

TEST(RefreshingProvider, CredentialsShorterThanTheMarginAreRefreshedBeforeTheyExpire) {
  // The sim's STS at --time-scale hands out sessions of a second or two.
  FakeClock clock;
  auto inner = std::make_unique<CountingProvider>(clock, seconds(2));
  CountingProvider* counting = inner.get();
  auto p = MakeRefreshingProvider(std::move(inner), clock, seconds(300));
  for (int i = 0; i < 100; ++i) {
    Result<Credentials> c = p->Get();
    ASSERT_TRUE(c.ok());
    ASSERT_GT(*c->expiration, clock.Now()) << "step " << i;
    // Refreshed halfway: never used in the last half of their life.
    EXPECT_GE(*c->expiration - clock.Now(), std::chrono::milliseconds(900)) << "step " << i;
    clock.Advance(std::chrono::milliseconds(100));
  }
  // 10 s of 2-second credentials refreshed at half-life: about 10 fetches, not 100.
  EXPECT_GE(counting->calls, 9);
  EXPECT_LE(counting->calls, 12);
}

// Blocks in Get() until released, to hold a refresh in flight.
class GateProvider : public CredentialsProvider {
 public:
  Result<Credentials> Get() override {
    std::unique_lock<std::mutex> lock(mu_);
    int n = ++calls_;
    if (n > 1) {
      entered_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return released_; });
    }
    Credentials c = Creds("KEY" + std::to_string(n));
    c.expiration = Clock::TimePoint(seconds(1700000000)) + minutes(60);
    return c;
  }
  std::string name() const override { return "gate"; }
  void WaitEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return entered_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int calls_ = 0;
  bool entered_ = false;
  bool released_ = false;
};

TEST(RefreshingProvider, OthersUseValidCredentialsWhileOneRefreshes) {
  FakeClock clock;  // starts at 1700000000
  auto inner = std::make_unique<GateProvider>();
  GateProvider* gate = inner.get();
  auto p = MakeRefreshingProvider(std::move(inner), clock, seconds(300));
  ASSERT_EQ(p->Get()->access_key_id, "KEY1");
  clock.Advance(minutes(57));  // inside the margin, not expired
  std::thread refresher([&] { EXPECT_EQ(p->Get()->access_key_id, "KEY2"); });
  gate->WaitEntered();
  EXPECT_EQ(p->Get()->access_key_id, "KEY1") << "must not wait for the refresh in flight";
  gate->Release();
  refresher.join();
  EXPECT_EQ(p->Get()->access_key_id, "KEY2");
}

// --- The default chain -------------------------------------------------------------------------

// A fake container endpoint and a fake IMDS, plus a profile and environment, all configured at
// once; each test removes sources to see who wins.
class DefaultChainTest : public ::testing::Test {
 protected:
  DefaultChainTest()
      : container_([](const TestRequest&) {
          return TestResponse::Ok(CredentialsJson("2030-01-01T00:00:00Z", "CONTAINER"));
        }),
        imds_([](const TestRequest& r) {
          if (r.method == "PUT") return TestResponse::Ok("token");
          if (r.target == "/latest/meta-data/iam/security-credentials/") {
            return TestResponse::Ok("role");
          }
          return TestResponse::Ok(CredentialsJson("2030-01-01T00:00:00Z", "IMDS"));
        }) {}

  void SetUp() override {
    env_.Set("HOME", home_.path());
    env_.Set("AWS_ACCESS_KEY_ID", "ENV");
    env_.Set("AWS_SECRET_ACCESS_KEY", kSecret);
    home_.WriteFile(".aws/credentials",
                    "[default]\naws_access_key_id = PROFILE\naws_secret_access_key = s\n"
                    "[other]\naws_access_key_id = OTHER\naws_secret_access_key = s\n");
    env_.Set("AWS_CONTAINER_CREDENTIALS_FULL_URI", container_.url() + "/creds");
    env_.Set("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds_.url());
  }

  Result<Credentials> Get(const CredentialsOptions& options = {}) {
    auto chain = MakeDefaultCredentialsChain(options, env_.lookup(), http_, clock_);
    EXPECT_NE(chain, nullptr);
    if (chain == nullptr) return Status::Internal("no chain");
    return chain->Get();
  }
  std::string Winner(const CredentialsOptions& options = {}) {
    Result<Credentials> r = Get(options);
    return r.ok() ? r->access_key_id : r.status().ToString();
  }

  HttpTestServer container_;
  HttpTestServer imds_;
  TempDir home_;
  FakeEnv env_;
  BeastTransport http_;
  FakeClock clock_;
};

TEST_F(DefaultChainTest, OrderIsExplicitEnvironmentProfileContainerImds) {
  CredentialsOptions explicit_keys;
  explicit_keys.access_key_id = "EXPLICIT";
  explicit_keys.secret_access_key = kSecret;
  EXPECT_EQ(Winner(explicit_keys), "EXPLICIT");
  EXPECT_EQ(Winner(), "ENV");
  env_.Unset("AWS_ACCESS_KEY_ID");
  EXPECT_EQ(Winner(), "PROFILE");
  home_.WriteFile(".aws/credentials", "");
  EXPECT_EQ(container_.request_count(), 0);
  EXPECT_EQ(Winner(), "CONTAINER");
  EXPECT_EQ(imds_.request_count(), 0);
  env_.Unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  EXPECT_EQ(Winner(), "IMDS");
  EXPECT_EQ(Get()->source, "instance metadata");
}

TEST_F(DefaultChainTest, AwsProfileDoesNotBeatTheEnvironmentButProfileOptionDoes) {
  env_.Set("AWS_PROFILE", "other");
  EXPECT_EQ(Winner(), "ENV");
  env_.Unset("AWS_ACCESS_KEY_ID");
  EXPECT_EQ(Winner(), "OTHER");
  env_.Set("AWS_ACCESS_KEY_ID", "ENV");
  CredentialsOptions options;
  options.profile = "other";
  EXPECT_EQ(Winner(options), "OTHER");
}

TEST_F(DefaultChainTest, NoSignRequestHasNoChain) {
  CredentialsOptions options;
  options.no_sign_request = true;
  EXPECT_EQ(MakeDefaultCredentialsChain(options, env_.lookup(), http_, clock_), nullptr);
}

TEST_F(DefaultChainTest, HalfOfTheExplicitKeysIsAnError) {
  CredentialsOptions options;
  options.access_key_id = "EXPLICIT";
  Result<Credentials> r = Get(options);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("command line: ", 0), 0u) << r.status().message();
}

TEST_F(DefaultChainTest, ABrokenProfileStopsTheChain) {
  env_.Unset("AWS_ACCESS_KEY_ID");
  home_.WriteFile(".aws/credentials", "[default]\naws_access_key_id = PROFILE\n");
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("profile default: ", 0), 0u) << r.status().message();
  EXPECT_EQ(container_.request_count(), 0);
  EXPECT_EQ(imds_.request_count(), 0);
}

TEST_F(DefaultChainTest, ABrokenContainerEndpointStopsTheChain) {
  env_.Unset("AWS_ACCESS_KEY_ID");
  home_.WriteFile(".aws/credentials", "");
  container_.set_handler([](const TestRequest&) { return TestResponse::Status(500, "oops"); });
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.status().message(),
            "container: the container credentials endpoint answered HTTP 500");
  EXPECT_EQ(imds_.request_count(), 0);
}

TEST_F(DefaultChainTest, NothingAnywhere) {
  env_.Unset("AWS_ACCESS_KEY_ID");
  env_.Unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  env_.Set("AWS_EC2_METADATA_DISABLED", "true");
  home_.WriteFile(".aws/credentials", "");
  Result<Credentials> r = Get();
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no AWS credentials found (tried: environment, profile "
                                      "default, container, instance metadata)"),
            std::string::npos)
      << r.status().message();
  EXPECT_EQ(imds_.request_count(), 0);
}

TEST_F(DefaultChainTest, MetadataCallsUseTheMetadataTransport) {
  env_.Unset("AWS_ACCESS_KEY_ID");
  home_.WriteFile(".aws/credentials", "");
  RecordingTransport metadata;
  metadata.Push(Answer(200, CredentialsJson("2030-01-01T00:00:00Z", "VIA-METADATA")));
  RecordingTransport unused;
  auto chain = MakeDefaultCredentialsChain({}, env_.lookup(), unused, clock_, &metadata);
  EXPECT_EQ(chain->Get()->access_key_id, "VIA-METADATA");
  EXPECT_EQ(metadata.requests().size(), 1u);
  EXPECT_TRUE(unused.requests().empty());
  EXPECT_EQ(container_.request_count(), 0);
}

// Captures everything logged at debug level and above while alive.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()), previous_level_(spdlog::get_level()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    spdlog::set_level(spdlog::level::debug);
  }
  ~LogCapture() {
    spdlog::set_default_logger(previous_);
    spdlog::set_level(previous_level_);
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
  std::shared_ptr<spdlog::logger> previous_;
  spdlog::level::level_enum previous_level_;
};

TEST_F(DefaultChainTest, LogsNeverContainSecrets) {
  LogCapture logs;
  // Sources that are skipped, and a refresh that fails while the cached credentials are valid.
  env_.Unset("AWS_ACCESS_KEY_ID");
  env_.Unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  home_.WriteFile(".aws/credentials", "[default]\naws_secret_access_key = " + std::string(kSecret));
  std::atomic<bool> broken{false};
  imds_.set_handler([&](const TestRequest& r) {
    if (r.method == "PUT") return TestResponse::Ok("token");
    if (r.target == "/latest/meta-data/iam/security-credentials/") return TestResponse::Ok("role");
    if (broken) return TestResponse::Status(500, CredentialsJson());
    return TestResponse::Ok(CredentialsJson(FormatIso8601(clock_.Now() + minutes(60), false)));
  });
  auto chain = MakeDefaultCredentialsChain({}, env_.lookup(), http_, clock_);
  ASSERT_TRUE(chain->Get().ok());
  broken = true;
  clock_.Advance(minutes(56));
  Result<Credentials> r = chain->Get();
  ASSERT_TRUE(r.ok()) << "the cached credentials are still valid";
  EXPECT_EQ(r->secret_access_key, kSecret);
  std::string text = logs.text();
  EXPECT_NE(text.find("refresh failed"), std::string::npos) << text;
  EXPECT_NE(text.find("credentials: environment: AWS_ACCESS_KEY_ID is not set"), std::string::npos)
      << text;
  EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
  EXPECT_EQ(text.find(kSessionToken), std::string::npos) << text;
}

TEST_F(DefaultChainTest, RefreshesImdsCredentialsBeforeTheyExpire) {
  env_.Unset("AWS_ACCESS_KEY_ID");
  env_.Unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  home_.WriteFile(".aws/credentials", "");
  std::atomic<int> generation{1};
  imds_.set_handler([&](const TestRequest& r) {
    if (r.method == "PUT") return TestResponse::Ok("token");
    if (r.target == "/latest/meta-data/iam/security-credentials/") return TestResponse::Ok("role");
    // Each generation lives one hour from the fake clock's start.
    int g = generation.load();
    std::string expiry = FormatIso8601(clock_.Now() + std::chrono::hours(1), false);
    return TestResponse::Ok(CredentialsJson(expiry, "GEN" + std::to_string(g)));
  });
  CredentialsOptions options;  // margin 300 s
  auto chain = MakeDefaultCredentialsChain(options, env_.lookup(), http_, clock_);
  EXPECT_EQ(chain->Get()->access_key_id, "GEN1");
  EXPECT_EQ(imds_.request_count(), 3);
  clock_.Advance(minutes(30));
  EXPECT_EQ(chain->Get()->access_key_id, "GEN1");
  EXPECT_EQ(imds_.request_count(), 3) << "cached";
  generation = 2;
  clock_.Advance(minutes(25));  // 5 minutes before expiry
  Result<Credentials> r = chain->Get();
  EXPECT_EQ(r->access_key_id, "GEN2");
  EXPECT_EQ(imds_.request_count(), 6) << "token, role, credentials again";
  EXPECT_EQ(*r->expiration, clock_.Now() + std::chrono::hours(1));
}

}  // namespace
}  // namespace thaw::s3
