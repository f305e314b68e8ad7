// The sim's STS endpoint: its sessions and the SigV4 check that accepts them (unit tests on a
// fake clock), and the running sim seen by boto3 (tests/sim/py/sts.py).
#include <gtest/gtest.h>

#include "common/clock.h"
#include "s3/credentials.h"
#include "s3/sigv4.h"
#include "sim/auth.h"
#include "sim/router.h"
#include "sim/s3_error.h"
#include "sim/store.h"
#include "sim/sts_sessions.h"
#include "sim_harness.h"

namespace thaw::sim {
namespace {

// A GET of /b/k signed with `creds`, as the server would hand it to the authenticator.
Request Signed(const s3::Credentials& creds, Clock& clock) {
  s3::HttpRequest http;
  http.method = "GET";
  http.url = "http://127.0.0.1:9000/b/k";
  http.headers.Set("Host", "127.0.0.1:9000");
  s3::SigningParams sp;
  sp.region = "us-east-1";
  sp.time = clock.Now();
  EXPECT_TRUE(s3::SignRequest(http, creds, sp).ok());
  Request req;
  req.method = "GET";
  req.target = "/b/k";
  req.headers = http.headers;
  EXPECT_TRUE(ParseTarget(req).ok());
  return req;
}

std::string Code(const Result<AuthResult>& r) {
  return r.ok() ? "OK" : ToS3Error(r.status()).code;
}

TEST(SimSts, IssuedCredentialsWorkUntilTheyExpireOnTheSimClock) {
  FakeClock real;
  FakeClock sim_clock(real.Now());
  StsSessions sessions(sim_clock, "123456789012");
  Authenticator auth({"testing", "testing", false}, real, &sessions);
  StsSession s =
      sessions.Issue("arn:aws:iam::210987654321:role/a/reader", "sess", std::chrono::seconds(900));
  EXPECT_EQ(s.access_key.substr(0, 4), "ASIA");
  EXPECT_EQ(s.access_key.size(), 20u);
  EXPECT_EQ(s.assumed_role_arn, "arn:aws:sts::210987654321:assumed-role/reader/sess");
  EXPECT_EQ(s.account_id, "210987654321");
  EXPECT_NE(
      sessions.Issue("arn:aws:iam::210987654321:role/a/reader", "x", std::chrono::seconds(900))
          .secret_key,
      s.secret_key);
  s3::Credentials temp{s.access_key, s.secret_key, s.session_token, std::nullopt, "sts"};
  EXPECT_EQ(Code(auth.Verify(Signed(temp, real))), "OK");
  // The wrong token for the key, a token for the long-term key; no token at all.
  s3::Credentials wrong = temp;
  wrong.session_token = "forged";
  EXPECT_EQ(Code(auth.Verify(Signed(wrong, real))), "InvalidToken");
  s3::Credentials long_term{"testing", "testing", "not-ours", std::nullopt, "x"};
  EXPECT_EQ(Code(auth.Verify(Signed(long_term, real))), "InvalidToken");
  wrong.session_token.clear();
  EXPECT_EQ(Code(auth.Verify(Signed(wrong, real))), "InvalidAccessKeyId");
  // An ASIA key the sim never issued.
  s3::Credentials unknown{"ASIAUNKNOWNUNKNOWN00", "x", "", std::nullopt, "x"};
  EXPECT_EQ(Code(auth.Verify(Signed(unknown, real))), "InvalidAccessKeyId");
  // Expiry is on the sim clock, not the real one that signatures are checked against.
  sim_clock.Advance(std::chrono::seconds(899));
  EXPECT_EQ(Code(auth.Verify(Signed(temp, real))), "OK");
  sim_clock.Advance(std::chrono::seconds(1));
  Result<AuthResult> expired = auth.Verify(Signed(temp, real));
  EXPECT_EQ(Code(expired), "ExpiredToken");
  EXPECT_EQ(ToS3Error(expired.status()).http_status, 400);
  EXPECT_EQ(ToS3Error(expired.status()).message, "The provided token has expired.");
  // The long-term key is unaffected.
  s3::Credentials plain{"testing", "testing", "", std::nullopt, "x"};
  EXPECT_EQ(Code(auth.Verify(Signed(plain, real))), "OK");
}

TEST(SimSts, FormPostsToTheRootAreStsAndEverythingElseIsS3) {
  Request req;
  req.method = "POST";
  req.target = "/";
  req.headers.Set("Host", "127.0.0.1:9000");
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  ASSERT_TRUE(ParseTarget(req).ok());
  EXPECT_EQ(RouteRequest(req)->op, "STS");
  req.target = "/?Action=GetCallerIdentity&Version=2011-06-15";
  req.method = "GET";
  req.headers.Remove("Content-Type");
  ASSERT_TRUE(ParseTarget(req).ok());
  EXPECT_EQ(RouteRequest(req)->op, "STS");
  req.target = "/";
  ASSERT_TRUE(ParseTarget(req).ok());
  EXPECT_EQ(RouteRequest(req)->op, "ListBuckets");
  // A form POST to a bucket is not STS.
  req.method = "POST";
  req.target = "/bucket/key?restore";
  req.headers.Set("Content-Type", "application/x-www-form-urlencoded");
  ASSERT_TRUE(ParseTarget(req).ok());
  EXPECT_EQ(RouteRequest(req)->op, "RestoreObject");
}

TEST(SimSts, SessionsOfADataDirSurviveAReopenUntilADayPastExpiry) {
  testing::TempDir dir;
  FakeClock sim_clock;
  std::string kept_key, old_key;
  {
    auto store = Store::Open(dir.path());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    StsSessions sessions(sim_clock, "123456789012");
    ASSERT_TRUE(sessions.Attach(store->get()).ok());
    old_key = sessions.Issue("arn:aws:iam::1:role/r", "old", std::chrono::seconds(900)).access_key;
    sim_clock.Advance(std::chrono::hours(30));
    StsSession kept =
        sessions.Issue("arn:aws:iam::210987654321:role/reader", "s", std::chrono::seconds(3600));
    kept_key = kept.access_key;
  }
  auto store = Store::Open(dir.path());
  ASSERT_TRUE(store.ok());
  StsSessions reopened(sim_clock, "123456789012");
  ASSERT_TRUE(reopened.Attach(store->get()).ok());
  std::optional<StsSession> found = reopened.Find(kept_key);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->assumed_role_arn, "arn:aws:sts::210987654321:assumed-role/reader/s");
  EXPECT_EQ(found->account_id, "210987654321");
  EXPECT_EQ(found->expiration, sim_clock.Now() + std::chrono::seconds(3600));
  EXPECT_EQ(found->session_token.size(), 320u);
  // Expired for more than a day when the sim started again: forgotten.
  EXPECT_FALSE(reopened.Find(old_key).has_value());
  EXPECT_EQ(reopened.size(), 1u);
}

// Credentials boto3 got from one run of the sim still sign requests after a restart on the same
// --data-dir (AWS does not forget sessions either), and expire on the persisted sim clock.
TEST(SimStsProcess, IssuedCredentialsSurviveARestartOfTheSim) {
  testing::TempDir dir;
  std::string creds;
  {
    testing::Sim sim(dir.path() + "/data");
    ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
    creds = testing::Boto(sim,
                          "s3.create_bucket(Bucket='kept')\n"
                          "sts = boto3.client('sts', endpoint_url='" +
                              sim.endpoint() +
                              "', region_name='us-east-1', aws_access_key_id='testing',"
                              " aws_secret_access_key='testing')\n"
                              "c = sts.assume_role(RoleArn='arn:aws:iam::123456789012:role/reader',"
                              " RoleSessionName='kept', DurationSeconds=3600)['Credentials']\n"
                              "print(c['AccessKeyId'], c['SecretAccessKey'], c['SessionToken'])\n");
    EXPECT_EQ(sim.Stop(), 0);
  }
  std::vector<std::string> parts;
  for (size_t at = 0, sp; at < creds.size(); at = sp + 1) {
    sp = creds.find_first_of(" \n", at);
    if (sp == std::string::npos) sp = creds.size();
    if (sp > at) parts.push_back(creds.substr(at, sp - at));
  }
  ASSERT_EQ(parts.size(), 3u) << creds;
  testing::Sim again(dir.path() + "/data");
  ASSERT_FALSE(again.endpoint().empty()) << again.Log();
  std::string out = testing::Boto(
      again, "temp = boto3.client('s3', endpoint_url='" + again.endpoint() +
                 "', region_name='us-east-1', aws_access_key_id='" + parts[0] +
                 "', aws_secret_access_key='" + parts[1] + "', aws_session_token='" + parts[2] +
                 "', config=Config(s3={'addressing_style': 'path'}))\n"
                 "print(temp.list_objects_v2(Bucket='kept')['KeyCount'])\n");
  EXPECT_EQ(out, "0\n");
}

TEST(SimStsProcess, Boto3AssumesRolesAndUsesTheCredentialsUntilTheyExpire) {
  testing::TempDir dir;
  testing::Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  EXPECT_NE(testing::RunPy(sim, "sts.py").find("ok"), std::string::npos);
}

}  // namespace
}  // namespace thaw::sim
