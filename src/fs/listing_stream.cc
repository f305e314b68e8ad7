// A listing served while its pages arrive (see listing_stream.h).
#include "fs/listing_stream.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>

namespace thaw::fs {

const DirEntry* DirListing::Find(std::string_view name) const {
  auto it = std::lower_bound(entries.begin(), entries.end(), name,
                             [](const DirEntry& e, std::string_view n) { return e.name < n; });
  if (it == entries.end() || it->name != name) return nullptr;
  return &*it;
}

std::string EntryKey(const std::string& prefix, const DirEntry& e) {
  std::string key;
  key.reserve(prefix.size() + e.name.size() + 1);
  key += prefix;
  key += e.name;
  if (e.attr.is_dir) key += '/';
  return key;
}

std::string DirListing::KeyOf(const DirEntry& e) const {
  return EntryKey(prefix, e);
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

ListingStream::ListingStream(std::string prefix, Clock::TimePoint started)
    : prefix_(std::move(prefix)), started_(started) {}

ListingStream::ListingStream(std::shared_ptr<const DirListing> complete)
    : prefix_(complete->prefix), started_(complete->fetched_at) {
  size_ = complete->entries.size();
  first_page_ = done_ = from_cache_ = true;
  complete_ = std::move(complete);
}

void ListingStream::Append(DirEntry e) {
  if (size_ % kChunk == 0) {
    chunks_.push_back(std::make_unique<std::vector<DirEntry>>());
    chunks_.back()->reserve(kChunk);
  }
  chunks_.back()->push_back(std::move(e));
  ++size_;
}

const DirEntry& ListingStream::At(size_t i) const {
  if (from_cache_) return complete_->entries[i];
  return (*chunks_[i / kChunk])[i % kChunk];
}

void ListingStream::AddPage(const s3::ListObjectsPage& page, bool last) {
  const auto& objects = page.objects;
  const auto& prefixes = page.common_prefixes;
  // Every later page's keys sort after the largest key of this one.
  std::string_view frontier;
  if (!objects.empty()) frontier = objects.back().key;
  if (!prefixes.empty() && prefixes.back() > frontier) frontier = prefixes.back();
  std::lock_guard lock(mu_);
  if (done_) return;
  // Objects and common prefixes each come in key order: merged, they are the listing's order.
  size_t i = 0, j = 0;
  while (i < objects.size() || j < prefixes.size()) {
    if (j == prefixes.size() || (i < objects.size() && objects[i].key < prefixes[j])) {
      const s3::ObjectSummary& o = objects[i++];
      auto name = EntryName(prefix_, o.key);
      if (!name || o.key.back() == '/') continue;  // markers: the directory is the prefix
      DirEntry& e = held_.emplace_back();
      e.name = std::move(*name);
      e.attr.size = o.size;
      e.attr.mtime = o.last_modified;
      e.attr.etag = o.etag;
      e.attr.storage_class = o.storage_class;
      e.attr.restore = o.restore;
      e.attr.fetched_at = started_;
      continue;
    }
    const std::string& cp = prefixes[j++];
    auto name = EntryName(prefix_, cp);
    if (!name) {
      spdlog::debug("mount: skipping prefix '{}' (not a file name)", cp);
      continue;
    }
    // A file of the same name was held back for this moment: the directory wins. Held files
    // are in key order, which for one prefix is name order.
    auto same =
        std::lower_bound(held_.begin(), held_.end(), *name,
                         [](const DirEntry& e, const std::string& n) { return e.name < n; });
    if (same != held_.end() && same->name == *name) {
      spdlog::debug("mount: object '{}' hidden by a directory", cp.substr(0, cp.size() - 1));
      held_.erase(same);
    }
    DirEntry e;
    e.name = std::move(*name);
    e.attr.is_dir = true;
    e.attr.mtime = started_;
    Append(std::move(e));
  }
  // Hand out each held file whose `name/` the listing has passed (`a` waits behind `a-b`,
  // whose `a-b/` sorts before `a/`): no directory of its name can come any more.
  std::string_view rest =
      frontier.size() >= prefix_.size() ? frontier.substr(prefix_.size()) : std::string_view();
  auto passed = [&](const DirEntry& e) {
    if (last) return true;
    // e.name + '/' <= rest
    size_t n = e.name.size();
    int c = rest.compare(0, n, e.name);
    if (c != 0) return c > 0;
    return rest.size() > n && static_cast<unsigned char>(rest[n]) >= '/';
  };
  size_t kept = 0;
  for (size_t k = 0; k < held_.size(); ++k) {
    if (passed(held_[k])) {
      Append(std::move(held_[k]));
    } else {
      if (k != kept) held_[kept] = std::move(held_[k]);
      ++kept;
    }
  }
  held_.resize(kept);
  first_page_ = true;
  cv_.notify_all();
}

std::shared_ptr<const DirListing> ListingStream::BuildListing() const {
  auto listing = std::make_shared<DirListing>();
  listing->prefix = prefix_;
  listing->fetched_at = started_;
  std::lock_guard lock(mu_);
  std::vector<DirEntry>& entries = listing->entries;
  entries.reserve(size_);
  for (size_t i = 0; i < size_; ++i) entries.push_back(At(i));
  // A directory wins over a file of the same name (directories sort first among equals); the
  // stream already dropped such files, this also covers a server that repeats an entry.
  std::sort(entries.begin(), entries.end(), [](const DirEntry& a, const DirEntry& b) {
    return a.name != b.name ? a.name < b.name : a.attr.is_dir > b.attr.is_dir;
  });
  auto last = std::unique(entries.begin(), entries.end(),
                          [](const DirEntry& a, const DirEntry& b) { return a.name == b.name; });
  entries.erase(last, entries.end());
  entries.shrink_to_fit();
  return listing;
}

void ListingStream::Complete(std::shared_ptr<const DirListing> listing) {
  std::lock_guard lock(mu_);
  if (done_) return;
  complete_ = std::move(listing);
  first_page_ = done_ = true;
  cv_.notify_all();
}

void ListingStream::Fail(Status error) {
  std::lock_guard lock(mu_);
  if (done_) return;
  error_ = std::move(error);
  first_page_ = done_ = true;
  cv_.notify_all();
}

Result<std::vector<const DirEntry*>> ListingStream::Read(size_t from, size_t max) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_ || size_ > from; });
  std::vector<const DirEntry*> out;
  if (size_ <= from) {
    if (!error_.ok()) return error_;
    return out;
  }
  size_t n = std::min(max, size_ - from);
  out.reserve(n);
  for (size_t i = from; i < from + n; ++i) out.push_back(&At(i));
  return out;
}

Status ListingStream::WaitFirstPage() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return first_page_; });
  if (size_ == 0 && !error_.ok()) return error_;
  return Status::Ok();
}

Result<std::shared_ptr<const DirListing>> ListingStream::WaitComplete() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_; });
  if (!error_.ok()) return error_;
  return complete_;
}

bool ListingStream::done() const {
  std::lock_guard lock(mu_);
  return done_;
}

}  // namespace thaw::fs
