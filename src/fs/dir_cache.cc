// Directory listings from ListObjectsV2 with delimiter, cached with a TTL (see dir_cache.h).
#include "fs/dir_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <system_error>
#include <thread>

namespace thaw::fs {
namespace {

// Cached listings beyond this count are dropped when stale, so a walk over a huge tree of
// small directories does not keep every directory in memory either.
constexpr size_t kMaxCachedListings = 4096;

}  // namespace

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

DirCache::~DirCache() {
  std::unique_lock lock(mu_);
  stopping_ = true;
  fetch_done_.wait(lock, [&] { return background_fetches_ == 0; });
}

std::shared_ptr<ListingStream> DirCache::Open(const std::string& prefix,
                                              std::optional<std::chrono::milliseconds> max_age) {
  const std::chrono::milliseconds ttl = max_age ? std::min(*max_age, ttl_) : ttl_;
  std::shared_ptr<ListingStream> stream;
  {
    std::lock_guard lock(mu_);
    const Clock::TimePoint now = clock_.Now();
    auto it = listings_.find(prefix);
    if (it != listings_.end() && now - it->second.listing->fetched_at < ttl) {
      it->second.last_used = ++use_counter_;
      return std::make_shared<ListingStream>(it->second.listing);
    }
    // A fetch under way started a moment ago at most: its listing is as fresh as a new one.
    if (auto running = loading_.find(prefix);
        running != loading_.end() && now - running->second->started() < ttl) {
      return running->second;
    }
    stream = std::make_shared<ListingStream>(prefix, now);
    loading_[prefix] = stream;
    if (!stopping_ && background_fetches_ < kMaxBackgroundFetches) {
      try {
        std::thread([this, stream] {
          Fetch(stream);
          std::lock_guard done(mu_);
          --background_fetches_;
          fetch_done_.notify_all();
        }).detach();
        ++background_fetches_;
        return stream;
      } catch (const std::system_error&) {
        // No thread to spare: this caller fetches.
      }
    }
  }
  Fetch(stream);
  return stream;
}

Result<std::shared_ptr<const DirListing>> DirCache::List(
    const std::string& prefix, std::optional<std::chrono::milliseconds> max_age) {
  return Open(prefix, max_age)->WaitComplete();
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

void DirCache::Prime(const std::string& prefix,
                     std::function<void(const s3::ListObjectsPage&)> on_first_page) {
  std::unique_lock lock(mu_);
  if (stopping_ || listings_.count(prefix) != 0 || loading_.count(prefix) != 0 ||
      background_fetches_ >= kMaxBackgroundFetches) {
    lock.unlock();
    if (on_first_page) on_first_page(s3::ListObjectsPage{});
    return;
  }
  auto stream = std::make_shared<ListingStream>(prefix, clock_.Now());
  try {
    std::thread([this, stream, on_first_page] {
      Fetch(stream, /*primed=*/true, on_first_page);
      std::lock_guard done(mu_);
      --background_fetches_;
      fetch_done_.notify_all();
    }).detach();
  } catch (const std::system_error&) {
    lock.unlock();
    if (on_first_page) on_first_page(s3::ListObjectsPage{});
    return;  // no thread to spare: listed when first used, as without priming
  }
  loading_[prefix] = stream;
  ++background_fetches_;
}

void DirCache::Fetch(const std::shared_ptr<ListingStream>& stream, bool primed,
                     const std::function<void(const s3::ListObjectsPage&)>& on_first_page) {
  const std::string& prefix = stream->prefix();
  s3::ListObjectsRequest request;
  request.bucket = bucket_;
  request.prefix = prefix;
  request.delimiter = "/";
  // AWS adds RestoreStatus to archived objects' entries (an endpoint that ignores the header,
  // such as moto, leaves it out: the restore state is then unknown until a HEAD).
  request.optional_attributes = "RestoreStatus";
  Status failed;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) {
        failed = Status::Cancelled("unmounting");
        break;
      }
      ++lists_sent_;
    }
    Result<s3::ListObjectsPage> page = client_.ListObjectsV2(request);
    bool first = request.continuation_token.empty();
    if (on_first_page && first) on_first_page(page.ok() ? *page : s3::ListObjectsPage{});
    if (!page.ok()) {
      failed = page.status();
      break;
    }
    if (page->is_truncated && page->next_continuation_token.empty()) {
      failed = Status::Unavailable("ListObjectsV2 s3://" + bucket_ + "/" + prefix +
                                   ": truncated page without a continuation token");
      break;
    }
    if (primed && page->is_truncated) {
      // Nobody asked for this listing yet: a directory of many pages is left to its first
      // user. The stream is dropped from loading_ under the lock that joiners take it by, so
      // none can join once the check has passed. Holders: loading_ and this thread.
      std::lock_guard lock(mu_);
      auto it = loading_.find(prefix);
      if (it == loading_.end() || it->second != stream || stream.use_count() <= 2) {
        if (it != loading_.end() && it->second == stream) loading_.erase(it);
        stream->Fail(Status::Cancelled("priming stopped after one page"));
        return;
      }
    }
    stream->AddPage(*page, !page->is_truncated);
    if (!page->is_truncated) break;
    request.continuation_token = std::move(page->next_continuation_token);
  }
  std::shared_ptr<const DirListing> listing;
  if (failed.ok()) listing = stream->BuildListing();
  {
    std::lock_guard lock(mu_);
    if (auto it = loading_.find(prefix); it != loading_.end() && it->second == stream) {
      loading_.erase(it);
      if (listing) Store(prefix, listing);
    }
  }
  // Cached first, then complete: a caller woken by the end finds it in the cache.
  if (listing) {
    stream->Complete(std::move(listing));
  } else {
    stream->Fail(std::move(failed));
  }
}

void DirCache::Invalidate(const std::string& prefix) {
  std::lock_guard lock(mu_);
  loading_.erase(prefix);
  if (auto it = listings_.find(prefix); it != listings_.end()) Drop(it);
}

void DirCache::Upsert(const std::string& prefix, const DirEntry& entry) {
  std::lock_guard lock(mu_);
  loading_.erase(prefix);  // a listing under way may have missed the entry
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
  loading_.erase(prefix);
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
