// Tests for the AWS shared-file ini dialect (ParseIniText, ParseIniFile, ProfileSection) and
// LoadProfile's merge of the config and credentials files.
#include <gtest/gtest.h>

#include "s3/credentials.h"
#include "s3/credentials_test_util.h"
#include "support/test_env.h"

namespace thaw::s3 {
namespace {

using credtest::FakeEnv;
using credtest::kSecret;
using thaw::testing::TempDir;

IniFile Parse(std::string_view text) {
  Result<IniFile> r = ParseIniText(text, "test.ini");
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : IniFile{};
}

// The message of the error parsing `text` gives, which must be InvalidArgument.
std::string ParseError(std::string_view text) {
  Result<IniFile> r = ParseIniText(text, "test.ini");
  EXPECT_FALSE(r.ok());
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  return r.status().message();
}

TEST(ParseIniText, SectionsKeysAndComments) {
  IniFile f = Parse(
      "# a comment\n"
      "; another\n"
      "[default]\n"
      "region = eu-west-1\n"
      "   # an indented comment\n"
      "\n"
      "output=json\n"
      "[profile dev]\n"
      "region   =   us-east-2   \n");
  ASSERT_EQ(f.sections.size(), 2u);
  EXPECT_EQ(f.sections["default"]["region"], "eu-west-1");
  EXPECT_EQ(f.sections["default"]["output"], "json");
  EXPECT_EQ(f.sections["default"].size(), 2u);
  EXPECT_EQ(f.sections["profile dev"]["region"], "us-east-2");
}

TEST(ParseIniText, ValuesKeepEqualsColonsAndHashes) {
  IniFile f = Parse(
      "[s]\n"
      "endpoint_url = http://localhost:9000/?a=b\n"
      "secret = abc=def#not-a-comment\n"
      "colon: value with = inside\n");
  EXPECT_EQ(f.sections["s"]["endpoint_url"], "http://localhost:9000/?a=b");
  EXPECT_EQ(f.sections["s"]["secret"], "abc=def#not-a-comment");
  EXPECT_EQ(f.sections["s"]["colon"], "value with = inside");
}

TEST(ParseIniText, KeyNamesAreLowerCasedAndEmptyValuesKept) {
  IniFile f = Parse("[s]\nAWS_Access_Key_ID = AKIA\nempty =\n");
  EXPECT_EQ(f.sections["s"]["aws_access_key_id"], "AKIA");
  ASSERT_EQ(f.sections["s"].count("empty"), 1u);
  EXPECT_EQ(f.sections["s"]["empty"], "");
}

TEST(ParseIniText, IndentedBlockAfterEmptyValueIsASubSection) {
  IniFile f = Parse(
      "[profile x]\n"
      "s3 =\n"
      "  endpoint_url = http://x:9000\n"
      "  addressing_style=path\n"
      "\n"
      "    signature_version = s3v4\n"
      "region = us-west-2\n");
  auto& s = f.sections["profile x"];
  EXPECT_EQ(s["s3.endpoint_url"], "http://x:9000");
  EXPECT_EQ(s["s3.addressing_style"], "path");
  EXPECT_EQ(s["s3.signature_version"], "s3v4");
  EXPECT_EQ(s["region"], "us-west-2");
  EXPECT_EQ(s.count("s3"), 0u) << "the parent is only a prefix";
}

TEST(ParseIniText, IndentedLineAfterAValueContinuesIt) {
  IniFile f = Parse("[s]\n  note = first\n      second\n");
  EXPECT_EQ(f.sections["s"]["note"], "first\nsecond");
}

TEST(ParseIniText, IndentedKeyRightAfterAHeaderIsAnOrdinaryKey) {
  IniFile f = Parse("[s]\n   region = x\n   output = y\n");
  EXPECT_EQ(f.sections["s"]["region"], "x");
  EXPECT_EQ(f.sections["s"]["output"], "y");
}

TEST(ParseIniText, CrLfByteOrderMarkAndSpacesInHeaders) {
  IniFile f = Parse("\xEF\xBB\xBF[profile   a]\r\nregion = r\r\n[ b ]\r\n");
  EXPECT_EQ(f.sections["profile a"]["region"], "r");
  EXPECT_EQ(f.sections.count("b"), 1u);
}

TEST(ParseIniText, EmptyTextHasNoSections) {
  EXPECT_TRUE(Parse("").sections.empty());
  EXPECT_TRUE(Parse("\n# only a comment\n\n").sections.empty());
}

TEST(ParseIniText, MalformedLinesNameFileAndLine) {
  EXPECT_EQ(ParseError("[s]\nregion us-east-1\n"),
            "test.ini:2: expected 'key = value' or '[section]'");
  EXPECT_EQ(ParseError("region = x\n"), "test.ini:1: key 'region' comes before any [section]");
  EXPECT_EQ(ParseError("[s]\n\n[broken\n"), "test.ini:3: a section header must end with ']'");
  EXPECT_EQ(ParseError("[ ]\n"), "test.ini:1: empty section name");
  EXPECT_EQ(ParseError("[s]\n = x\n"), "test.ini:2: a key name is missing before '='");
  EXPECT_EQ(ParseError("[s]\ns3 =\n  no_equals_here\n"),
            "test.ini:3: expected 'name = value' in the sub-section of key 's3'");
}

TEST(ParseIniText, DuplicatesAreErrorsAsForTheAwsCli) {
  EXPECT_EQ(ParseError("[a]\nk = 1\n[a]\n"), "test.ini:3: duplicate section [a]");
  EXPECT_EQ(ParseError("[a]\nk = 1\nK = 2\n"), "test.ini:3: duplicate key 'k' in [a]");
  // The same key in different sections is fine.
  EXPECT_EQ(Parse("[a]\nk = 1\n[b]\nk = 2\n").sections["b"]["k"], "2");
}

TEST(ParseIniText, ErrorsNeverQuoteTheOffendingLine) {
  std::string msg = ParseError(std::string("[default]\naws_secret_access_key ") + kSecret + "\n");
  EXPECT_EQ(msg.find(kSecret), std::string::npos) << msg;
  // A secret with a ':' parses as a "key" outside any section: still not quoted.
  msg = ParseError(std::string(kSecret) + ":tail\n");
  EXPECT_EQ(msg.find("wjalrxutnfemi"), std::string::npos) << msg;
  EXPECT_EQ(msg, "test.ini:1: a key comes before any [section]");
}

TEST(ParseIniFile, MissingFileIsNotFoundAndDirectoryIsInvalid) {
  TempDir dir;
  Result<IniFile> missing = ParseIniFile(dir.path() + "/nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  Result<IniFile> directory = ParseIniFile(dir.path());
  EXPECT_EQ(directory.status().code(), StatusCode::kInvalidArgument);
}

TEST(ParseIniFile, ErrorsCarryThePath) {
  TempDir dir;
  std::string path = dir.WriteFile("config", "[default]\nregion = a\n\nbad line\n");
  Result<IniFile> r = ParseIniFile(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), path + ":4: expected 'key = value' or '[section]'");
}

TEST(ProfileSection, ConfigFileNaming) {
  IniFile f = Parse("[default]\nregion = d\n[profile dev]\nregion = p\n[dev]\nregion = wrong\n");
  ASSERT_NE(ProfileSection(f, "default"), nullptr);
  EXPECT_EQ(ProfileSection(f, "default")->at("region"), "d");
  ASSERT_NE(ProfileSection(f, "dev"), nullptr);
  EXPECT_EQ(ProfileSection(f, "dev")->at("region"), "p");
  EXPECT_EQ(ProfileSection(f, "prod"), nullptr);
  // [profile default] is accepted too, and preferred.
  IniFile g = Parse("[default]\nregion = plain\n[profile default]\nregion = prefixed\n");
  EXPECT_EQ(ProfileSection(g, "default")->at("region"), "prefixed");
}

class LoadProfileTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.Set("HOME", home_.path()); }
  void WriteCredentials(const std::string& text) { home_.WriteFile(".aws/credentials", text); }
  void WriteConfig(const std::string& text) { home_.WriteFile(".aws/config", text); }

  TempDir home_;
  FakeEnv env_;
};

TEST_F(LoadProfileTest, MergesBothFilesCredentialsFileWinning) {
  WriteConfig(
      "[profile dev]\nregion = eu-central-1\nmax_attempts = 7\nca_bundle = /etc/ca.pem\n"
      "s3 =\n  endpoint_url = http://minio:9000\naws_access_key_id = FROMCONFIG\n");
  WriteCredentials("[dev]\naws_access_key_id = FROMCREDS\nendpoint_url = http://top\n");
  Result<ProfileSettings> p = LoadProfile("dev", env_.lookup());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->Get("region"), "eu-central-1");
  EXPECT_EQ(p->Get("max_attempts"), "7");
  EXPECT_EQ(p->Get("ca_bundle"), "/etc/ca.pem");
  EXPECT_EQ(p->Get("s3.endpoint_url"), "http://minio:9000");
  EXPECT_EQ(p->Get("endpoint_url"), "http://top");
  EXPECT_EQ(p->Get("aws_access_key_id"), "FROMCREDS");
  EXPECT_EQ(p->Get("absent"), "");
}

TEST_F(LoadProfileTest, NameFromAwsProfileThenDefault) {
  WriteConfig("[default]\nregion = d\n[profile env]\nregion = e\n[profile arg]\nregion = a\n");
  EXPECT_EQ(LoadProfile("", env_.lookup())->Get("region"), "d");
  env_.Set("AWS_PROFILE", "env");
  EXPECT_EQ(LoadProfile("", env_.lookup())->Get("region"), "e");
  EXPECT_EQ(LoadProfile("arg", env_.lookup())->Get("region"), "a");
}

TEST_F(LoadProfileTest, MissingProfileIsNotFoundExceptDefault) {
  Result<ProfileSettings> def = LoadProfile("", env_.lookup());
  ASSERT_TRUE(def.ok()) << def.status().ToString();
  EXPECT_TRUE(def->values.empty());
  WriteConfig("[profile other]\nregion = x\n");
  Result<ProfileSettings> named = LoadProfile("prod", env_.lookup());
  EXPECT_EQ(named.status().code(), StatusCode::kNotFound);
  EXPECT_NE(named.status().message().find("'prod'"), std::string::npos);
}

TEST_F(LoadProfileTest, FileLocationsFromEnvironmentWithTilde) {
  home_.WriteFile("elsewhere/creds", "[default]\nregion = from-creds-env\n");
  home_.WriteFile("elsewhere/conf", "[default]\noutput = from-config-env\n");
  WriteConfig("[default]\noutput = ignored\n");
  env_.Set("AWS_SHARED_CREDENTIALS_FILE", "~/elsewhere/creds");
  env_.Set("AWS_CONFIG_FILE", home_.path() + "/elsewhere/conf");
  Result<ProfileSettings> p = LoadProfile("", env_.lookup());
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->Get("region"), "from-creds-env");
  EXPECT_EQ(p->Get("output"), "from-config-env");
}

TEST_F(LoadProfileTest, ParseErrorsPropagate) {
  WriteConfig("[default]\nregion = x\noops\n");
  Result<ProfileSettings> p = LoadProfile("", env_.lookup());
  EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(p.status().message().find(".aws/config:3:"), std::string::npos) << p.status().message();
}

}  // namespace
}  // namespace thaw::s3
