// thaw restores a noncurrent archived version by id, end to end against `thaw sim`: lifecycle
// most often sends noncurrent versions to Glacier, and users restore a version by id. The
// version's restore runs and completes on the sim's clock; the current version is untouched.
#include <gtest/gtest.h>

#include "integration/mount_env.h"
#include "integration/thaw_cli.h"
#include "support/boto3.h"

namespace thaw::testing {
namespace {

TEST(SimVersionedRestore, RestoreVersionIdRestoresTheNoncurrentArchivedVersionOnly) {
  SimServer sim({"--time-scale", "36000"});
  TempDir home;
  int rc = -1;
  std::string v1 = RunBoto3(sim.endpoint(),
                            "s3.create_bucket(Bucket='vr-bucket')\n"
                            "s3.put_bucket_versioning(Bucket='vr-bucket',"
                            " VersioningConfiguration={'Status': 'Enabled'})\n"
                            "v = s3.put_object(Bucket='vr-bucket', Key='doc', Body=b'old' * 10,"
                            " StorageClass='GLACIER')['VersionId']\n"
                            "s3.put_object(Bucket='vr-bucket', Key='doc', Body=b'new', "
                            "StorageClass='GLACIER')\n"
                            "print(v, end='')\n",
                            &rc);
  ASSERT_EQ(rc, 0) << v1;
  ThawRun r = RunThaw("restore s3://vr-bucket/doc --version-id " + v1 +
                          " --tier Standard --wait --timeout 2m --json --state-dir " + home.path() +
                          "/state",
                      sim.endpoint(), home.path());
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  ThawRun status =
      RunThaw("status --json --state-dir " + home.path() + "/state", sim.endpoint(), home.path());
  ASSERT_EQ(status.rc, 0) << status.err;
  std::vector<nlohmann::json> journal = JsonLines(status.out);
  ASSERT_EQ(journal.size(), 1u) << status.out;
  EXPECT_EQ(journal[0]["version_id"], v1);  // the journal names the version

  std::string out = RunBoto3(sim.endpoint(),
                             "old = s3.head_object(Bucket='vr-bucket', Key='doc', VersionId='" + v1 +
                                 "')\n"
                                 "cur = s3.head_object(Bucket='vr-bucket', Key='doc')\n"
                                 "print(old.get('Restore'))\n"
                                 "print(cur.get('Restore'))\n"
                                 "print(s3.get_object(Bucket='vr-bucket', Key='doc', VersionId='" +
                                 v1 + "')['Body'].read().decode())\n",
                             &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ongoing-request=\"false\""), std::string::npos) << out;
  EXPECT_NE(out.find("\nNone\n"), std::string::npos) << out;  // the current version: no restore
  EXPECT_NE(out.find("oldoldold"), std::string::npos) << out;
}

// The events path: a failed GET of an archived noncurrent version by id reaches the sim's
// CloudTrail output with its versionId, and `thaw scan` restores that version, not the key.
TEST(SimVersionedRestore, ScanOfAFailedVersionedGetRestoresThatVersion) {
  TempDir home;
  std::string events = home.path() + "/events";
  SimServer sim({"--time-scale", "3600", "--events-dir", events});
  int rc = -1;
  std::string v1 = RunBoto3(sim.endpoint(),
                            "s3.create_bucket(Bucket='vs-bucket')\n"
                            "s3.put_bucket_versioning(Bucket='vs-bucket',"
                            " VersioningConfiguration={'Status': 'Enabled'})\n"
                            "v = s3.put_object(Bucket='vs-bucket', Key='data', Body=b'old',"
                            " StorageClass='GLACIER')['VersionId']\n"
                            "s3.put_object(Bucket='vs-bucket', Key='data', Body=b'new')\n"
                            "try:\n"
                            "    s3.get_object(Bucket='vs-bucket', Key='data', VersionId=v)\n"
                            "except s3.exceptions.ClientError as e:\n"
                            "    assert e.response['Error']['Code'] == 'InvalidObjectState'\n"
                            "print(v, end='')\n",
                            &rc);
  ASSERT_EQ(rc, 0) << v1;
  ASSERT_TRUE(PollFor(
      [&] {
        std::string out;
        RunCommand("grep -c InvalidObjectState " + events + "/eventbridge.jsonl", &out);
        return !out.empty() && out != "0\n";
      },
      30000));
  std::string state = home.path() + "/state";
  ThawRun scan =
      RunThaw("scan " + events + " --json --state-dir " + state, sim.endpoint(), home.path());
  ASSERT_EQ(scan.rc, 0) << scan.out << scan.err;
  ThawRun status = RunThaw("status --json --state-dir " + state, sim.endpoint(), home.path());
  ASSERT_EQ(status.rc, 0) << status.err;
  std::vector<nlohmann::json> journal = JsonLines(status.out);
  ASSERT_EQ(journal.size(), 1u) << status.out;
  EXPECT_EQ(journal[0]["key"], "data");
  EXPECT_EQ(journal[0]["version_id"], v1);
  std::string out = RunBoto3(sim.endpoint(),
                             "print(s3.head_object(Bucket='vs-bucket', Key='data', VersionId='" + v1 +
                                 "').get('Restore') is not None)\n",
                             &rc);
  EXPECT_EQ(out, "True\n");
}

}  // namespace
}  // namespace thaw::testing
