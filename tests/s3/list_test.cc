// ObjectLister: when a listing alone tells an object's restore state (list.h), against the
// mock, which checks optional attribute names as S3 does.
#include "s3/list.h"

#include <gtest/gtest.h>

#include "common/clock.h"
#include "s3/mock_client.h"

namespace thaw::s3 {
namespace {

class ListerTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  MockS3Client s3_{clock_};
};

TEST_F(ListerTest, ProbeTrustsMissingRestoreStatusOnAnEndpointThatChecksNames) {
  s3_.AddObject("b", "cold/a", "a", "GLACIER");
  s3_.AddObject("b", "cold/b", "b", "DEEP_ARCHIVE");
  s3_.AddObject("b", "cold/c", "c");
  ObjectLister lister(s3_, {.bucket = "b", .prefix = "cold/"});
  ListObjectsPage page;
  ASSERT_TRUE(*lister.Next(&page));
  ASSERT_EQ(page.objects.size(), 3u);
  // No entry carried RestoreStatus (nothing was restored): the lister asked once.
  EXPECT_TRUE(lister.restore_status_seen());
  for (const ObjectSummary& o : page.objects) EXPECT_TRUE(lister.Complete(o)) << o.key;
  EXPECT_EQ(s3_.Count(Operation::kList), 2);
  EXPECT_FALSE(*lister.Next(&page));
  EXPECT_EQ(s3_.Count(Operation::kList), 2);
}

TEST_F(ListerTest, NoProbeWhenThePageAnswersItself) {
  s3_.AddObject("b", "hot/a", "a");
  s3_.AddObject("b", "it/a", "a", "INTELLIGENT_TIERING");
  ObjectLister lister(s3_, {.bucket = "b"});
  ListObjectsPage page;
  ASSERT_TRUE(*lister.Next(&page));
  EXPECT_EQ(s3_.Count(Operation::kList), 1);
  EXPECT_TRUE(lister.Complete(page.objects[0]));   // readable
  EXPECT_FALSE(lister.Complete(page.objects[1]));  // Intelligent-Tiering: the tier needs a HEAD
}

TEST_F(ListerTest, ProbeErrorLeavesTheQuestionOpen) {
  s3_.AddObject("b", "cold/a", "a", "GLACIER");
  int lists = 0;
  s3_.SetHook([&](Operation op) {
    if (op == Operation::kList && ++lists == 2) s3_.FailNext(op, 500, "InternalError", 1);
  });
  ObjectLister lister(s3_, {.bucket = "b"});
  ListObjectsPage page;
  ASSERT_TRUE(*lister.Next(&page));  // the page arrives; the probe after it fails
  EXPECT_EQ(lists, 2);
  EXPECT_FALSE(lister.restore_status_seen());
  EXPECT_FALSE(lister.Complete(page.objects[0]));  // the caller HEADs
}

TEST_F(ListerTest, ProbeAnswersDirectly) {
  s3_.AddObject("b", "k", "v", "GLACIER");
  auto carried = ListingsCarryRestoreStatus(s3_, "b");
  ASSERT_TRUE(carried.ok()) << carried.status().ToString();
  EXPECT_TRUE(*carried);
  s3_.FailNext(Operation::kList, 500, "InternalError", 1);
  EXPECT_FALSE(ListingsCarryRestoreStatus(s3_, "b").ok());
  EXPECT_FALSE(ListingsCarryRestoreStatus(s3_, "nope").ok());  // NoSuchBucket, not an answer
}

TEST(KnownOptionalObjectAttributes, OnlyRestoreStatus) {
  EXPECT_TRUE(KnownOptionalObjectAttributes("RestoreStatus"));
  EXPECT_TRUE(KnownOptionalObjectAttributes("RestoreStatus, RestoreStatus"));
  EXPECT_FALSE(KnownOptionalObjectAttributes("Owner"));
  EXPECT_FALSE(KnownOptionalObjectAttributes("RestoreStatus,Owner"));
  EXPECT_FALSE(KnownOptionalObjectAttributes("restorestatus"));
}

}  // namespace
}  // namespace thaw::s3
