// Tests for credential_process: small shell scripts written by each test stand in for the
// credential helper; the profile source runs them without a shell of its own.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <sstream>

#include "common/time_format.h"
#include "s3/credentials.h"
#include "s3/credentials_test_util.h"
#include "support/test_env.h"

namespace thaw::s3 {
namespace {

using namespace credtest;  // NOLINT: test helpers
using thaw::testing::TempDir;

std::string ProcessJson(const std::string& key, const std::string& expiration = "") {
  std::string doc = R"({"Version": 1, "AccessKeyId": ")" + key + R"(", "SecretAccessKey": ")" +
                    kSecret + R"(", "SessionToken": ")" + kSessionToken + "\"";
  if (!expiration.empty()) doc += R"(, "Expiration": ")" + expiration + "\"";
  return doc + "}";
}

class CredentialProcessTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.Set("HOME", home_.path()); }

  // Writes an executable script and returns its path.
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = home_.WriteFile(name, "#!/bin/sh\n" + body);
    chmod(path.c_str(), 0700);
    return path;
  }
  void Profile(const std::string& command, const std::string& name = "proc") {
    home_.WriteFile(".aws/config",
                    "[profile " + name + "]\ncredential_process = " + command + "\n");
  }
  Result<Credentials> Get(const std::string& profile = "proc",
                          std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    ProfileProviderOptions options;
    options.clock = &clock_;
    options.process_timeout = timeout;
    return MakeProfileProvider(profile, env_.lookup(), options)->Get();
  }
  void ExpectClearError(const Result<Credentials>& r, const std::string& profile = "proc") {
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().code(), StatusCode::kNotFound) << "must not fall through the chain";
    EXPECT_NE(r.status().message().find("profile '" + profile + "'"), std::string::npos)
        << r.status().ToString();
    EXPECT_NE(r.status().message().find("credential_process"), std::string::npos)
        << r.status().ToString();
    ExpectNoSecrets(r.status(), {kAccessKeyId});
  }

  TempDir home_;
  FakeEnv env_;
  FakeClock clock_;
};

TEST_F(CredentialProcessTest, RunsTheProgramAndReadsItsJson) {
  std::string script =
      Script("creds.sh", "echo '" + ProcessJson(kAccessKeyId, "2030-01-01T00:00:00Z") + "'\n");
  Profile(script);
  Result<Credentials> r = Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, kAccessKeyId);
  EXPECT_EQ(r->secret_access_key, kSecret);
  EXPECT_EQ(r->session_token, kSessionToken);
  ASSERT_TRUE(r->expiration.has_value());
  EXPECT_EQ(*r->expiration, *ParseIso8601("2030-01-01T00:00:00Z"));
  EXPECT_NE(r->source.find("credential_process"), std::string::npos);
}

TEST_F(CredentialProcessTest, ArgumentsAreSplitLikeShlexAndNeverExpanded) {
  // The script fails unless it gets exactly these three words, unexpanded.
  std::string script = Script("dir with space/creds.sh",
                              "[ $# -eq 3 ] && [ \"$1\" = 'two words' ] && [ \"$2\" = '$HOME' ] && "
                              "[ \"$3\" = 'a\"b;c' ] || exit 7\n"
                              "echo '" +
                                  ProcessJson("SPLIT") + "'\n");
  Profile("\"" + script + "\" 'two words' '$HOME' a\\\"b\\;c");
  Result<Credentials> r = Get();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->access_key_id, "SPLIT");
  EXPECT_FALSE(r->expiration.has_value());
  // The program is looked up in PATH like botocore's subprocess call does.
  Profile("sh '" + script + "' 'two words' '$HOME' 'a\"b;c'");
  EXPECT_EQ(Get()->access_key_id, "SPLIT");
}

TEST_F(CredentialProcessTest, NonZeroExitIsAnErrorAndStderrGoesToTheLog) {
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto logger = std::make_shared<spdlog::logger>("test", sink);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(logger);
  std::string script = Script("fail.sh", "echo '" + ProcessJson(kAccessKeyId) +
                                             "'\necho 'token expired, run login' >&2\nexit 3\n");
  Profile(script);
  Result<Credentials> r = Get();
  spdlog::set_default_logger(previous);
  ExpectClearError(r);
  EXPECT_NE(r.status().message().find("exited with status 3"), std::string::npos);
  EXPECT_NE(log.str().find("token expired, run login"), std::string::npos) << log.str();
  EXPECT_NE(log.str().find("proc"), std::string::npos) << log.str();
}

TEST_F(CredentialProcessTest, BadOutputIsOneClearErrorThatQuotesNothing) {
  const std::string secret_json_tail = std::string(R"(, "SecretAccessKey": ")") + kSecret + "\"}";
  for (const std::string& out : {
           std::string("not json ") + kSecret,
           std::string(R"({"Version": 2, "AccessKeyId": ")") + kAccessKeyId + "\"" +
               secret_json_tail,
           std::string(R"({"AccessKeyId": ")") + kAccessKeyId + "\"" + secret_json_tail,
           std::string(R"({"Version": 1)") + secret_json_tail,
           std::string(R"({"Version": 1, "AccessKeyId": ")") + kAccessKeyId +
               R"(", "Expiration": "soon")" + secret_json_tail,
           std::string(""),
       }) {
    SCOPED_TRACE(out);
    home_.WriteFile("out.txt", out);
    Profile(Script("junk.sh", "cat '" + home_.path() + "/out.txt'\n"));
    ExpectClearError(Get());
  }
}

TEST_F(CredentialProcessTest, MissingProgramAndBadQuotingAreErrors) {
  Profile("/nonexistent/helper --flag");
  ExpectClearError(Get());
  Profile("helper 'unterminated");
  ExpectClearError(Get());
}

TEST_F(CredentialProcessTest, AHungProgramIsKilledAfterTheTimeout) {
  std::string marker = home_.path() + "/still-running";
  Profile(Script("hang.sh", "sleep 30; touch '" + marker + "'\n"));
  ProfileProviderOptions options;  // the real clock: the timeout is about real processes
  options.process_timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  Result<Credentials> r = MakeProfileProvider("proc", env_.lookup(), options)->Get();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  ExpectClearError(r);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("did not finish"), std::string::npos);
}

TEST_F(CredentialProcessTest, StaticKeysOfTheCredentialsFileComeFirst) {
  home_.WriteFile(".aws/credentials",
                  "[proc]\naws_access_key_id = STATIC\naws_secret_access_key = s\n");
  Profile("/nonexistent/helper");
  EXPECT_EQ(Get()->access_key_id, "STATIC");
}

TEST_F(CredentialProcessTest, RefreshedBeforeExpirationThroughTheDefaultChain) {
  // Each run prints the next key id (1, 2, ...), expiring an hour after the fake clock's start.
  std::string counter = home_.path() + "/n";
  home_.WriteFile("n", "0");
  std::string expiry = FormatIso8601(clock_.Now() + std::chrono::hours(1));
  Profile(Script("count.sh", "n=$(($(cat '" + counter + "') + 1)); echo $n > '" + counter +
                                 "'\necho '{\"Version\": 1, \"AccessKeyId\": \"KEY'$n'\", "
                                 "\"SecretAccessKey\": \"s\", \"Expiration\": \"" +
                                 expiry + "\"}'\n"));
  CredentialsOptions options;
  options.profile = "proc";
  RecordingTransport http;
  auto chain = MakeDefaultCredentialsChain(options, env_.lookup(), http, clock_);
  EXPECT_EQ(chain->Get()->access_key_id, "KEY1");
  clock_.Advance(std::chrono::minutes(50));
  EXPECT_EQ(chain->Get()->access_key_id, "KEY1") << "cached until the refresh margin";
  clock_.Advance(std::chrono::minutes(6));  // within 5 minutes of Expiration
  EXPECT_EQ(chain->Get()->access_key_id, "KEY2");
  EXPECT_TRUE(http.requests().empty());
}

}  // namespace
}  // namespace thaw::s3
