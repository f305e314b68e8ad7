// Parts of objects cached on local disk with LRU eviction (see disk_cache.h).
#include "fs/disk_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

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
    if (e.path().extension() == ".part") std::filesystem::remove(e.path(), ec);
  }
  return std::unique_ptr<DiskCache>(new DiskCache(dir, capacity_bytes));
}

std::string DiskCache::PartId(const std::string& bucket, const std::string& key,
                              const std::string& etag, uint64_t first, uint64_t length) {
  return fmt::format("{}\n{}\n{}\n{}+{}", bucket, key, etag, first, length);
}

std::string DiskCache::PathFor(const std::string& id) const {
  return fmt::format("{}/{:016x}.part", dir_, std::hash<std::string>{}(id));
}

std::optional<std::string> DiskCache::Get(const std::string& id) {
  uint64_t size;
  {
    std::lock_guard lock(mu_);
    auto it = index_.find(id);
    if (it == index_.end()) return std::nullopt;
    lru_.splice(lru_.begin(), lru_, it->second.pos);
    size = it->second.size;
  }
  int fd = open(PathFor(id).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string header(id.size() + 1, '\0');
  std::string data(size, '\0');
  bool ok =
      pread(fd, header.data(), header.size(), 0) == static_cast<ssize_t>(header.size()) &&
      header == id + '\0' &&
      pread(fd, data.data(), size, static_cast<off_t>(header.size())) == static_cast<ssize_t>(size);
  close(fd);
  if (!ok) return std::nullopt;
  return data;
}

void DiskCache::Put(const std::string& id, std::string_view data) {
  if (data.size() > capacity_) return;
  std::string path = PathFor(id);
  std::string tmp = path + ".tmp";
  int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  std::string header = id + '\0';
  bool ok = write(fd, header.data(), header.size()) == static_cast<ssize_t>(header.size()) &&
            write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  close(fd);
  if (!ok || rename(tmp.c_str(), path.c_str()) != 0) {
    unlink(tmp.c_str());
    spdlog::debug("mount: disk cache write failed: {}", std::strerror(errno));
    return;
  }
  std::lock_guard lock(mu_);
  auto it = index_.find(id);
  if (it != index_.end()) {
    used_ -= it->second.size;
    lru_.erase(it->second.pos);
    index_.erase(it);
  }
  lru_.push_front(id);
  index_[id] = Entry{lru_.begin(), data.size()};
  used_ += data.size();
  EvictLocked();
}

void DiskCache::EvictLocked() {
  while (used_ > capacity_ && !lru_.empty()) {
    const std::string& victim = lru_.back();
    auto it = index_.find(victim);
    used_ -= it->second.size;
    // A different id with the same hash may own the file now only if it is also indexed; the
    // header check on Get keeps that case a miss, never wrong bytes.
    unlink(PathFor(victim).c_str());
    index_.erase(it);
    lru_.pop_back();
  }
}

uint64_t DiskCache::used_bytes() const {
  std::lock_guard lock(mu_);
  return used_;
}

}  // namespace thaw::fs
