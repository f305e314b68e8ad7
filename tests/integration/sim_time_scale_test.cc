// Time runs as fast for the client as for the sim: `thaw sim --time-scale N` announces N in
// x-thaw-time-scale on every answer, and thaw's restore tracker divides its poll schedule by
// it. A GLACIER Standard restore takes 3-5 sim hours, a fifth of a second at 36000x: `thaw
// restore --wait` without --poll-interval must notice it within seconds, where the unscaled
// schedule (first HEAD after 3 real hours) would sit out the whole --timeout.
#include <gtest/gtest.h>

#include <chrono>

#include "integration/mount_env.h"
#include "integration/thaw_cli.h"
#include "support/boto3.h"

namespace thaw::testing {
namespace {

TEST(SimTimeScale, RestoreWaitNoticesCompletionOnTheSimsClockWithoutFlags) {
  SimServer sim({"--time-scale", "36000"});
  TempDir home;
  int rc = -1;
  std::string out =
      RunBoto3(sim.endpoint(),
               "s3.create_bucket(Bucket='ts-bucket')\n"
               "s3.put_object(Bucket='ts-bucket', Key='cold', Body=b'x' * 100,"
               " StorageClass='GLACIER')\n"
               "h = s3.head_object(Bucket='ts-bucket', Key='cold')\n"
               "print(h['ResponseMetadata']['HTTPHeaders'].get('x-thaw-time-scale'))\n",
               &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "36000\n");  // announced to every client (boto3 ignores it)

  auto start = std::chrono::steady_clock::now();
  ThawRun r = RunThaw("restore s3://ts-bucket/cold --tier Standard --wait --timeout 2m --state-dir " +
                          home.path() + "/state",
                      sim.endpoint(), home.path());
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_EQ(r.rc, 0) << r.out << r.err;
  // Generous for a loaded machine; the unscaled first HEAD would come after 3 hours, so a
  // broken scaling runs into the 2-minute --timeout (exit non-zero) long before this matters.
  EXPECT_LT(took, std::chrono::seconds(60)) << r.out << r.err;

  out = RunBoto3(sim.endpoint(),
                 "print(s3.head_object(Bucket='ts-bucket', Key='cold').get('Restore'))\n"
                 "print(len(s3.get_object(Bucket='ts-bucket', Key='cold')['Body'].read()))\n",
                 &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("ongoing-request=\"false\""), std::string::npos) << out;
  EXPECT_NE(out.find("\n100\n"), std::string::npos) << out;
}

TEST(SimTimeScale, ErrorsCarryTheScaleAndAnUnscaledSimAnnouncesOne) {
  SimServer sim;
  int rc = -1;
  std::string out = RunBoto3(sim.endpoint(),
                             "try:\n"
                             "    s3.head_bucket(Bucket='nosuch')\n"
                             "except Exception as e:\n"
                             "    print(e.response['ResponseMetadata']['HTTPHeaders']"
                             ".get('x-thaw-time-scale'))\n",
                             &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "1\n");
}

}  // namespace
}  // namespace thaw::testing
