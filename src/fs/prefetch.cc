// Prefetch window, fetch pool, read-ahead budget and the per-file reader (see prefetch.h).
#include "fs/prefetch.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace thaw::fs {

uint64_t PrefetchWindow::OnRead(uint64_t offset, uint64_t size) {
  // The kernel's readahead sends several reads at once and FUSE threads may hand them over out
  // of order: a read within one window of where the last one ended still counts as sequential.
  uint64_t lo = next_offset_ > window_ ? next_offset_ - window_ : 0;
  last_sequential_ = offset >= lo && offset <= next_offset_ + window_;
  if (last_sequential_) {
    if (offset >= next_offset_) window_ = std::min(max_, std::max(min_, window_ * 2));
    next_offset_ = std::max(next_offset_, offset + size);
  } else {
    window_ = min_;
    next_offset_ = offset + size;
  }
  return window_;
}

FetchPool::FetchPool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i) threads_.emplace_back([this] { Run(); });
}

FetchPool::~FetchPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void FetchPool::Submit(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
}

void FetchPool::Run() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

bool PrefetchBudget::TryAcquire(uint64_t n) {
  std::lock_guard lock(mu_);
  if (used_ + n > limit_) return false;
  used_ += n;
  return true;
}

void PrefetchBudget::ForceAcquire(uint64_t n) {
  std::lock_guard lock(mu_);
  used_ += n;
}

void PrefetchBudget::Release(uint64_t n) {
  std::lock_guard lock(mu_);
  used_ -= std::min(used_, n);
}

uint64_t PrefetchBudget::used() const {
  std::lock_guard lock(mu_);
  return used_;
}

// One ranged GET and its bytes. Holds its size against the budget until destroyed.
struct ObjectReader::Part {
  Part(PrefetchBudget& b, uint64_t f, uint64_t l) : budget(b), first(f), length(l) {}
  ~Part() { budget.Release(length); }
  PrefetchBudget& budget;
  const uint64_t first, length;
  std::mutex mu;  // guards done, status, data
  std::condition_variable cv;
  bool done = false;
  Status status;
  std::string data;
};

ObjectReader::ObjectReader(s3::S3Client& client, FetchPool& pool, PrefetchBudget& budget,
                           const ReadOptions& options, std::string bucket, std::string key,
                           std::string etag, uint64_t size, DiskCache* cache)
    : client_(client),
      pool_(pool),
      budget_(budget),
      options_(options),
      bucket_(std::move(bucket)),
      key_(std::move(key)),
      etag_(std::move(etag)),
      size_(size),
      cache_(cache),
      window_(options.min_window_bytes, options.max_window_bytes) {}

ObjectReader::~ObjectReader() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return running_ == 0; });
}

int ObjectReader::gets_started() const {
  std::lock_guard lock(const_cast<std::mutex&>(mu_));
  return gets_started_;
}

std::shared_ptr<ObjectReader::Part> ObjectReader::StartPart(uint64_t first, uint64_t length,
                                                            bool required) {
  if (required) {
    budget_.ForceAcquire(length);
  } else if (!budget_.TryAcquire(length)) {
    return nullptr;
  }
  auto part = std::make_shared<Part>(budget_, first, length);
  {
    std::lock_guard lock(mu_);
    ++running_;
    ++gets_started_;
  }
  pool_.Submit([this, part]() mutable {
    std::string cache_id;
    if (cache_ != nullptr) {
      cache_id = DiskCache::PartId(bucket_, key_, etag_, part->first, part->length);
      if (auto hit = cache_->Get(cache_id); hit && hit->size() == part->length) {
        Finish(std::move(part), Status::Ok(), std::move(*hit));
        return;
      }
    }
    s3::GetObjectRequest req;
    req.bucket = bucket_;
    req.key = key_;
    req.range = s3::ByteRange{part->first, part->first + part->length - 1};
    req.if_match = etag_;
    auto got = client_.GetObject(req);
    Status status;
    std::string data;
    if (!got.ok()) {
      status = got.status();
    } else if (got->body.size() != part->length) {
      status = Status::DataLoss(
          "GetObject s3://" + bucket_ + "/" + key_ + ": asked for " + std::to_string(part->length) +
          " bytes at " + std::to_string(part->first) + ", got " + std::to_string(got->body.size()));
    } else {
      data = std::move(got->body);
    }
    if (status.ok() && cache_ != nullptr) cache_->Put(cache_id, data);
    Finish(std::move(part), std::move(status), std::move(data));
  });
  return part;
}

void ObjectReader::Finish(std::shared_ptr<Part> part, Status status, std::string data) {
  {
    std::lock_guard lock(part->mu);
    part->status = std::move(status);
    part->data = std::move(data);
    part->done = true;
  }
  part->cv.notify_all();
  part.reset();  // before running_ drops: a reader that has let go of it frees its budget now
  std::lock_guard lock(mu_);
  if (--running_ == 0) idle_cv_.notify_all();
}

void ObjectReader::DropBefore(uint64_t offset) {
  while (!parts_.empty()) {
    auto it = parts_.begin();
    if (it->second->first + it->second->length > offset) break;
    parts_.erase(it);
  }
}

void ObjectReader::DropAll() {
  parts_.clear();
}

void ObjectReader::Plan(uint64_t offset, uint64_t required_end, uint64_t target_end,
                        uint64_t window) {
  uint64_t pos = offset;
  while (pos < target_end) {
    // A part already covering pos (parts never overlap; find the last starting at or before).
    auto it = parts_.upper_bound(pos);
    if (it != parts_.begin()) {
      auto prev = std::prev(it);
      if (prev->second->first + prev->second->length > pos) {
        pos = prev->second->first + prev->second->length;
        continue;
      }
    }
    bool required = pos < required_end;
    // What a read waits for is fetched with the start of the window; read-ahead goes in whole
    // parts, so a reader advancing by small reads does not turn into as many small GETs.
    uint64_t end = pos + options_.part_bytes;
    if (required) {
      uint64_t needed = required_end - pos;
      end = pos + std::max(needed, std::min(window, options_.part_bytes));
    }
    end = std::min(end, size_);
    if (it != parts_.end()) end = std::min(end, it->first);
    auto part = StartPart(pos, end - pos, required);
    if (!part) return;  // budget used up: no more read-ahead for now
    parts_.emplace(pos, std::move(part));
    pos = end;
  }
}

Result<std::string> ObjectReader::Read(uint64_t offset, uint64_t size) {
  std::lock_guard read_lock(read_mu_);
  if (offset >= size_ || size == 0) return std::string();
  size = std::min(size, size_ - offset);
  uint64_t window = window_.OnRead(offset, size);
  if (!window_.last_sequential()) {
    // Random access: read-ahead elsewhere is wasted; keep only what covers this read.
    std::erase_if(parts_, [&](const auto& kv) {
      const Part& p = *kv.second;
      return p.first + p.length <= offset || p.first >= offset + size;
    });
  }
  DropBefore(offset);
  uint64_t required_end = offset + size;
  if (!window_.last_sequential()) {
    Plan(offset, required_end, required_end, options_.random_fetch_bytes);
  } else {
    Plan(offset, required_end, std::min(size_, required_end + window), window);
  }

  std::string out;
  out.reserve(size);
  uint64_t pos = offset;
  while (pos < required_end) {
    auto it = parts_.upper_bound(pos);
    if (it == parts_.begin()) return Status::Internal("reader: no part covers the read");
    std::shared_ptr<Part> part = std::prev(it)->second;
    if (part->first + part->length <= pos) return Status::Internal("reader: gap in parts");
    std::unique_lock lock(part->mu);
    part->cv.wait(lock, [&] { return part->done; });
    if (!part->status.ok()) {
      Status s = part->status;
      lock.unlock();
      parts_.erase(part->first);  // a later read tries again
      return s;
    }
    uint64_t from = pos - part->first;
    uint64_t n = std::min(required_end, part->first + part->length) - pos;
    out.append(part->data, from, n);
    pos += n;
  }
  return out;
}

}  // namespace thaw::fs
