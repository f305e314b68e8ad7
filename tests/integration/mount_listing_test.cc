// A directory larger than one ListObjectsV2 page read through a real FUSE mount while its
// pages arrive slowly (the sim answers every listing after 700 ms): entries of the first page
// are served before the last page was even asked for, and readdir offsets stay consistent
// (rewinddir and seekdir see the same entries, each once; a directory wins over a file of the
// same name).
#include <dirent.h>
#include <sys/stat.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "integration/mount_env.h"

namespace thaw::testing {
namespace {

constexpr char kBucket[] = "listing";

class MountListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = MakeTestClient(sim_.endpoint());
    ASSERT_TRUE(client_->CreateBucket(kBucket).ok());
  }
  int Lists(size_t from) const {
    std::string log = sim_.Log();
    int n = 0;
    const std::string needle = std::string(" ListObjectsV2 ") + kBucket + "/";
    for (size_t at = log.find(needle, from); at != std::string::npos;
         at = log.find(needle, at + 1)) {
      ++n;
    }
    return n;
  }

  SimServer sim_{{"--log-level", "debug", "--faults", "op=ListObjectsV2,latency=700ms"}};
  std::unique_ptr<s3::S3Client> client_;
};

struct Entry {
  std::string name;
  unsigned char type;
  long next;  // telldir after reading it
};

std::vector<Entry> ReadAllEntries(DIR* d) {
  std::vector<Entry> out;
  while (dirent* e = readdir(d)) out.push_back({e->d_name, e->d_type, telldir(d)});
  return out;
}

TEST_F(MountListingTest, FirstPageIsServedWhileLaterPagesArriveAndOffsetsHold) {
  constexpr int kFiles = 2050;  // three pages of 1,000
  for (int i = 0; i < kFiles; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "flat/f%05d", i);
    Put(*client_, kBucket, key, std::string(static_cast<size_t>(i % 7), 'x'));
  }
  // `f00500` is a file and a directory: the directory wins, shown once.
  Put(*client_, kBucket, "flat/f00500/child", "c");
  MountProcess mount(sim_.endpoint(), std::string("s3://") + kBucket);
  ASSERT_TRUE(mount.mounted()) << mount.Log();
  struct stat st;
  ASSERT_EQ(stat((mount.path() + "/flat").c_str(), &st), 0);  // the root's listing, not counted
  const size_t mark = sim_.Log().size();

  DIR* d = opendir((mount.path() + "/flat").c_str());
  ASSERT_NE(d, nullptr);
  std::vector<Entry> first;
  for (int i = 0; i < 300; ++i) {
    dirent* e = readdir(d);
    ASSERT_NE(e, nullptr);
    first.push_back({e->d_name, e->d_type, telldir(d)});
  }
  // Each page takes 700 ms and the third is asked for only after the second: the entries
  // above came from the first page.
  EXPECT_LT(Lists(mark), 3) << sim_.Log().substr(mark);

  std::vector<Entry> rest = ReadAllEntries(d);
  std::vector<Entry> all = first;
  all.insert(all.end(), rest.begin(), rest.end());
  EXPECT_EQ(Lists(mark), 3) << sim_.Log().substr(mark);
  std::set<std::string> names;
  for (const Entry& e : all) EXPECT_TRUE(names.insert(e.name).second) << "twice: " << e.name;
  EXPECT_EQ(all.size(), static_cast<size_t>(kFiles + 2));  // and "." and ".."
  for (int i = 0; i < kFiles; i += 97) {
    char name[16];
    std::snprintf(name, sizeof(name), "f%05d", i);
    EXPECT_EQ(names.count(name), 1u) << name;
  }
  for (const Entry& e : all) {
    if (e.name == "f00500") {
      EXPECT_EQ(e.type, DT_DIR);
    }
  }

  // rewinddir: the same entries in the same order (the open directory keeps its listing).
  rewinddir(d);
  std::vector<Entry> again = ReadAllEntries(d);
  ASSERT_EQ(again.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) ASSERT_EQ(again[i].name, all[i].name) << i;
  // seekdir to a position telldir gave during the first pass continues after that entry.
  seekdir(d, first[150].next);
  dirent* e = readdir(d);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(std::string(e->d_name), all[151].name);
  seekdir(d, all[1500].next);
  e = readdir(d);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(std::string(e->d_name), all[1501].name);
  closedir(d);
  EXPECT_EQ(Lists(mark), 3) << "listed again: " << sim_.Log().substr(mark);

  ASSERT_EQ(stat((mount.path() + "/flat/f00500").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  ASSERT_EQ(stat((mount.path() + "/flat/f02049").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 2049 % 7);
}

}  // namespace
}  // namespace thaw::testing
