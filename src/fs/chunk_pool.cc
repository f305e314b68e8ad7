// Chunk pool and chunked buffers for fetched bytes (see chunk_pool.h).
#include "fs/chunk_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>
#include <new>

namespace thaw::fs {
namespace {

// Chunks are mapped one by one, not taken from malloc: a chunk given back beyond the pool's
// limits returns to the system at once (the RSS the budget promises), and no heap fragments.
char* MapChunk() {
  void* p = mmap(nullptr, ChunkPool::kChunkBytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return static_cast<char*>(p);
}

void UnmapChunk(char* chunk) {
  munmap(chunk, ChunkPool::kChunkBytes);
}

}  // namespace

ChunkPool::~ChunkPool() {
  for (char* c : idle_) UnmapChunk(c);
}

char* ChunkPool::Take() {
  {
    std::lock_guard lock(mu_);
    used_ += kChunkBytes;
    if (!idle_.empty()) {
      char* c = idle_.back();
      idle_.pop_back();
      return c;
    }
  }
  return MapChunk();
}

void ChunkPool::Give(char* chunk) {
  {
    std::lock_guard lock(mu_);
    used_ -= std::min<uint64_t>(used_, kChunkBytes);
    uint64_t idle = (idle_.size() + 1) * kChunkBytes;
    if (idle <= idle_limit_ && used_ + idle <= total_limit_) {
      idle_.push_back(chunk);
      return;
    }
  }
  UnmapChunk(chunk);
}

void ChunkPool::Prefill(uint64_t bytes) {
  for (uint64_t done = 0; done < bytes; done += kChunkBytes) {
    {
      std::lock_guard lock(mu_);
      uint64_t idle = (idle_.size() + 1) * kChunkBytes;
      if (idle > idle_limit_ || used_ + idle > total_limit_) return;
    }
    char* c = MapChunk();
    std::memset(c, 0, kChunkBytes);
    std::lock_guard lock(mu_);
    idle_.push_back(c);
  }
}

uint64_t ChunkPool::idle_bytes() const {
  std::lock_guard lock(mu_);
  return idle_.size() * kChunkBytes;
}

uint64_t ChunkPool::used_bytes() const {
  std::lock_guard lock(mu_);
  return used_;
}

ChunkBuffer::ChunkBuffer(ChunkBuffer&& o) noexcept
    : pool_(o.pool_), chunks_(std::move(o.chunks_)), size_(o.size_) {
  o.chunks_.clear();
  o.size_ = 0;
}

ChunkBuffer& ChunkBuffer::operator=(ChunkBuffer&& o) noexcept {
  if (this != &o) {
    Clear();
    pool_ = o.pool_;
    chunks_ = std::move(o.chunks_);
    size_ = o.size_;
    o.chunks_.clear();
    o.size_ = 0;
  }
  return *this;
}

char* ChunkBuffer::Space(size_t max, size_t* got) {
  constexpr size_t kChunk = ChunkPool::kChunkBytes;
  if (size_ == chunks_.size() * kChunk) chunks_.push_back(pool_->Take());
  size_t at = size_ % kChunk;
  // size_ % kChunk is 0 both for an empty last chunk and a full one: the push above made a
  // full one impossible here.
  *got = std::min(max, kChunk - at);
  return chunks_.back() + at;
}

void ChunkBuffer::Append(std::string_view bytes) {
  while (!bytes.empty()) {
    size_t n;
    char* to = Space(bytes.size(), &n);
    std::memcpy(to, bytes.data(), n);
    Commit(n);
    bytes.remove_prefix(n);
  }
}

void ChunkBuffer::Clear() {
  for (char* c : chunks_) pool_->Give(c);
  chunks_.clear();
  size_ = 0;
}

void ChunkBuffer::Slices(uint64_t from, uint64_t n, std::vector<std::string_view>* out) const {
  constexpr uint64_t kChunk = ChunkPool::kChunkBytes;
  while (n > 0) {
    uint64_t at = from % kChunk;
    uint64_t take = std::min(n, kChunk - at);
    out->emplace_back(chunks_[from / kChunk] + at, take);
    from += take;
    n -= take;
  }
}

}  // namespace thaw::fs
