// Inode numbering and lookup counting for the mount (see inode_table.h).
#include "fs/inode_table.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <functional>
#include <vector>

namespace thaw::fs {
namespace {

size_t HashName(fuse_ino_t parent, std::string_view name) {
  return std::hash<std::string_view>()(name) ^
         (std::hash<fuse_ino_t>()(parent) * 0x9e3779b97f4a7c15ull);
}

}  // namespace

size_t InodeTable::NameHash::operator()(const NameRef& r) const {
  return HashName(r.parent, r.name);
}

size_t InodeTable::NameHash::operator()(fuse_ino_t ino) const {
  const Node& n = nodes->at(ino);
  return HashName(n.parent, n.name);
}

InodeTable::NameRef InodeTable::NameEq::Ref(fuse_ino_t ino) const {
  const Node& n = nodes->at(ino);
  return NameRef{n.parent, n.name};
}

bool InodeTable::NameEq::operator()(const NameRef& a, fuse_ino_t b) const {
  NameRef r = Ref(b);
  return a.parent == r.parent && a.name == r.name;
}

InodeTable::InodeTable(std::string root_prefix)
    : root_prefix_(std::move(root_prefix)), by_name_(16, NameHash{&nodes_}, NameEq{&nodes_}) {
  Node root;
  root.parent = kRootIno;
  root.attr.is_dir = true;
  root.attr.mtime = Clock::Real().Now();
  root.nlookup = 1;  // pinned: the kernel never forgets the root
  nodes_.emplace(kRootIno, std::move(root));
}

std::string InodeTable::KeyOf(fuse_ino_t ino, const Node& node) const {
  // Names from the inode up to (not including) the root; the root's key is the mount prefix.
  std::vector<const Node*> chain;
  for (const Node* n = &node; ino != kRootIno;) {
    chain.push_back(n);
    ino = n->parent;
    auto it = nodes_.find(ino);
    if (it == nodes_.end()) break;  // cannot happen: children keep their parent
    n = &it->second;
  }
  std::string key = root_prefix_;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    key += (*it)->name;
    if ((*it)->attr.is_dir) key += '/';
  }
  return key;
}

Inode InodeTable::Copy(fuse_ino_t ino, const Node& node) const {
  Inode inode;
  inode.ino = ino;
  inode.parent = node.parent;
  inode.name = node.name;
  inode.key = KeyOf(ino, node);
  inode.attr = node.attr;
  inode.nlookup = node.nlookup;
  return inode;
}

Inode InodeTable::Lookup(fuse_ino_t parent, const std::string& name, const Attributes& attr) {
  std::lock_guard lock(mu_);
  fuse_ino_t ino = LookupLocked(parent, name, attr);
  return Copy(ino, nodes_.at(ino));
}

fuse_ino_t InodeTable::LookupIno(fuse_ino_t parent, const std::string& name,
                                 const Attributes& attr) {
  std::lock_guard lock(mu_);
  return LookupLocked(parent, name, attr);
}

fuse_ino_t InodeTable::LookupLocked(fuse_ino_t parent, const std::string& name,
                                    const Attributes& attr) {
  auto it = by_name_.find(NameRef{parent, name});
  if (it != by_name_.end()) {
    fuse_ino_t ino = *it;
    Node& node = nodes_.at(ino);
    // A file replaced by a directory of the same name (or the reverse) is a new inode: the
    // kernel must not see a type change on a number it holds.
    if (node.attr.is_dir == attr.is_dir) {
      node.attr = attr;
      ++node.nlookup;
      return ino;
    }
    by_name_.erase(it);  // the old inode lives on until forgotten, unreachable by name
    if (node.nlookup == 0) EraseUnused(ino);
  }
  fuse_ino_t ino = next_ino_++;
  Node node;
  node.parent = parent;
  node.name = name;
  node.attr = attr;
  node.nlookup = 1;
  auto p = nodes_.find(parent);
  if (p != nodes_.end()) {
    ++p->second.children;
  } else {
    spdlog::warn("mount: lookup of '{}' in unknown inode {}", name, parent);
  }
  nodes_.emplace(ino, std::move(node));
  by_name_.insert(ino);
  return ino;
}

void InodeTable::EraseUnused(fuse_ino_t ino) {
  while (ino != kRootIno) {
    auto it = nodes_.find(ino);
    if (it == nodes_.end() || it->second.nlookup > 0 || it->second.children > 0) return;
    // The index hashes through the node: take the number out while the node still exists.
    auto name_it = by_name_.find(ino);
    if (name_it != by_name_.end()) by_name_.erase(name_it);
    fuse_ino_t parent = it->second.parent;
    nodes_.erase(it);
    cached_etags_.erase(ino);
    auto p = nodes_.find(parent);
    if (p == nodes_.end()) return;
    --p->second.children;
    ino = parent;
  }
}

void InodeTable::Forget(fuse_ino_t ino, uint64_t n) {
  if (ino == kRootIno) return;
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return;
  Node& node = it->second;
  if (n > node.nlookup) {
    spdlog::critical("forget of {} lookups on inode {} holding {}", n, ino, node.nlookup);
    std::abort();
  }
  node.nlookup -= n;
  if (node.nlookup == 0) EraseUnused(ino);
}

std::optional<Inode> InodeTable::Get(fuse_ino_t ino) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return std::nullopt;
  return Copy(ino, it->second);
}

std::optional<Inode> InodeTable::Find(fuse_ino_t parent, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = by_name_.find(NameRef{parent, name});
  if (it == by_name_.end()) return std::nullopt;
  return Copy(*it, nodes_.at(*it));
}

std::optional<Attributes> InodeTable::FindAttributes(fuse_ino_t parent,
                                                     std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = by_name_.find(NameRef{parent, name});
  if (it == by_name_.end()) return std::nullopt;
  return nodes_.at(*it).attr;
}

void InodeTable::Detach(fuse_ino_t parent, const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = by_name_.find(NameRef{parent, name});
  if (it == by_name_.end()) return;
  fuse_ino_t ino = *it;
  by_name_.erase(it);
  if (nodes_.at(ino).nlookup == 0) EraseUnused(ino);
}

void InodeTable::Update(fuse_ino_t ino, const Attributes& attr) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(ino);
  if (it != nodes_.end() && it->second.attr.is_dir == attr.is_dir) it->second.attr = attr;
}

std::string InodeTable::SwapCachedEtag(fuse_ino_t ino, const std::string& etag) {
  std::lock_guard lock(mu_);
  if (nodes_.find(ino) == nodes_.end()) return "";
  Etag& cached = cached_etags_[ino];
  std::string before = cached.str();
  cached = etag;
  return before;
}

size_t InodeTable::size() const {
  std::lock_guard lock(mu_);
  return nodes_.size();
}

}  // namespace thaw::fs
