// Directory listings from ListObjectsV2 with delimiter, cached with a TTL (see dir_cache.h).
#include "fs/dir_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>

namespace thaw::fs {
namespace {

// Cached listings beyond this count are dropped when stale, so a walk over a huge tree does
// not keep every directory in memory.
constexpr size_t kMaxCachedListings = 4096;

}  // namespace

const DirEntry* DirListing::Find(const std::string& name) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), name,
                             [](const DirEntry& e, const std::string& n) { return e.name < n; });
  if (it == entries.end() || it->name != name) return nullptr;
  return &*it;
}

std::optional<std::string> EntryName(const std::string& prefix, const std::string& key) {
  if (key.size() <= prefix.size() || key.compare(0, prefix.size(), prefix) != 0) {
    return std::nullopt;  // the directory's own marker, or not inside it
  }
  std::string name = key.substr(prefix.size());
  if (!name.empty() && name.back() == '/') name.pop_back();
  if (name.empty() || name == "." || name == ".." || name.size() > NAME_MAX) return std::nullopt;
  if (name.find('/') != std::string::npos || name.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  return name;
}

DirCache::DirCache(s3::S3Client& client, std::string bucket, Clock& clock,
                   std::chrono::milliseconds ttl)
    : client_(client), bucket_(std::move(bucket)), clock_(clock), ttl_(ttl) {}

bool DirCache::Fresh(const std::string& prefix) const {
  std::lock_guard lock(mu_);
  auto it = listings_.find(prefix);
  return it != listings_.end() && clock_.Now() - it->second->fetched_at < ttl_;
}

Result<std::shared_ptr<const DirListing>> DirCache::List(
    const std::string& prefix, std::optional<std::chrono::milliseconds> max_age) {
  const std::chrono::milliseconds ttl = max_age ? std::min(*max_age, ttl_) : ttl_;
  // Asked for something younger than a moment ago: a caller that waited for another's fetch
  // takes it (that fetch started after the caller asked).
  const Clock::TimePoint asked = clock_.Now();
  std::shared_ptr<std::mutex> loader;
  {
    std::lock_guard lock(mu_);
    auto it = listings_.find(prefix);
    if (it != listings_.end() && asked - it->second->fetched_at < ttl) return it->second;
    auto& slot = loading_[prefix];
    if (!slot) slot = std::make_shared<std::mutex>();
    loader = slot;
  }
  std::lock_guard load_lock(*loader);
  {
    // Someone else may have fetched it while we waited for the loader lock.
    std::lock_guard lock(mu_);
    auto it = listings_.find(prefix);
    if (it != listings_.end() &&
        (clock_.Now() - it->second->fetched_at < ttl || it->second->fetched_at >= asked)) {
      return it->second;
    }
  }
  auto fetched = Fetch(prefix);
  std::lock_guard lock(mu_);
  loading_.erase(prefix);
  if (!fetched.ok()) return fetched.status();
  if (listings_.size() >= kMaxCachedListings) {
    Clock::TimePoint now = clock_.Now();
    std::erase_if(listings_, [&](const auto& kv) { return now - kv.second->fetched_at >= ttl_; });
  }
  listings_[prefix] = *fetched;
  return *fetched;
}

Result<std::shared_ptr<const DirListing>> DirCache::Fetch(const std::string& prefix) {
  auto listing = std::make_shared<DirListing>();
  listing->fetched_at = clock_.Now();
  std::map<std::string, DirEntry> by_name;
  s3::ListObjectsRequest request;
  request.bucket = bucket_;
  request.prefix = prefix;
  request.delimiter = "/";
  // AWS adds RestoreStatus to archived objects' entries (an endpoint that ignores the header,
  // such as moto, leaves it out: the restore state is then unknown until a HEAD).
  request.fetch_restore_status = true;
  while (true) {
    {
      std::lock_guard lock(mu_);
      ++lists_sent_;
    }
    THAW_ASSIGN_OR_RETURN(s3::ListObjectsPage page, client_.ListObjectsV2(request));
    for (const std::string& cp : page.common_prefixes) {
      auto name = EntryName(prefix, cp);
      if (!name) {
        spdlog::debug("mount: skipping prefix '{}' (not a file name)", cp);
        continue;
      }
      DirEntry e;
      e.name = *name;
      e.key = cp;
      e.attr.is_dir = true;
      e.attr.mtime = listing->fetched_at;
      by_name[*name] = std::move(e);  // a directory wins over a file of the same name
    }
    for (const s3::ObjectSummary& o : page.objects) {
      auto name = EntryName(prefix, o.key);
      if (!name || o.key.back() == '/') continue;  // markers: the directory is the prefix
      auto it = by_name.find(*name);
      if (it != by_name.end() && it->second.attr.is_dir) {
        spdlog::debug("mount: object '{}' hidden by a directory of the same name", o.key);
        continue;
      }
      DirEntry e;
      e.name = *name;
      e.key = o.key;
      e.attr.size = o.size;
      e.attr.mtime = o.last_modified;
      e.attr.etag = o.etag;
      e.attr.storage_class = o.storage_class;
      e.attr.restore = o.restore;
      e.attr.fetched_at = listing->fetched_at;
      by_name[*name] = std::move(e);
    }
    if (!page.is_truncated) break;
    if (page.next_continuation_token.empty()) {
      return Status::Unavailable("ListObjectsV2 s3://" + bucket_ + "/" + prefix +
                                 ": truncated page without a continuation token");
    }
    request.continuation_token = page.next_continuation_token;
  }
  listing->entries.reserve(by_name.size());
  for (auto& [name, e] : by_name) listing->entries.push_back(std::move(e));
  return std::shared_ptr<const DirListing>(std::move(listing));
}

void DirCache::Invalidate(const std::string& prefix) {
  std::lock_guard lock(mu_);
  listings_.erase(prefix);
}

void DirCache::Upsert(const std::string& prefix, const DirEntry& entry) {
  std::lock_guard lock(mu_);
  auto it = listings_.find(prefix);
  if (it == listings_.end()) return;
  auto copy = std::make_shared<DirListing>(*it->second);
  auto pos = std::lower_bound(copy->entries.begin(), copy->entries.end(), entry.name,
                              [](const DirEntry& e, const std::string& n) { return e.name < n; });
  if (pos != copy->entries.end() && pos->name == entry.name) {
    *pos = entry;
  } else {
    copy->entries.insert(pos, entry);
  }
  it->second = std::move(copy);
}

void DirCache::Remove(const std::string& prefix, const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = listings_.find(prefix);
  if (it == listings_.end()) return;
  auto copy = std::make_shared<DirListing>(*it->second);
  std::erase_if(copy->entries, [&](const DirEntry& e) { return e.name == name; });
  it->second = std::move(copy);
}

int DirCache::lists_sent() const {
  std::lock_guard lock(mu_);
  return lists_sent_;
}

}  // namespace thaw::fs
