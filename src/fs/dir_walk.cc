// Directory walks and the files to fetch ahead of them (see dir_walk.h).
#include "fs/dir_walk.h"

#include <algorithm>

namespace thaw::fs {

void DirWalks::DropAllLocked(Walk& w) {
  for (const auto& [index, key] : w.fetched) drop_(key);
  w.fetched.clear();
}

void DirWalks::OnOpen(const std::shared_ptr<const DirListing>& listing, size_t index) {
  if (listing == nullptr || index >= listing->entries.size()) return;
  std::lock_guard lock(mu_);
  auto [it, created] = walks_.try_emplace(listing->prefix);
  Walk& w = it->second;
  bool same = !created && w.listing == listing.get();
  if (same && index > w.furthest && index <= w.furthest + kReorder) {
    ++w.run;
    w.furthest = index;
  } else if (!(same && index <= w.furthest && index + kReorder >= w.furthest)) {
    // Not a step of this walk (a new listing, a jump, the first open here): start over.
    DropAllLocked(w);
    w.listing = listing.get();
    w.furthest = index;
    w.run = 0;
    w.ahead_to = index + 1;
  }
  w.last_used = ++uses_;
  // Files the walk went past without opening them were a wrong guess.
  while (!w.fetched.empty() && w.fetched.front().first + kReorder < w.furthest) {
    drop_(w.fetched.front().second);
    w.fetched.pop_front();
  }
  if (w.run >= kMinRun) {
    const auto& entries = listing->entries;
    size_t end = std::min(entries.size(), w.furthest + 1 + kDepth);
    uint64_t ahead = 0;
    w.ahead_to = std::max(w.ahead_to, w.furthest + 1);
    for (size_t i = w.furthest + 1; i < end && ahead < kDepthBytes; ++i) {
      const DirEntry& e = entries[i];
      if (i >= w.ahead_to) {
        if (!e.attr.is_dir) {
          std::string key = listing->KeyOf(e);
          if (!prefetch_(key, e, ahead)) break;
          w.fetched.emplace_back(i, std::move(key));
        }
        w.ahead_to = i + 1;
      }
      if (!e.attr.is_dir) ahead += e.attr.size;
    }
  }
  if (walks_.size() > kMaxWalks) {
    auto oldest = std::min_element(walks_.begin(), walks_.end(), [](const auto& a, const auto& b) {
      return a.second.last_used < b.second.last_used;
    });
    DropAllLocked(oldest->second);
    walks_.erase(oldest);
  }
}

size_t DirWalks::walks() const {
  std::lock_guard lock(mu_);
  return walks_.size();
}

}  // namespace thaw::fs
