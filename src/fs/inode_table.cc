// Inode numbering and lookup counting for the mount (see inode_table.h).
#include "fs/inode_table.h"

#include <spdlog/spdlog.h>

#include <cstdlib>

namespace thaw::fs {

InodeTable::InodeTable(std::string root_prefix) {
  Inode root;
  root.ino = kRootIno;
  root.parent = kRootIno;
  root.key = std::move(root_prefix);
  root.attr.is_dir = true;
  root.attr.mtime = Clock::Real().Now();
  root.nlookup = 1;  // pinned: the kernel never forgets the root
  inodes_.emplace(kRootIno, std::move(root));
}

Inode InodeTable::Lookup(fuse_ino_t parent, const std::string& name, const std::string& key,
                         const Attributes& attr) {
  std::lock_guard lock(mu_);
  auto it = by_name_.find({parent, name});
  if (it != by_name_.end()) {
    Inode& inode = inodes_.at(it->second);
    // A file replaced by a directory of the same name (or the reverse) is a new inode: the
    // kernel must not see a type change on a number it holds.
    if (inode.attr.is_dir == attr.is_dir) {
      inode.key = key;
      inode.attr = attr;
      ++inode.nlookup;
      return inode;
    }
    by_name_.erase(it);  // the old inode lives on until forgotten, unreachable by name
  }
  Inode inode;
  inode.ino = next_ino_++;
  inode.parent = parent;
  inode.name = name;
  inode.key = key;
  inode.attr = attr;
  inode.nlookup = 1;
  by_name_[{parent, name}] = inode.ino;
  inodes_.emplace(inode.ino, inode);
  return inode;
}

void InodeTable::Forget(fuse_ino_t ino, uint64_t n) {
  if (ino == kRootIno) return;
  std::lock_guard lock(mu_);
  auto it = inodes_.find(ino);
  if (it == inodes_.end()) return;
  Inode& inode = it->second;
  if (n > inode.nlookup) {
    spdlog::critical("forget of {} lookups on inode {} holding {}", n, ino, inode.nlookup);
    std::abort();
  }
  inode.nlookup -= n;
  if (inode.nlookup > 0) return;
  auto name_it = by_name_.find({inode.parent, inode.name});
  if (name_it != by_name_.end() && name_it->second == ino) by_name_.erase(name_it);
  inodes_.erase(it);
}

std::optional<Inode> InodeTable::Get(fuse_ino_t ino) const {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(ino);
  if (it == inodes_.end()) return std::nullopt;
  return it->second;
}

std::optional<Inode> InodeTable::Find(fuse_ino_t parent, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = by_name_.find({parent, name});
  if (it == by_name_.end()) return std::nullopt;
  return inodes_.at(it->second);
}

void InodeTable::Update(fuse_ino_t ino, const Attributes& attr) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(ino);
  if (it != inodes_.end() && it->second.attr.is_dir == attr.is_dir) it->second.attr = attr;
}

std::string InodeTable::SwapCachedEtag(fuse_ino_t ino, const std::string& etag) {
  std::lock_guard lock(mu_);
  auto it = inodes_.find(ino);
  if (it == inodes_.end()) return "";
  std::string before = std::move(it->second.cached_etag);
  it->second.cached_etag = etag;
  return before;
}

size_t InodeTable::size() const {
  std::lock_guard lock(mu_);
  return inodes_.size();
}

}  // namespace thaw::fs
