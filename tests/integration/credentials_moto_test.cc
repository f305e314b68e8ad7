// The credential sources that come from a profile, end to end through the `thaw` binary: assume
// role through moto's STS (with moto checking signatures and IAM policies, so S3 answers only
// to the role's temporary credentials), web identity from the environment, credential_process,
// and what a broken source looks like on the command line.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <regex>

#include "integration/thaw_cli.h"
#include "support/boto3.h"
#include "support/process.h"
#include "support/test_env.h"

namespace thaw::testing {
namespace {

constexpr char kRole[] = "arn:aws:iam::123456789012:role/reader";

class CredentialsMotoTest : public ::testing::Test {
 protected:
  // Runs thaw with only what the test gives: no keys in the environment, the test's config.
  ThawRun Run(const std::string& args, const std::string& env = "") {
    std::string cmd =
        "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN "
        "-u AWS_PROFILE -u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE "
        "AWS_CONFIG_FILE=" +
        home_.path() +
        "/config "
        "AWS_SHARED_CREDENTIALS_FILE=" +
        home_.path() +
        "/credentials "
        "AWS_EC2_METADATA_DISABLED=true XDG_STATE_HOME= XDG_CONFIG_HOME= HOME=" +
        home_.path() + " AWS_ENDPOINT_URL_STS=" + moto_->endpoint() + " " + env + " " +
        ThawBinary() + " " + args + " --endpoint-url " + moto_->endpoint() + " 2>" + home_.path() +
        "/stderr";
    ThawRun r;
    r.rc = RunCommand(cmd, &r.out);
    std::ifstream in(home_.path() + "/stderr");
    r.err.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
  }
  void StartMoto(const std::map<std::string, std::string>& env = {}) {
    moto_ = std::make_unique<MotoServer>(env);
    ASSERT_TRUE(moto_->ok()) << moto_->log_path();
  }
  std::string Script(const std::string& name, const std::string& body) {
    std::string path = home_.WriteFile(name, "#!/bin/sh\n" + body);
    chmod(path.c_str(), 0700);
    return path;
  }
  std::string MotoLog() const {
    std::ifstream in(moto_->log_path());
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  TempDir home_;
  std::unique_ptr<MotoServer> moto_;
};

TEST_F(CredentialsMotoTest, AssumeRoleThroughASourceProfile) {
  // The first 7 requests (the setup below) are free; after that moto checks every signature and
  // the caller's IAM policies: the user may only assume the role, the role may read S3.
  StartMoto({{"INITIAL_NO_AUTH_ACTION_COUNT", "7"}});
  int rc = 0;
  std::string out = RunBoto3(
      moto_->endpoint(),
      "import json\n"
      "iam = boto3.client('iam', endpoint_url='" +
          moto_->endpoint() +
          "', region_name='us-east-1',"
          " aws_access_key_id='testing', aws_secret_access_key='testing')\n"
          "iam.create_user(UserName='dev')\n"
          "k = iam.create_access_key(UserName='dev')['AccessKey']\n"
          "iam.put_user_policy(UserName='dev', PolicyName='p', PolicyDocument=json.dumps({"
          "'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 'sts:AssumeRole',"
          " 'Resource': '*'}]}))\n"
          "iam.create_role(RoleName='reader', AssumeRolePolicyDocument=json.dumps({"
          "'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'AWS': '*'},"
          " 'Action': 'sts:AssumeRole'}]}))\n"
          "iam.put_role_policy(RoleName='reader', PolicyName='s3', PolicyDocument=json.dumps({"
          "'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:*',"
          " 'Resource': '*'}]}))\n"
          "s3.create_bucket(Bucket='creds-bucket')\n"
          "s3.put_object(Bucket='creds-bucket', Key='role-only.txt', Body=b'x')\n"
          "print('KEY', k['AccessKeyId'], k['SecretAccessKey'])\n",
      &rc);
  ASSERT_EQ(rc, 0) << out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("KEY (\\S+) (\\S+)"))) << out;
  std::string key = m[1], secret = m[2];
  home_.WriteFile("credentials", "[dev]\naws_access_key_id = " + key +
                                     "\naws_secret_access_key = " + secret + "\n");
  home_.WriteFile("config", std::string("[profile app]\nrole_arn = ") + kRole +
                                "\nsource_profile = dev\nregion = us-east-1\n");

  // --recursive: moto's verifier mis-computes signatures of query values holding '/', such as
  // the delimiter of a plain ls (see MotoSignatures in s3_client_moto_test.cc).
  ThawRun r = Run("ls s3://creds-bucket --recursive --profile app --log-level debug");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("role-only.txt"), std::string::npos) << r.out << r.err;
  EXPECT_NE(r.err.find("using profile app"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find(secret), std::string::npos) << "secret in the log";
  // The user's own keys are refused by S3: the listing above came through the role.
  ThawRun direct = Run("ls s3://creds-bucket --recursive --profile dev");
  EXPECT_NE(direct.rc, 0) << direct.out;
  // No STS, no listing.
  ThawRun no_sts = Run("ls s3://creds-bucket --recursive --profile app",
                       "AWS_ENDPOINT_URL_STS=http://127.0.0.1:1");
  EXPECT_NE(no_sts.rc, 0);
  EXPECT_NE(no_sts.err.find("profile 'app'"), std::string::npos) << no_sts.err;
  EXPECT_NE(no_sts.err.find(kRole), std::string::npos) << no_sts.err;
}

class CredentialsMotoOpenTest : public CredentialsMotoTest {
 protected:
  void SetUp() override {
    StartMoto();
    int rc = 0;
    std::string out = RunBoto3(moto_->endpoint(),
                               "s3.create_bucket(Bucket='creds-bucket')\ns3.put_object(Bucket='"
                               "creds-bucket', Key='k.txt', Body=b'x')\n",
                               &rc);
    ASSERT_EQ(rc, 0) << out;
  }
};

TEST_F(CredentialsMotoOpenTest, WebIdentityFromTheEnvironment) {
  std::string token = home_.WriteFile("token", "eyJ.web-token.sig");
  ThawRun r = Run("ls s3://creds-bucket --log-level debug",
                  std::string("AWS_ROLE_ARN=") + kRole + " AWS_WEB_IDENTITY_TOKEN_FILE=" + token);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("k.txt"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("using profile default"), std::string::npos) << r.err;
  EXPECT_NE(MotoLog().find("\"POST / HTTP/1.1\" 200"), std::string::npos) << "no STS call";
  EXPECT_EQ(r.err.find("web-token"), std::string::npos);
  // Missing token file: a clear error, exit non-zero.
  r = Run("ls s3://creds-bucket", std::string("AWS_ROLE_ARN=") + kRole +
                                      " AWS_WEB_IDENTITY_TOKEN_FILE=" + home_.path() + "/gone");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find(home_.path() + "/gone"), std::string::npos) << r.err;
}

TEST_F(CredentialsMotoOpenTest, CredentialProcess) {
  std::string good =
      Script("good.sh",
             "echo '{\"Version\": 1, \"AccessKeyId\": \"AKIDPROC\", \"SecretAccessKey\": "
             "\"pr0cS3cret\", \"SessionToken\": \"tok3n\", \"Expiration\": "
             "\"2099-01-01T00:00:00Z\"}'\n");
  std::string junk = Script("junk.sh", "echo 'oops pr0cS3cret'\necho 'helper says hi' >&2\n");
  home_.WriteFile("config", "[profile proc]\ncredential_process = " + good +
                                "\n[profile broken]\ncredential_process = " + junk + "\n");
  ThawRun r = Run("ls s3://creds-bucket --profile proc --log-level debug");
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("k.txt"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("pr0cS3cret"), std::string::npos) << r.err;

  r = Run("ls s3://creds-bucket --profile broken");
  EXPECT_NE(r.rc, 0);
  EXPECT_NE(r.err.find("profile 'broken'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("credential_process"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("helper says hi"), std::string::npos) << "stderr goes to the log";
  EXPECT_EQ(r.err.find("pr0cS3cret"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace thaw::testing
