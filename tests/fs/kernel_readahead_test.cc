#include "fs/kernel_readahead.h"

#include <gtest/gtest.h>

namespace thaw::fs {
namespace {

constexpr const char* kMountinfo =
    "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "40 22 0:39 / /tmp/mnt rw,nosuid,nodev,relatime shared:20 - fuse.thaw thaw:b rw,user_id=0\n"
    "41 22 0:40 / /tmp/with\\040space rw shared:21 - fuse.thaw thaw:c rw\n"
    "42 40 0:41 / /tmp/mnt rw shared:22 - fuse.thaw thaw:d rw\n"
    "43 22 0:42 / /tmp/back\\134slash rw shared:23 - tmpfs tmpfs rw\n";

TEST(MountDeviceId, FindsTheMountAtAPath) {
  EXPECT_EQ(MountDeviceId(kMountinfo, "/").value_or(""), "254:1");
}

TEST(MountDeviceId, TheNewestMountOnAPathWins) {
  // A mount over an older one at the same place is listed later.
  EXPECT_EQ(MountDeviceId(kMountinfo, "/tmp/mnt").value_or(""), "0:41");
}

TEST(MountDeviceId, UnescapesOctalInMountPoints) {
  EXPECT_EQ(MountDeviceId(kMountinfo, "/tmp/with space").value_or(""), "0:40");
  EXPECT_EQ(MountDeviceId(kMountinfo, "/tmp/back\\slash").value_or(""), "0:42");
  EXPECT_FALSE(MountDeviceId(kMountinfo, "/tmp/with\\040space").has_value());
}

TEST(MountDeviceId, MissingOrMalformedGivesNothing) {
  EXPECT_FALSE(MountDeviceId(kMountinfo, "/tmp/other").has_value());
  EXPECT_FALSE(MountDeviceId("", "/").has_value());
  EXPECT_FALSE(MountDeviceId("garbage\n1 2\n\n", "2").has_value());
  EXPECT_FALSE(MountDeviceId("1 2 nocolon / /x rw\n", "/x").has_value());
  EXPECT_FALSE(MountDeviceId("1 2 3:4 /", "/").has_value());
}

}  // namespace
}  // namespace thaw::fs
