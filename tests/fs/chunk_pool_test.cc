// ChunkPool / ChunkBuffer: bytes survive chunk boundaries, freed chunks are reused, and the pool
// keeps no more than its limits allow (prefilled chunks included).
#include "fs/chunk_pool.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace thaw::fs {
namespace {

constexpr uint64_t kChunk = ChunkPool::kChunkBytes;

std::string Join(const std::vector<std::string_view>& pieces) {
  std::string out;
  for (auto p : pieces) out.append(p);
  return out;
}

TEST(ChunkBuffer, AppendedBytesComeBackAsSlicesAcrossChunks) {
  ChunkPool pool(64 * kChunk, 8 * kChunk);
  ChunkBuffer buf(pool);
  std::string source(3 * kChunk + 12345, '\0');
  std::mt19937 rng(7);
  for (auto& c : source) c = static_cast<char>(rng());
  // Appends of odd sizes, as a socket delivers them.
  for (size_t at = 0; at < source.size();) {
    size_t n = std::min<size_t>(source.size() - at, 1 + rng() % 70000);
    buf.Append(std::string_view(source).substr(at, n));
    at += n;
  }
  ASSERT_EQ(buf.size(), source.size());
  EXPECT_EQ(pool.used_bytes(), 4 * kChunk);
  for (auto [from, n] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, source.size()}, {kChunk - 1, 2}, {kChunk, kChunk}, {5, 3 * kChunk}, {0, 0}}) {
    std::vector<std::string_view> pieces;
    buf.Slices(from, n, &pieces);
    EXPECT_EQ(Join(pieces), source.substr(from, n)) << from << "+" << n;
    for (auto p : pieces) EXPECT_LE(p.size(), kChunk);
  }
  std::vector<std::string_view> across;
  buf.Slices(kChunk - 10, 20, &across);
  EXPECT_EQ(across.size(), 2u);  // one slice per chunk touched
}

TEST(ChunkBuffer, SpaceAndCommitFillInPlace) {
  ChunkPool pool(8 * kChunk, 8 * kChunk);
  ChunkBuffer buf(pool);
  std::string expect;
  uint64_t left = kChunk + 100;
  char fill = 'a';
  while (left > 0) {
    size_t room;
    char* to = buf.Space(left, &room);
    ASSERT_GT(room, 0u);
    ASSERT_LE(room, left);
    std::fill(to, to + room, fill);
    buf.Commit(room);
    expect.append(room, fill++);
    left -= room;
  }
  EXPECT_EQ(fill, 'c');  // a chunk's worth, then the rest in a second chunk
  std::vector<std::string_view> pieces;
  buf.Slices(0, buf.size(), &pieces);
  EXPECT_EQ(Join(pieces), expect);
}

TEST(ChunkPool, ReusesFreedChunksWithinItsLimits) {
  ChunkPool pool(4 * kChunk, 2 * kChunk);
  char* a = pool.Take();
  a[0] = 'x';
  pool.Give(a);
  EXPECT_EQ(pool.idle_bytes(), kChunk);
  EXPECT_EQ(pool.Take(), a);  // the kept chunk, not fresh memory
  EXPECT_EQ(pool.idle_bytes(), 0u);
  std::vector<char*> taken{a, pool.Take(), pool.Take(), pool.Take()};
  EXPECT_EQ(pool.used_bytes(), 4 * kChunk);
  pool.Give(taken[0]);  // in use 3 + kept 1: at the total limit, kept
  EXPECT_EQ(pool.idle_bytes(), kChunk);
  pool.Give(taken[1]);
  pool.Give(taken[2]);  // a third kept one would pass the idle limit: unmapped
  EXPECT_EQ(pool.idle_bytes(), 2 * kChunk);
  EXPECT_EQ(pool.used_bytes(), kChunk);
  pool.Give(taken[3]);
  EXPECT_EQ(pool.used_bytes(), 0u);
  EXPECT_EQ(pool.idle_bytes(), 2 * kChunk);
}

TEST(ChunkPool, KeepsNothingBeyondTheTotalLimit) {
  ChunkPool pool(2 * kChunk, 8 * kChunk);
  std::vector<char*> taken;
  for (int i = 0; i < 4; ++i) taken.push_back(pool.Take());  // reads may pass the limit
  for (char* c : taken) pool.Give(c);
  // Kept + in use never passes the total: only two stay.
  EXPECT_EQ(pool.idle_bytes(), 2 * kChunk);
}

TEST(ChunkPool, PrefillKeepsChunksWithinItsLimits) {
  ChunkPool pool(8 * kChunk, 3 * kChunk);
  pool.Prefill(2 * kChunk);
  EXPECT_EQ(pool.idle_bytes(), 2 * kChunk);
  EXPECT_EQ(pool.used_bytes(), 0u);
  pool.Prefill(10 * kChunk);  // one more fits the idle limit
  EXPECT_EQ(pool.idle_bytes(), 3 * kChunk);
  char* c = pool.Take();  // a prefilled chunk: writable, and no new memory
  c[kChunk - 1] = 'x';
  EXPECT_EQ(pool.idle_bytes(), 2 * kChunk);
  pool.Give(c);

  ChunkPool busy(2 * kChunk, 8 * kChunk);
  char* held = busy.Take();
  busy.Prefill(8 * kChunk);  // in use + kept stay within the total
  EXPECT_EQ(busy.idle_bytes(), kChunk);
  busy.Give(held);
}

TEST(ChunkBuffer, MovesAndClearsGiveChunksBack) {
  ChunkPool pool(8 * kChunk, 8 * kChunk);
  {
    ChunkBuffer a(pool);
    a.Append(std::string(kChunk + 1, 'q'));
    ChunkBuffer b = std::move(a);
    EXPECT_EQ(a.size(), 0u);  // NOLINT(bugprone-use-after-move): moved-from is empty
    EXPECT_EQ(b.size(), kChunk + 1);
    EXPECT_EQ(pool.used_bytes(), 2 * kChunk);
    ChunkBuffer c(pool);
    c.Append("xyz");
    c = std::move(b);  // c's own chunk goes back first
    EXPECT_EQ(pool.used_bytes(), 2 * kChunk);
    EXPECT_EQ(c.size(), kChunk + 1);
  }
  EXPECT_EQ(pool.used_bytes(), 0u);
}

}  // namespace
}  // namespace thaw::fs
