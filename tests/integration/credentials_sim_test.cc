// Temporary credentials end to end against `thaw sim`, whose STS issues credentials that its S3
// side accepts until they expire on the sim clock: thaw's own chain assuming a role through the
// sim's STS (role_arn + source_profile, and web identity), an IAM Identity Center profile with a
// fake SSO portal handing out sim-issued credentials, an expired SSO login on the command line,
// and a mount that keeps reading while its role credentials expire and refresh many times.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/clock.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "integration/mount_env.h"
#include "integration/thaw_cli.h"
#include "s3/credentials.h"
#include "s3/internal/credential_sources.h"
#include "support/http_test_server.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

constexpr char kRole[] = "arn:aws:iam::123456789012:role/reader";

std::string Sha1Hex(const std::string& s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(s.data(), s.size(), md, &len, EVP_sha1(), nullptr);
  return HexEncode(std::string_view(reinterpret_cast<const char*>(md), len));
}

// "AssumeRole 3" from the sim's GET /_thaw/sts (0 when absent).
int StsCalls(const std::string& endpoint, const std::string& action) {
  std::string out;
  RunCommand(SimAdminCurl() + endpoint + "/_thaw/sts", &out);
  for (const std::string& line : Split(out, '\n')) {
    if (StartsWith(line, action + " ")) return std::stoi(line.substr(action.size() + 1));
  }
  return 0;
}

class CredentialsSimTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sim_ = std::make_unique<SimServer>(sim_args_);
    ASSERT_FALSE(sim_->endpoint().empty()) << sim_->Log();
    auto client = MakeTestClient(sim_->endpoint());
    ASSERT_TRUE(client->CreateBucket("data").ok());
    Put(*client, "data", "hello.txt", "hello from the sim");
  }
  // Runs thaw with no keys in the environment: only what the test's config says.
  ThawRun Run(const std::string& args, const std::string& env = "") {
    std::string cmd =
        "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE "
        "-u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_ENDPOINT_URL "
        "AWS_CONFIG_FILE=" +
        home_.path() + "/.aws/config AWS_SHARED_CREDENTIALS_FILE=" + home_.path() +
        "/.aws/credentials AWS_EC2_METADATA_DISABLED=true XDG_STATE_HOME= XDG_CONFIG_HOME= "
        "HOME=" +
        home_.path() + " " + env + " " + ThawBinary() + " " + args + " 2>" + home_.path() +
        "/stderr";
    ThawRun r;
    r.rc = RunCommand(cmd, &r.out);
    std::ifstream in(home_.path() + "/stderr");
    r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
  }
  std::string Endpoints() const { return "AWS_ENDPOINT_URL_STS=" + sim_->endpoint() + " "; }

  std::vector<std::string> sim_args_;
  TempDir home_;
  std::unique_ptr<SimServer> sim_;
};

TEST_F(CredentialsSimTest, RoleProfileAssumesTheRoleAtTheSimsSts) {
  home_.WriteFile(".aws/config",
                  "[profile base]\naws_access_key_id = testing\naws_secret_access_key = testing\n"
                  "[profile reader]\nrole_arn = " +
                      std::string(kRole) +
                      "\nsource_profile = base\nrole_session_name = cli\n"
                      "duration_seconds = 900\n");
  ThawRun r = Run("ls s3://data/ --profile reader --endpoint-url " + sim_->endpoint(), Endpoints());
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("hello.txt"), std::string::npos) << r.out;
  EXPECT_EQ(StsCalls(sim_->endpoint(), "AssumeRole"), 1);

  // A source profile with keys the sim does not know: STS's refusal, named, exit 1.
  home_.WriteFile(".aws/config",
                  "[profile base]\naws_access_key_id = AKIAUNKNOWN\naws_secret_access_key = x\n"
                  "[profile reader]\nrole_arn = " +
                      std::string(kRole) + "\nsource_profile = base\n");
  r = Run("ls s3://data/ --profile reader --endpoint-url " + sim_->endpoint(), Endpoints());
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_NE(r.err.find("InvalidClientTokenId"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("profile 'reader'"), std::string::npos) << r.err;
}

TEST_F(CredentialsSimTest, WebIdentityWithOneEndpointVariableForEverything) {
  // AWS_ENDPOINT_URL alone sends S3 and STS to the sim: no thaw-specific flag.
  std::string token = home_.WriteFile("token", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwb2QifQ.sig\n");
  home_.WriteFile(".aws/config", "[default]\nregion = us-east-1\n");
  ThawRun r =
      Run("ls s3://data/", "AWS_ENDPOINT_URL=" + sim_->endpoint() + " AWS_ROLE_ARN=" + kRole +
                               " AWS_WEB_IDENTITY_TOKEN_FILE=" + token);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("hello.txt"), std::string::npos) << r.out;
  EXPECT_EQ(StsCalls(sim_->endpoint(), "AssumeRoleWithWebIdentity"), 1);
}

// An SSO portal that hands out credentials the sim's STS issued (so the sim accepts them) to a
// caller presenting the expected bearer token.
class SsoPortal {
 public:
  SsoPortal(const std::string& sim_endpoint, std::string bearer)
      : bearer_(std::move(bearer)), server_([this, sim_endpoint](const TestRequest& r) {
          if (r.Header("x-amz-sso_bearer_token") != bearer_) {
            TestResponse resp =
                TestResponse::Status(401, R"({"message":"Session token not found or invalid"})");
            resp.headers.push_back({"x-amzn-ErrorType", "UnauthorizedException"});
            return resp;
          }
          ++calls_;
          return TestResponse::Ok(MintCredentials(sim_endpoint));
        }) {}
  std::string url() const { return server_.url(); }
  int calls() const { return calls_; }
  std::vector<TestRequest> requests() const { return server_.requests(); }

 private:
  // AssumeRole at the sim with its long-term key, as the portal would with its own.
  static std::string MintCredentials(const std::string& sim_endpoint) {
    auto http = s3::MakeCurlTransport();
    s3::Credentials base;
    base.access_key_id = "testing";
    base.secret_access_key = "testing";
    s3::internal::StsEndpoint ep{sim_endpoint, "us-east-1"};
    s3::internal::AssumeRoleParams p;
    p.role_arn = "arn:aws:iam::111122223333:role/AWSReservedSSO_ReadOnly_0123";
    p.session_name = "someone@example.com";
    Result<s3::Credentials> c = s3::internal::StsAssumeRole(*http, ep, Clock::Real(), base, p);
    if (!c.ok()) return "{}";
    int64_t ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(c->expiration->time_since_epoch())
            .count();
    return nlohmann::json{{"roleCredentials",
                           {{"accessKeyId", c->access_key_id},
                            {"secretAccessKey", c->secret_access_key},
                            {"sessionToken", c->session_token},
                            {"expiration", ms}}}}
        .dump();
  }

  std::string bearer_;
  std::atomic<int> calls_{0};
  HttpTestServer server_;
};

TEST_F(CredentialsSimTest, SsoProfileListsTheBucketWithCredentialsFromThePortal) {
  SsoPortal portal(sim_->endpoint(), "sso-access-token-secret");
  home_.WriteFile(".aws/config",
                  "[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\n"
                  "sso_role_name = ReadOnly\nregion = us-east-1\n"
                  "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n"
                  "sso_region = eu-west-1\n");
  auto expires = FormatIso8601(Clock::Real().Now() + std::chrono::hours(8), false);
  home_.WriteFile(".aws/sso/cache/" + Sha1Hex("corp") + ".json",
                  R"({"startUrl":"https://corp.awsapps.com/start","region":"eu-west-1",)"
                  R"("accessToken":"sso-access-token-secret","expiresAt":")" +
                      expires + "\"}");
  std::string env = "AWS_ENDPOINT_URL_SSO=" + portal.url() + " ";
  ThawRun r = Run("ls s3://data/ --profile dev --endpoint-url " + sim_->endpoint(), env);
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("hello.txt"), std::string::npos) << r.out;
  ASSERT_EQ(portal.calls(), 1);
  EXPECT_EQ(portal.requests()[0].target,
            "/federation/credentials?account_id=111122223333&role_name=ReadOnly");

  // The login expired: one clear line saying what to do, exit 1, nothing secret.
  home_.WriteFile(
      ".aws/sso/cache/" + Sha1Hex("corp") + ".json",
      R"({"accessToken":"sso-access-token-secret","expiresAt":"2020-01-01T00:00:00Z"})");
  r = Run("ls s3://data/ --profile dev --endpoint-url " + sim_->endpoint(), env);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("run aws sso login --profile dev"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("sso-access-token-secret"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(portal.calls(), 1) << "an expired token is not sent to the portal";

  // Never logged in at all.
  RunCommand("rm -rf " + home_.path() + "/.aws/sso");
  r = Run("ls s3://data/ --profile dev --endpoint-url " + sim_->endpoint(), env);
  EXPECT_EQ(r.rc, 1);
  EXPECT_NE(r.err.find("run aws sso login --profile dev"), std::string::npos) << r.err;
}

// The issue's bad input, on the command line: a missing source profile, a source_profile cycle,
// a token file that does not exist, a credential_process printing junk. Each is one error line
// naming the profile and the key, exit 1, and nothing was asked of S3 or STS (no restore
// requested).
TEST_F(CredentialsSimTest, BadProfilesAreOneClearErrorExitOneAndNoPartialWork) {
  auto client = MakeTestClient(sim_->endpoint());
  Put(*client, "data", "cold.bin", "archived", "GLACIER");
  std::string junk = home_.WriteFile("junk.sh", "#!/bin/sh\necho 'this is not json'\n");
  RunCommand("chmod +x " + junk);
  home_.WriteFile(".aws/config", "[profile gone]\nrole_arn = " + std::string(kRole) +
                                     "\nsource_profile = nowhere\n"
                                     "[profile a]\nrole_arn = " +
                                     kRole +
                                     "\nsource_profile = b\n[profile b]\nrole_arn = " + kRole +
                                     "\nsource_profile = a\n"
                                     "[profile pod]\nrole_arn = " +
                                     kRole + "\nweb_identity_token_file = " + home_.path() +
                                     "/no-such-token\n"
                                     "[profile proc]\ncredential_process = " +
                                     junk + "\n");
  struct Case {
    const char* profile;
    std::vector<std::string> says;
  };
  for (const Case& c : {Case{"gone", {"profile 'gone'", "source_profile 'nowhere'"}},
                        Case{"a", {"profile 'a'", "source_profile loop: a -> b -> a"}},
                        Case{"pod", {"profile 'pod'", "web_identity_token_file", "no-such-token"}},
                        Case{"proc", {"profile 'proc'", "credential_process"}}}) {
    SCOPED_TRACE(c.profile);
    std::string state = home_.path() + "/state-" + c.profile;
    ThawRun r = Run("restore s3://data/cold.bin --state-dir " + state + " --profile " + c.profile +
                        " --endpoint-url " + sim_->endpoint(),
                    Endpoints());
    EXPECT_EQ(r.rc, 1) << r.err;
    for (const std::string& part : c.says) {
      EXPECT_NE(r.err.find(part), std::string::npos) << part << " in: " << r.err;
    }
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    auto head = client->HeadObject({"data", "cold.bin", ""});
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->restore.state, s3::RestoreStatus::State::kNone);
  }
  EXPECT_EQ(StsCalls(sim_->endpoint(), "AssumeRole"), 0);
}

// The sim runs 600 times faster than real time: a 900-second role session lasts 1.5 real
// seconds. A mount reading files for several seconds outlives many sessions; every read must
// succeed, and the sim must have issued several of them (the mount refreshed ahead of expiry).
class CredentialsRefreshMountTest : public CredentialsSimTest {
 protected:
  CredentialsRefreshMountTest() { sim_args_ = {"--time-scale", "600"}; }
};

TEST_F(CredentialsRefreshMountTest, ReadsNeverFailWhileRoleCredentialsExpireAndRefresh) {
  auto client = MakeTestClient(sim_->endpoint());
  constexpr int kFiles = 48;
  for (int i = 0; i < kFiles; ++i) {
    Put(*client, "data", "f" + std::to_string(i), RandomBytes(64 * 1024 + i, i));
  }
  std::string config =
      home_.WriteFile(".aws/config",
                      "[profile base]\naws_access_key_id = testing\naws_secret_access_key = "
                      "testing\n[profile reader]\nrole_arn = " +
                          std::string(kRole) + "\nsource_profile = base\nduration_seconds = 900\n");
  MountProcess mount(sim_->endpoint(), "s3://data", {"--profile", "reader"}, "",
                     {{"AWS_CONFIG_FILE", config},
                      {"AWS_ENDPOINT_URL_STS", sim_->endpoint()},
                      {"AWS_ACCESS_KEY_ID", ""},
                      {"AWS_SECRET_ACCESS_KEY", ""}});
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  int first = StsCalls(sim_->endpoint(), "AssumeRole");
  EXPECT_GE(first, 1);
  // Each file is read once (no page cache help), one every 150 ms: about 7 s, some 4-5 expiries.
  int failed = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kFiles; ++i) {
    std::string got = ReadAll(mount.path() + "/f" + std::to_string(i));
    if (got != RandomBytes(64 * 1024 + i, i)) {
      ++failed;
      ADD_FAILURE() << "f" << i << " read " << got.size() << " bytes";
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(failed, 0);
  int calls = StsCalls(sim_->endpoint(), "AssumeRole");
  // One session lasts 1.5 s: reading for `seconds` needed at least seconds / 1.5 of them.
  EXPECT_GE(calls, static_cast<int>(seconds / 1.5)) << "over " << seconds << " s";
  EXPECT_GE(calls, 3);
  // Refreshed ahead of expiry: no request was refused for an expired token.
  EXPECT_EQ(mount.Log().find("ExpiredToken"), std::string::npos) << mount.Log();
}

// Many threads signing through one chain, in process, against the sim's STS: the first fetch is
// one AssumeRole for all of them, and while 1.5-second sessions expire and refresh under load
// the sim sees about one AssumeRole per half-life, not one per thread (the refresh is shared;
// the others keep signing with the live credentials, tests/s3/credentials_test.cc proves they do
// not wait), and no request is refused.
TEST_F(CredentialsRefreshMountTest, ConcurrentCallersTriggerOneAssumeRolePerRefresh) {
  std::string config =
      home_.WriteFile(".aws/config",
                      "[profile base]\naws_access_key_id = testing\naws_secret_access_key = "
                      "testing\n[profile reader]\nrole_arn = " +
                          std::string(kRole) + "\nsource_profile = base\nduration_seconds = 900\n");
  std::map<std::string, std::string> vars = {{"AWS_CONFIG_FILE", config},
                                             {"AWS_SHARED_CREDENTIALS_FILE", "/nonexistent"},
                                             {"AWS_EC2_METADATA_DISABLED", "true"},
                                             {"HOME", home_.path()},
                                             {"AWS_ENDPOINT_URL_STS", sim_->endpoint()}};
  s3::EnvLookup env = [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  auto http = s3::MakeCurlTransport();
  s3::CredentialsOptions options;
  options.profile = "reader";
  options.region = "us-east-1";
  auto chain = s3::MakeDefaultCredentialsChain(options, env, *http, Clock::Real());
  ASSERT_NE(chain, nullptr);
  s3::CredentialsProvider* provider = chain.get();

  constexpr int kThreads = 12;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] { ok += provider->Get().ok() ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, kThreads);
  EXPECT_EQ(StsCalls(sim_->endpoint(), "AssumeRole"), 1);

  s3::ClientConfig cc;
  cc.region = "us-east-1";
  cc.endpoint_url = sim_->endpoint();
  cc.force_path_style = true;
  auto client = s3::MakeHttpClient(cc, std::move(chain));
  std::atomic<int> heads{0}, failed{0};
  auto start = std::chrono::steady_clock::now();
  auto until = start + std::chrono::seconds(4);
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      while (std::chrono::steady_clock::now() < until) {
        auto head = client->HeadObject({"data", "hello.txt", ""});
        ++heads;
        if (!head.ok()) {
          if (++failed == 1) ADD_FAILURE() << head.status().ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int calls = StsCalls(sim_->endpoint(), "AssumeRole");
  EXPECT_EQ(failed, 0) << "of " << heads;
  EXPECT_GT(heads, kThreads * 4);
  // A session lasts 1.5 s and is refreshed at half-life: about seconds / 0.75 refreshes in all.
  // A refresh per thread would be kThreads times as many.
  EXPECT_GE(calls, static_cast<int>(seconds / 1.5)) << "over " << seconds << " s";
  EXPECT_LE(calls, static_cast<int>(seconds / 0.75 * 2) + 3) << "over " << seconds << " s";
}

}  // namespace
}  // namespace thaw::testing
