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

TEST(SimVersioning, NoncurrentLifecycleActionsAreRefusedNotIgnored) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  std::string out = Boto(
      sim,
      "from botocore.exceptions import ClientError\n"
      "s3.create_bucket(Bucket='lc-bucket')\n"
      "try:\n"
      "    s3.put_bucket_lifecycle_configuration(Bucket='lc-bucket', "
      "LifecycleConfiguration={'Rules': [{\n"
      "        'ID': 'nc', 'Status': 'Enabled', 'Filter': {'Prefix': ''},\n"
      "        'NoncurrentVersionTransitions': [{'NoncurrentDays': 30,"
      " 'StorageClass': 'GLACIER'}]}]})\n"
      "    print('accepted')\n"
      "except ClientError as e:\n"
      "    print(e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode'])\n");
  EXPECT_EQ(out, "NotImplemented 501\n");
}

}  // namespace
}  // namespace thaw::testing
