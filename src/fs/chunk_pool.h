// Memory for fetched bytes: fixed-size chunks that are reused instead of allocated per part.
//
// Why: a ranged GET's bytes land in memory the process has just mapped, and on a virtual
// machine each first touch of a 4 KiB page is a page fault that costs more than copying the
// page. Profiles of a cold 512 MiB read showed three quarters of the mount's CPU time in those
// faults with a fresh buffer per part. Chunks of one size can always be reused whatever the
// parts' lengths are, so once the read-ahead is in flight a new part never touches new memory.
//
// ChunkPool hands out chunks and keeps freed ones for the next part, up to `idle_limit` bytes
// and never so many that chunks in use plus kept ones pass `total_limit` (the read-ahead budget):
// the mount's memory is bounded by the budget, not the budget plus a cache of spare buffers.
// ChunkBuffer is one part's bytes: appended to as the body arrives, read back as slices (one
// per chunk) that go to the kernel without another copy.
//
// Thread safety: ChunkPool is thread-safe; a ChunkBuffer is used by one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

namespace thaw::fs {

class ChunkPool {
 public:
  static constexpr size_t kChunkBytes = 256 << 10;

  ChunkPool(uint64_t total_limit, uint64_t idle_limit)
      : total_limit_(total_limit), idle_limit_(idle_limit) {}
  ~ChunkPool();
  ChunkPool(const ChunkPool&) = delete;
  ChunkPool& operator=(const ChunkPool&) = delete;

  char* Take();  // never null (throws std::bad_alloc like operator new when out of memory)
  void Give(char* chunk);
  // Maps and writes up to `bytes` of chunks into the idle list (within its limits), so that the
  // first parts of a new mount land in memory already faulted in. Written, not only mapped with
  // MAP_POPULATE: on the VMs we measured, populated pages still cost a fault each at their first
  // write (a cold 32 MiB read on a new mount took 95-105 ms with populated chunks, 77 ms with
  // written ones, 72 ms once the pool had been used).
  void Prefill(uint64_t bytes);

  uint64_t idle_bytes() const;
  uint64_t used_bytes() const;  // in chunks handed out and not given back

 private:
  mutable std::mutex mu_;  // guards idle_, used_
  const uint64_t total_limit_, idle_limit_;
  std::vector<char*> idle_;
  uint64_t used_ = 0;
};

class ChunkBuffer {
 public:
  explicit ChunkBuffer(ChunkPool& pool) : pool_(&pool) {}
  ~ChunkBuffer() { Clear(); }
  ChunkBuffer(ChunkBuffer&& o) noexcept;
  ChunkBuffer& operator=(ChunkBuffer&& o) noexcept;
  ChunkBuffer(const ChunkBuffer&) = delete;
  ChunkBuffer& operator=(const ChunkBuffer&) = delete;

  // Makes room in the chunk list for `bytes` in all: chunks are then added without moving the
  // list, so another thread may take Slices of bytes already written while more are appended.
  void Reserve(uint64_t bytes) {
    chunks_.reserve((bytes + ChunkPool::kChunkBytes - 1) / ChunkPool::kChunkBytes);
  }
  void Append(std::string_view bytes);
  // Room for at most `max` more bytes in the last chunk (a new chunk when it is full), to be
  // filled by the caller (a pread) and then counted with Commit.
  char* Space(size_t max, size_t* got);
  void Commit(size_t n) { size_ += n; }
  uint64_t size() const { return size_; }
  void Clear();  // gives every chunk back

  // Appends to *out the slices of bytes [from, from + n) (n within size()).
  void Slices(uint64_t from, uint64_t n, std::vector<std::string_view>* out) const;

 private:
  ChunkPool* pool_;
  std::vector<char*> chunks_;
  uint64_t size_ = 0;
};

}  // namespace thaw::fs
