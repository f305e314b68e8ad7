// Directory listings from ListObjectsV2 with delimiter, cached with a TTL (see dir_cache.h).
#include "fs/dir_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>

namespace thaw::fs {
namespace {

// Cached listings beyond this count are dropped when stale, so a walk over a huge tree of
// small directories does not keep every directory in memory either.
constexpr size_t kMaxCachedListings = 4096;

}  // namespace

const DirEntry* DirListing::Find(std::string_view name) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), name,
                             [](const DirEntry& e, std::string_view n) { return e.name < n; });
  if (it == entries.end() || it->name != name) return nullptr;
  return &*it;
}

std::string DirListing::KeyOf(const DirEntry& e) const {
  std::string key;
  key.reserve(prefix.size() + e.name.size() + 1);
  key += prefix;
  key += e.name;
  if (e.attr.is_dir) key += '/';
  return key;
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
                   std::chrono::milliseconds ttl, size_t max_cached_entries)
    : client_(client),
      bucket_(std::move(bucket)),
      clock_(clock),
      ttl_(ttl),
      max_cached_entries_(max_cached_entries) {}

bool DirCache::Fresh(const std::string& prefix) const {
  std::lock_guard lock(mu_);
  auto it = listings_.find(prefix);
  return it != listings_.end() && clock_.Now() - it->second.listing->fetched_at < ttl_;
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
    if (it != listings_.end() && asked - it->second.listing->fetched_at < ttl) {
      it->second.last_used = ++use_counter_;
      return it->second.listing;
    }
    auto& slot = loading_[prefix];
    if (!slot) slot = std::make_shared<std::mutex>();
    loader = slot;
  }
  std::lock_guard load_lock(*loader);
  {
    // Someone else may have fetched it while we waited for the loader lock.
    std::lock_guard lock(mu_);
    auto it = listings_.find(prefix);
    if (it != listings_.end() && (clock_.Now() - it->second.listing->fetched_at < ttl ||
                                  it->second.listing->fetched_at >= asked)) {
      it->second.last_used = ++use_counter_;
      return it->second.listing;
    }
  }
  auto fetched = Fetch(prefix);
  std::lock_guard lock(mu_);
  loading_.erase(prefix);
  if (!fetched.ok()) return fetched.status();
  Store(prefix, *fetched);
  return *fetched;
}

void DirCache::Drop(std::map<std::string, Cached>::iterator it) {
  cached_entries_ -= it->second.listing->entries.size();
  listings_.erase(it);
}

void DirCache::Store(const std::string& prefix, std::shared_ptr<const DirListing> listing) {
  if (auto old = listings_.find(prefix); old != listings_.end()) Drop(old);
  size_t n = listing->entries.size();
  if (n > max_cached_entries_) {
    spdlog::debug("mount: listing of '{}' ({} entries) not cached (budget {})", prefix, n,
                  max_cached_entries_);
    return;
  }
  if (listings_.size() >= kMaxCachedListings) {
    Clock::TimePoint now = clock_.Now();
    for (auto it = listings_.begin(); it != listings_.end();) {
      auto next = std::next(it);
      if (now - it->second.listing->fetched_at >= ttl_) Drop(it);
      it = next;
    }
  }
  // Least recently used first, until the new one fits.
  while (cached_entries_ + n > max_cached_entries_ && !listings_.empty()) {
    auto lru = std::min_element(
        listings_.begin(), listings_.end(),
        [](const auto& a, const auto& b) { return a.second.last_used < b.second.last_used; });
    Drop(lru);
  }
  cached_entries_ += n;
  listings_[prefix] = Cached{std::move(listing), ++use_counter_};
}

Result<std::shared_ptr<const DirListing>> DirCache::Fetch(const std::string& prefix) {
  auto listing = std::make_shared<DirListing>();
  listing->prefix = prefix;
  listing->fetched_at = clock_.Now();
  // Collected as listed, then sorted by name: a map would cost a node per entry, and names
  // are not in key order (`a-b` < `a/` as keys, `a` < `a-b` as names).
  std::vector<DirEntry>& entries = listing->entries;
  s3::ListObjectsRequest request;
  request.bucket = bucket_;
  request.prefix = prefix;
  request.delimiter = "/";
  // AWS adds RestoreStatus to archived objects' entries (an endpoint that ignores the header,
  // such as moto, leaves it out: the restore state is then unknown until a HEAD).
  request.optional_attributes = "RestoreStatus";
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
      DirEntry& e = entries.emplace_back();
      e.name = std::move(*name);
      e.attr.is_dir = true;
      e.attr.mtime = listing->fetched_at;
    }
    for (const s3::ObjectSummary& o : page.objects) {
      auto name = EntryName(prefix, o.key);
      if (!name || o.key.back() == '/') continue;  // markers: the directory is the prefix
      DirEntry& e = entries.emplace_back();
      e.name = std::move(*name);
      e.attr.size = o.size;
      e.attr.mtime = o.last_modified;
      e.attr.etag = o.etag;
      e.attr.storage_class = o.storage_class;
      e.attr.restore = o.restore;
      e.attr.fetched_at = listing->fetched_at;
    }
    if (!page.is_truncated) break;
    if (page.next_continuation_token.empty()) {
      return Status::Unavailable("ListObjectsV2 s3://" + bucket_ + "/" + prefix +
                                 ": truncated page without a continuation token");
    }
    request.continuation_token = page.next_continuation_token;
  }
  // A directory wins over a file of the same name (directories sort first among equals).
  std::sort(entries.begin(), entries.end(), [](const DirEntry& a, const DirEntry& b) {
    return a.name != b.name ? a.name < b.name : a.attr.is_dir > b.attr.is_dir;
  });
  auto last =
      std::unique(entries.begin(), entries.end(), [&](const DirEntry& a, const DirEntry& b) {
        if (a.name != b.name) return false;
        if (!b.attr.is_dir)
          spdlog::debug("mount: object '{}' hidden by a directory", prefix + b.name);
        return true;
      });
  entries.erase(last, entries.end());
  entries.shrink_to_fit();
  return std::shared_ptr<const DirListing>(std::move(listing));
}

void DirCache::Invalidate(const std::string& prefix) {
  std::lock_guard lock(mu_);
  if (auto it = listings_.find(prefix); it != listings_.end()) Drop(it);
}

void DirCache::Upsert(const std::string& prefix, const DirEntry& entry) {
  std::lock_guard lock(mu_);
  auto it = listings_.find(prefix);
  if (it == listings_.end()) return;
  auto copy = std::make_shared<DirListing>(*it->second.listing);
  auto pos = std::lower_bound(copy->entries.begin(), copy->entries.end(), entry.name,
                              [](const DirEntry& e, const std::string& n) { return e.name < n; });
  if (pos != copy->entries.end() && pos->name == entry.name) {
    *pos = entry;
  } else {
    copy->entries.insert(pos, entry);
    ++cached_entries_;
  }
  it->second.listing = std::move(copy);
}

void DirCache::Remove(const std::string& prefix, const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = listings_.find(prefix);
  if (it == listings_.end()) return;
  auto copy = std::make_shared<DirListing>(*it->second.listing);
  cached_entries_ -=
      std::erase_if(copy->entries, [&](const DirEntry& e) { return e.name == name; });
  it->second.listing = std::move(copy);
}

int DirCache::lists_sent() const {
  std::lock_guard lock(mu_);
  return lists_sent_;
}

size_t DirCache::cached_entries() const {
  std::lock_guard lock(mu_);
  return cached_entries_;
}

}  // namespace thaw::fs
