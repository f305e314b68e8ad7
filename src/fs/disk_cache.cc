// Parts of objects cached on local disk with LRU eviction, looked up by covering ranges (see
// disk_cache.h).
#include "fs/disk_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>

namespace thaw::fs {

Result<std::unique_ptr<DiskCache>> DiskCache::Open(const std::string& dir,
                                                   uint64_t capacity_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::InvalidArgument("--cache-dir " + dir + ": " + ec.message());
  if (chmod(dir.c_str(), 0700) != 0) {
    return Status::InvalidArgument("--cache-dir " + dir + ": " + std::strerror(errno));
  }
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    auto ext = e.path().extension();
    if (ext == ".part" || ext == ".tmp") std::filesystem::remove(e.path(), ec);
  }
  return std::unique_ptr<DiskCache>(new DiskCache(dir, capacity_bytes));
}

std::string DiskCache::ObjectId(const std::string& bucket, const std::string& key,
                                const std::string& etag) {
  return fmt::format("{}\n{}\n{}", bucket, key, etag);
}

std::string DiskCache::EntryId(const std::string& object, Range r) {
  return fmt::format("{}\n{}+{}", object, r.first, r.second);
}

std::string DiskCache::PathFor(const std::string& object, Range r) const {
  return fmt::format("{}/{:016x}-{:x}-{:x}.part", dir_, std::hash<std::string>{}(object), r.first,
                     r.second);
}

bool DiskCache::CoverLocked(const std::string& object, uint64_t first, uint64_t end,
                            std::vector<Piece>* pieces) {
  auto obj = index_.find(object);
  if (obj == index_.end()) return false;
  auto& entries = obj->second;
  std::vector<std::map<Range, Entry>::iterator> used;
  uint64_t pos = first;
  while (pos < end) {
    // Of the entries starting at or before pos, the one reaching furthest (entries may overlap
    // when reads were split differently).
    auto best = entries.end();
    uint64_t best_end = pos;
    for (auto it = entries.upper_bound(Range{pos, UINT64_MAX}); it != entries.begin();) {
      --it;
      if (it->first.first + max_length_ <= pos) break;  // no entry further left reaches pos
      uint64_t e = it->first.first + it->first.second;
      if (e > best_end) {
        best_end = e;
        best = it;
      }
    }
    if (best == entries.end()) return false;
    uint64_t n = std::min(best_end, end) - pos;
    if (pieces != nullptr) {
      pieces->push_back(Piece{PathFor(object, best->first), EntryId(object, best->first),
                              best->first.first, pos - best->first.first, n});
    }
    used.push_back(best);
    pos += n;
  }
  for (auto it : used) lru_.splice(lru_.begin(), lru_, it->second.pos);
  return true;
}

bool DiskCache::Read(const std::string& object, uint64_t first, uint64_t length, std::string* out) {
  size_t start = out->size();
  bool hit = ReadCounted(object, first, length, [&](int fd, uint64_t offset, uint64_t n) {
    size_t at = out->size();
    out->resize(at + n);
    return pread(fd, out->data() + at, n, static_cast<off_t>(offset)) == static_cast<ssize_t>(n);
  });
  if (!hit) out->resize(start);
  return hit;
}

bool DiskCache::Read(const std::string& object, uint64_t first, uint64_t length, ChunkBuffer* out) {
  bool hit = ReadCounted(object, first, length, [&](int fd, uint64_t offset, uint64_t n) {
    while (n > 0) {
      size_t room;
      char* to = out->Space(n, &room);
      if (pread(fd, to, room, static_cast<off_t>(offset)) != static_cast<ssize_t>(room)) {
        return false;
      }
      out->Commit(room);
      offset += room;
      n -= room;
    }
    return true;
  });
  if (!hit) out->Clear();
  return hit;
}

bool DiskCache::ReadCounted(const std::string& object, uint64_t first, uint64_t length,
                            const ReadInto& into) {
  bool hit = true;
  std::vector<Piece> pieces;
  if (length > 0) {
    std::lock_guard lock(mu_);
    hit = CoverLocked(object, first, first + length, &pieces);
  }
  for (size_t i = 0; hit && i < pieces.size(); ++i) {
    const Piece& p = pieces[i];
    int fd = OpenPiece(p);
    hit = fd >= 0 && into(fd, p.id.size() + 1 + p.from, p.n);
    if (fd >= 0) close(fd);
  }
  (hit ? hits_ : misses_).fetch_add(1, std::memory_order_relaxed);
  return hit;
}

int DiskCache::OpenPiece(const Piece& p) {
  int fd = open(p.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  // The header and the bytes wanted in one round of disk reads, not the header's readahead
  // first and the rest after it.
  posix_fadvise(fd, 0, static_cast<off_t>(p.id.size() + 1 + p.from + p.n), POSIX_FADV_WILLNEED);
  std::string header(p.id.size() + 1, '\0');
  // A file evicted meanwhile, or a hash collision: a miss, never wrong bytes.
  if (pread(fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size()) ||
      std::memcmp(header.data(), p.id.c_str(), header.size()) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool DiskCache::OpenSlices(const std::string& object, uint64_t first, uint64_t length,
                           std::vector<FileSlice>* out) {
  std::vector<Piece> pieces;
  {
    std::lock_guard lock(mu_);
    if (length == 0 || !CoverLocked(object, first, first + length, &pieces)) return false;
  }
  for (const Piece& p : pieces) {
    int fd = OpenPiece(p);
    if (fd < 0) {
      for (const auto& s : *out) close(s.fd);
      out->clear();
      return false;
    }
    out->push_back(FileSlice{fd, p.id.size() + 1 + p.from, p.n});
  }
  hits_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool DiskCache::Covers(const std::string& object, uint64_t first, uint64_t length) {
  std::lock_guard lock(mu_);
  return length > 0 && CoverLocked(object, first, first + length, nullptr);
}

void DiskCache::Put(const std::string& object, uint64_t first, std::string_view data) {
  Put(object, first, std::vector<std::string_view>{data});
}

void DiskCache::Put(const std::string& object, uint64_t first,
                    const std::vector<std::string_view>& pieces) {
  uint64_t size = 0;
  for (auto p : pieces) size += p.size();
  if (size == 0 || size > capacity_) return;
  Range range{first, size};
  std::string tmp;
  {
    std::lock_guard lock(mu_);
    if (CoverLocked(object, first, first + size, nullptr)) return;
    tmp = fmt::format("{}/{}.tmp", dir_, ++tmp_counter_);
  }
  std::string path = PathFor(object, range);
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string header = EntryId(object, range);
  header.push_back('\0');
  bool ok = write(fd, header.data(), header.size()) == static_cast<ssize_t>(header.size());
  for (size_t i = 0; ok && i < pieces.size(); ++i) {
    ok = write(fd, pieces[i].data(), pieces[i].size()) == static_cast<ssize_t>(pieces[i].size());
  }
  close(fd);
  std::lock_guard lock(mu_);
  auto& entries = index_[object];
  if (entries.count(range) != 0) {  // stored by another thread meanwhile
    unlink(tmp.c_str());
    return;
  }
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    spdlog::debug("mount: disk cache write failed: {}", std::strerror(errno));
    if (entries.empty()) index_.erase(object);
    return;
  }
  lru_.emplace_front(object, range);
  entries.emplace(range, Entry{lru_.begin()});
  max_length_ = std::max(max_length_, range.second);
  used_ += size;
  EvictLocked();
}

void DiskCache::EvictLocked() {
  while (used_ > capacity_ && !lru_.empty()) {
    const auto& [object, range] = lru_.back();
    used_ -= range.second;
    unlink(PathFor(object, range).c_str());
    auto obj = index_.find(object);
    obj->second.erase(range);
    if (obj->second.empty()) index_.erase(obj);
    lru_.pop_back();
  }
}

uint64_t DiskCache::used_bytes() const {
  std::lock_guard lock(mu_);
  return used_;
}

size_t DiskCache::entries() const {
  std::lock_guard lock(mu_);
  return lru_.size();
}

}  // namespace thaw::fs
