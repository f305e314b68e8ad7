// thaw sim as faithful as S3 where it answers and honest where it does not, checked with
// clients we did not write (boto3, raw signed requests built from botocore's model) and, in
// the same test, against moto_server as a second server we did not write either.
#include <gtest/gtest.h>

#include "sim/sim_harness.h"

namespace thaw::testing {
namespace {

// Runs tests/sim/py/<script> against `endpoint` (any server); expects exit 0.
std::string RunPyAt(const std::string& endpoint, const std::string& script,
                    const std::string& args = "") {
  std::string out;
  int rc = RunCommand(
      "python3 " + SourceDir() + "/tests/sim/py/" + script + " " + endpoint + " " + args + " 2>&1",
      &out);
  EXPECT_EQ(rc, 0) << endpoint << "\n" << out;
  return out;
}

TEST(SimRouting, EveryOperationOfTheModelIsImplementedOrNamedInA501) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  std::string out = RunPyAt(sim.endpoint(), "subresources.py", moto.endpoint());
  // The three wrong answers this table replaced.
  EXPECT_NE(out.find("ListObjectVersions"), std::string::npos) << out;
  EXPECT_NE(out.find("PutBucketVersioning"), std::string::npos) << out;
  EXPECT_NE(out.find("operations walked"), std::string::npos) << out;
}

TEST(SimXml, WhitespaceInKeysSurvivesPutListCopyDeleteObjectsOnSimAndMoto) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  RunPyAt(sim.endpoint(), "whitespace_keys.py");
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  RunPyAt(moto.endpoint(), "whitespace_keys.py", "--moto");  // less what moto gets wrong
}

TEST(SimFidelity, ResponseOverridesBucketPagingConditionalWritesAndKeyLimitAsOnMoto) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  RunPyAt(sim.endpoint(), "fidelity_misc.py");
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  RunPyAt(moto.endpoint(), "fidelity_misc.py", "--moto");  // less what moto lacks
}

TEST(SimFidelity, PartNumbersVersionPrefixesOwnerUtf8MetadataAndAnonymousAsOnMoto) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  RunPyAt(sim.endpoint(), "fidelity_more.py");
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  RunPyAt(moto.endpoint(), "fidelity_more.py", "--moto");  // less what moto lacks
}

TEST(SimFidelity, MultipartCompositeAndFullObjectChecksumsAsOnMoto) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  RunPyAt(sim.endpoint(), "mp_checksums.py");
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  RunPyAt(moto.endpoint(), "mp_checksums.py", "--moto");  // less what moto lacks
}

TEST(SimFidelity, RacingConditionalWritesHaveOneWinnerAndA409ForAWriteDuringTheUpload) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  RunPyAt(sim.endpoint(), "conditional_race.py");
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  RunPyAt(moto.endpoint(), "conditional_race.py", "--moto");  // moto answers 412, not 409
}

TEST(SimVersioning, VersionsDeleteMarkersAndPagedListingsAsOnMoto) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  RunPyAt(sim.endpoint(), "versioning.py");
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  RunPyAt(moto.endpoint(), "versioning.py");
}

TEST(SimVersioning, VersionsSurviveARestartOfTheSim) {
  TempDir dir;
  std::string v1;
  {
    Sim sim(dir.path() + "/data");
    ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
    v1 = Boto(sim,
              "s3.create_bucket(Bucket='keep')\n"
              "s3.put_bucket_versioning(Bucket='keep',"
              " VersioningConfiguration={'Status': 'Enabled'})\n"
              "v = s3.put_object(Bucket='keep', Key='k', Body=b'one')['VersionId']\n"
              "s3.put_object(Bucket='keep', Key='k', Body=b'two')\n"
              "print(v, end='')\n");
    EXPECT_EQ(sim.Stop(), 0) << sim.Log();
  }
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  EXPECT_EQ(Boto(sim, "print(s3.get_object(Bucket='keep', Key='k', VersionId='" + v1 +
                          "')['Body'].read().decode())\n"
                          "print(s3.get_bucket_versioning(Bucket='keep')['Status'])\n"),
            "one\nEnabled\n");
}

TEST(SimVersioning, NoncurrentVersionsTransitionRestoreAndExpireOnTheSimClock) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  RunPyAt(sim.endpoint(), "lifecycle_noncurrent.py");
  MotoServer moto;
  ASSERT_TRUE(moto.ok());
  RunPyAt(moto.endpoint(), "lifecycle_noncurrent.py", "--moto");  // the configuration only
}

// A version that lifecycle sent to GLACIER is restored by `thaw restore --version-id` (our
// client, against the sim, with the rule set by boto3).
TEST(SimVersioning, ThawRestoresAVersionThatLifecycleSentToGlacier) {
  TempDir dir;
  Sim sim(dir.path() + "/data", {"--time-scale", "36000"});
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string v1 = Boto(
      sim,
      "import time\n"
      "s3.create_bucket(Bucket='nc-restore')\n"
      "s3.put_bucket_versioning(Bucket='nc-restore',"
      " VersioningConfiguration={'Status': 'Enabled'})\n"
      "s3.put_bucket_lifecycle_configuration(Bucket='nc-restore', LifecycleConfiguration={"
      "'Rules': [{'ID': 'nc', 'Status': 'Enabled', 'Filter': {'Prefix': ''},"
      " 'NoncurrentVersionTransitions': [{'NoncurrentDays': 1, 'StorageClass': 'GLACIER'}]}]})\n"
      "v = s3.put_object(Bucket='nc-restore', Key='doc', Body=b'old')['VersionId']\n"
      "s3.put_object(Bucket='nc-restore', Key='doc', Body=b'new')\n"
      "for _ in range(100):\n"  // a sim day is 2.4 s here
      "    if s3.head_object(Bucket='nc-restore', Key='doc', VersionId=v)"
      ".get('StorageClass') == 'GLACIER':\n"
      "        break\n"
      "    time.sleep(0.2)\n"
      "print(v, end='')\n");
  ASSERT_EQ(v1.size(), 32u) << v1;
  std::string home = dir.path() + "/home";
  std::string out;
  int rc = RunCommand(
      "env AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_CONFIG_FILE=/nonexistent "
      "AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_EC2_METADATA_DISABLED=true XDG_STATE_HOME= "
      "XDG_CONFIG_HOME= HOME=" +
          home + " " + ThawBinary() + " restore s3://nc-restore/doc --version-id " + v1 +
          " --tier Standard --wait --timeout 2m --state-dir " + home + "/state --endpoint-url " +
          sim.endpoint() + " 2>&1",
      &out);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(
      Boto(sim, "v = '" + v1 +
                    "'\n"
                    "h = s3.head_object(Bucket='nc-restore', Key='doc', VersionId=v)\n"
                    "print(h['StorageClass'], 'ongoing-request=\"false\"' in h['Restore'])\n"
                    "print(s3.get_object(Bucket='nc-restore', Key='doc', VersionId=v)"
                    "['Body'].read().decode())\n"
                    "print(s3.head_object(Bucket='nc-restore', Key='doc').get('StorageClass'))\n"),
      "GLACIER True\nold\nNone\n");
}

}  // namespace
}  // namespace thaw::testing
