// InodeTable: numbering, lookup counts, forget, type changes.
#include "fs/inode_table.h"

#include <gtest/gtest.h>

namespace thaw::fs {
namespace {

Attributes File(uint64_t size) {
  Attributes a;
  a.size = size;
  return a;
}

Attributes Dir() {
  Attributes a;
  a.is_dir = true;
  return a;
}

TEST(InodeTable, RootIsPinned) {
  InodeTable t("pre/");
  auto root = t.Get(kRootIno);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->key, "pre/");
  EXPECT_TRUE(root->attr.is_dir);
  t.Forget(kRootIno, 100);
  EXPECT_TRUE(t.Get(kRootIno));
}

TEST(InodeTable, SameNameKeepsItsNumberWhileLookedUp) {
  InodeTable t("");
  Inode a = t.Lookup(kRootIno, "a", File(1));
  Inode again = t.Lookup(kRootIno, "a", File(2));
  EXPECT_EQ(a.ino, again.ino);
  EXPECT_EQ(again.nlookup, 2u);
  EXPECT_EQ(t.Get(a.ino)->attr.size, 2u);
  Inode b = t.Lookup(kRootIno, "b", File(1));
  EXPECT_NE(a.ino, b.ino);
}

TEST(InodeTable, ForgetErasesAtZero) {
  InodeTable t("");
  Inode a = t.Lookup(kRootIno, "a", File(1));
  t.Lookup(kRootIno, "a", File(1));
  t.Forget(a.ino, 1);
  EXPECT_TRUE(t.Get(a.ino));
  EXPECT_TRUE(t.Find(kRootIno, "a"));
  t.Forget(a.ino, 1);
  EXPECT_FALSE(t.Get(a.ino));
  EXPECT_FALSE(t.Find(kRootIno, "a"));
  // A new lookup gets a new number (numbers are never reused).
  EXPECT_NE(t.Lookup(kRootIno, "a", File(1)).ino, a.ino);
  t.Forget(12345, 1);  // unknown: ignored
}

TEST(InodeTable, TypeChangeMakesANewInode) {
  InodeTable t("");
  Inode f = t.Lookup(kRootIno, "x", File(1));
  Inode d = t.Lookup(kRootIno, "x", Dir());
  EXPECT_NE(f.ino, d.ino);
  EXPECT_TRUE(t.Get(f.ino));  // alive until the kernel forgets it
  EXPECT_EQ(t.Find(kRootIno, "x")->ino, d.ino);
  t.Forget(f.ino, 1);
  EXPECT_FALSE(t.Get(f.ino));
  EXPECT_EQ(t.Find(kRootIno, "x")->ino, d.ino);  // the name still leads to the directory
}

TEST(InodeTable, KeysAreBuiltFromTheParents) {
  InodeTable t("pre/");
  Inode d = t.Lookup(kRootIno, "d", Dir());
  Inode e = t.Lookup(d.ino, "e", Dir());
  Inode f = t.Lookup(e.ino, "f.bin", File(3));
  EXPECT_EQ(d.key, "pre/d/");
  EXPECT_EQ(e.key, "pre/d/e/");
  EXPECT_EQ(f.key, "pre/d/e/f.bin");
  EXPECT_EQ(t.Get(f.ino)->key, "pre/d/e/f.bin");
  EXPECT_EQ(t.FindAttributes(e.ino, "f.bin")->size, 3u);
  // The kernel may forget a directory before the file in it: the file's key still holds.
  t.Forget(d.ino, 1);
  t.Forget(e.ino, 1);
  EXPECT_EQ(t.Get(f.ino)->key, "pre/d/e/f.bin");
  EXPECT_EQ(t.size(), 4u);
  t.Forget(f.ino, 1);  // the last one out takes its unused parents along
  EXPECT_EQ(t.size(), 1u);
}

TEST(InodeTable, DetachedNameGetsANewInode) {
  InodeTable t("");
  Inode a = t.Lookup(kRootIno, "a", File(1));
  t.Detach(kRootIno, "a");
  EXPECT_FALSE(t.Find(kRootIno, "a"));
  EXPECT_TRUE(t.Get(a.ino));  // open files keep it until forgotten
  Inode again = t.Lookup(kRootIno, "a", File(2));
  EXPECT_NE(again.ino, a.ino);
  t.Forget(a.ino, 1);
  EXPECT_EQ(t.Find(kRootIno, "a")->ino, again.ino);
  EXPECT_EQ(t.size(), 2u);
}

TEST(InodeTable, CachedEtagIsSwapped) {
  InodeTable t("");
  Inode a = t.Lookup(kRootIno, "a", File(1));
  EXPECT_EQ(t.SwapCachedEtag(a.ino, "\"d41d8cd98f00b204e9800998ecf8427e\""), "");
  EXPECT_EQ(t.SwapCachedEtag(a.ino, "\"0123456789abcdef0123456789abcdef-3\""),
            "\"d41d8cd98f00b204e9800998ecf8427e\"");
}

TEST(InodeTableDeathTest, ForgetBelowZeroAborts) {
  InodeTable t("");
  Inode a = t.Lookup(kRootIno, "a", File(1));
  EXPECT_DEATH(t.Forget(a.ino, 2), "");
}

}  // namespace
}  // namespace thaw::fs
