// Directory walks: opens in listing order (also slightly out of order, from several threads)
// prefetch the next files, bounded by depth, bytes and what the callback refuses; a jump or a
// new listing drops what was prefetched and not opened; random opens prefetch nothing.
#include "fs/dir_walk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <vector>

namespace thaw::fs {
namespace {

std::shared_ptr<const DirListing> Listing(size_t files, uint64_t size = 256 << 10) {
  auto l = std::make_shared<DirListing>();
  l->prefix = "data/";
  for (size_t i = 0; i < files; ++i) {
    DirEntry e;
    char name[32];
    std::snprintf(name, sizeof(name), "f%05zu", i);
    e.name = name;
    e.attr.size = size;
    l->entries.push_back(e);
  }
  return l;
}

std::string Key(size_t i) {
  char name[40];
  std::snprintf(name, sizeof(name), "data/f%05zu", i);
  return name;
}

class DirWalkTest : public ::testing::Test {
 protected:
  std::vector<std::string> started_;
  std::set<std::string> dropped_;
  size_t refuse_after_ = SIZE_MAX;
  DirWalks walks_{[this](const std::string& key, const DirEntry&, uint64_t) {
                    if (started_.size() >= refuse_after_) return false;
                    started_.push_back(key);
                    return true;
                  },
                  [this](const std::string& key) { dropped_.insert(key); }};
};

TEST_F(DirWalkTest, OpensInListingOrderPrefetchTheNextFilesOnce) {
  auto l = Listing(200);
  for (size_t i = 0; i < static_cast<size_t>(DirWalks::kMinRun); ++i) walks_.OnOpen(l, i);
  EXPECT_TRUE(started_.empty()) << "no walk yet";
  walks_.OnOpen(l, DirWalks::kMinRun);
  ASSERT_EQ(started_.size(), DirWalks::kDepth);
  EXPECT_EQ(started_.front(), Key(DirWalks::kMinRun + 1));
  for (size_t i = DirWalks::kMinRun + 1; i < 100; ++i) walks_.OnOpen(l, i);
  // Each file once, in order, always kDepth past the furthest open.
  ASSERT_EQ(started_.size(), 99 + DirWalks::kDepth - DirWalks::kMinRun);
  for (size_t i = 0; i < started_.size(); ++i)
    EXPECT_EQ(started_[i], Key(DirWalks::kMinRun + 1 + i));
  EXPECT_TRUE(dropped_.count(Key(50)) == 1) << "passed files are let go (a no-op once opened)";
}

TEST_F(DirWalkTest, SixteenThreadsOpeningNeighboursOutOfOrderStillWalk) {
  auto l = Listing(400);
  std::vector<size_t> order(400);
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937 rng(7);
  for (size_t i = 0; i + 16 <= order.size(); i += 16) {
    std::shuffle(order.begin() + i, order.begin() + i + 16, rng);
  }
  for (size_t i : order) walks_.OnOpen(l, i);
  EXPECT_GE(started_.size(), 350u);
  std::set<std::string> unique(started_.begin(), started_.end());
  EXPECT_EQ(unique.size(), started_.size()) << "no file fetched twice";
}

TEST_F(DirWalkTest, RandomOpensPrefetchNothing) {
  auto l = Listing(5000);
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) walks_.OnOpen(l, rng() % 5000);
  EXPECT_LT(started_.size(), 100u);
}

TEST_F(DirWalkTest, AJumpDropsWhatWasNotOpenedAndDepthIsBoundedByBytes) {
  auto l = Listing(300, 4 << 20);  // 4 MiB files: kDepthBytes holds four of them
  for (size_t i = 0; i <= static_cast<size_t>(DirWalks::kMinRun); ++i) walks_.OnOpen(l, i);
  ASSERT_EQ(started_.size(), DirWalks::kDepthBytes / (4 << 20));
  std::vector<std::string> fetched = started_;
  walks_.OnOpen(l, 250);
  for (const auto& k : fetched) EXPECT_EQ(dropped_.count(k), 1u) << k;
}

TEST_F(DirWalkTest, ARefusedPrefetchIsTriedAgainAtTheNextOpen) {
  auto l = Listing(100);
  refuse_after_ = 2;
  for (size_t i = 0; i <= static_cast<size_t>(DirWalks::kMinRun); ++i) walks_.OnOpen(l, i);
  EXPECT_EQ(started_.size(), 2u);
  refuse_after_ = SIZE_MAX;
  walks_.OnOpen(l, DirWalks::kMinRun + 1);
  EXPECT_EQ(started_[2], Key(DirWalks::kMinRun + 3));
}

TEST_F(DirWalkTest, ANewListingStartsOverAndWalksAreBounded) {
  auto l = Listing(100);
  for (size_t i = 0; i <= static_cast<size_t>(DirWalks::kMinRun); ++i) walks_.OnOpen(l, i);
  size_t n = started_.size();
  auto again = Listing(100);
  walks_.OnOpen(again, DirWalks::kMinRun + 1);
  EXPECT_EQ(started_.size(), n) << "indexes of another listing are no walk";
  for (size_t d = 0; d < DirWalks::kMaxWalks + 10; ++d) {
    auto other = std::make_shared<DirListing>(*l);
    other->prefix = "d" + std::to_string(d) + "/";
    walks_.OnOpen(other, 0);
  }
  EXPECT_LE(walks_.walks(), DirWalks::kMaxWalks);
}

}  // namespace
}  // namespace thaw::fs
