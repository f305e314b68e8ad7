// Buckets in regions on `thaw sim`, checked with clients we did not write: boto3 sees S3's
// answers to requests signed for the wrong region (tests/sim/py/regions.py, which also lets
// botocore's own redirector reach a bucket of another region for every operation), and a sim of
// another region (--region) keeps serving clients that sign for us-east-1 as before.
#include <gtest/gtest.h>

#include "sim/sim_harness.h"

namespace thaw::testing {
namespace {

TEST(SimRegions, AnswersAsS3DoesAndBotocoreFollows) {
  TempDir dir;
  Sim sim(dir.path() + "/data");
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  EXPECT_NE(RunPy(sim, "regions.py").find("regions ok"), std::string::npos);
}

TEST(SimRegions, SimOfAnotherRegionStillServesUsEast1Buckets) {
  TempDir dir;
  Sim sim(dir.path() + "/data", {"--region", "eu-central-1"});
  ASSERT_FALSE(sim.endpoint().empty()) << sim.Log();
  EXPECT_NE(sim.Log().find("region eu-central-1"), std::string::npos) << sim.Log();
  // boto3 (us-east-1, no LocationConstraint) makes a us-east-1 bucket and uses it unredirected;
  // a bucket of the sim's own region is made and reached as well.
  std::string out = Boto(sim,
                         "s3.create_bucket(Bucket='plain')\n"
                         "s3.put_object(Bucket='plain', Key='k', Body=b'v')\n"
                         "assert s3.get_object(Bucket='plain', Key='k')['Body'].read() == b'v'\n"
                         "loc = s3.get_bucket_location(Bucket='plain')['LocationConstraint']\n"
                         "assert loc is None, loc\n"
                         "import boto3\n"
                         "from botocore.config import Config\n"
                         "de = boto3.client('s3', endpoint_url=s3.meta.endpoint_url,\n"
                         "    region_name='eu-central-1', aws_access_key_id='testing',\n"
                         "    aws_secret_access_key='testing',\n"
                         "    config=Config(s3={'addressing_style': 'path'}))\n"
                         "de.create_bucket(Bucket='local', CreateBucketConfiguration=\n"
                         "    {'LocationConstraint': 'eu-central-1'})\n"
                         "de.put_object(Bucket='local', Key='k', Body=b'w')\n"
                         "assert s3.get_object(Bucket='local', Key='k')['Body'].read() == b'w'\n"
                         "print('ok')\n");
  EXPECT_NE(out.find("ok"), std::string::npos) << out;
}

}  // namespace
}  // namespace thaw::testing
