// Prefetch window, fetch pool, read-ahead budget and the per-file reader (see prefetch.h).
#include "fs/prefetch.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace thaw::fs {

uint64_t PrefetchWindow::OnRead(uint64_t offset, uint64_t size) {
  // The kernel's readahead sends several reads at once and FUSE threads may hand them over out
  // of order: a read up to one window behind where the last one ended, or a little ahead of it,
  // still counts as sequential. Only a little ahead: a reader jumping within a large first
  // window (an HDF5 header, then chunks) is random, not a run that consumed the skipped bytes.
  uint64_t lo = next_offset_ > window_ ? next_offset_ - window_ : 0;
  uint64_t ahead = std::min(window_, kReorderBytes);
  last_sequential_ = offset >= lo && offset <= next_offset_ + ahead;
  if (last_sequential_) {
    next_offset_ = std::max(next_offset_, offset + size);
    uint64_t consumed = next_offset_ - std::min(next_offset_, run_start_);
    window_ = std::min(max_, std::max(window_, start_ + kGrowth * consumed));
  } else {
    start_ = window_ = min_;
    run_start_ = offset;
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

void FetchPool::Submit(std::function<void()> task, uint64_t priority) {
  {
    std::lock_guard lock(mu_);
    queue_.push(Task{priority, seq_++, std::move(task)});
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
      // top() is const: the task is moved out through a cast, then popped at once.
      task = std::move(const_cast<Task&>(queue_.top()).run);
      queue_.pop();
    }
    task();
  }
}

bool PrefetchBudget::TryAcquire(uint64_t n, Share* share) {
  std::lock_guard lock(mu_);
  if (used_ + n > limit_) return false;
  if (share != nullptr) {
    int holders = active_shares_ + (share->held == 0 ? 1 : 0);
    if (share->held > 0 && share->held + n > limit_ / static_cast<uint64_t>(holders)) return false;
    if (share->held == 0) ++active_shares_;
    share->held += n;
  }
  used_ += n;
  return true;
}

void PrefetchBudget::ForceAcquire(uint64_t n) {
  std::lock_guard lock(mu_);
  used_ += n;
}

void PrefetchBudget::Release(uint64_t n, Share* share) {
  std::lock_guard lock(mu_);
  used_ -= std::min(used_, n);
  if (share != nullptr && share->held > 0) {
    share->held -= std::min(share->held, n);
    if (share->held == 0) --active_shares_;
  }
}

uint64_t PrefetchBudget::used() const {
  std::lock_guard lock(mu_);
  return used_;
}

std::string PrefetchBudget::TakeBuffer(uint64_t n) {
  {
    std::lock_guard lock(mu_);
    // The smallest kept buffer that is large enough, and not much larger: the budget counts
    // a part's length, so a small part must not sit on a large buffer.
    auto best = idle_.end();
    for (auto it = idle_.begin(); it != idle_.end(); ++it) {
      if (it->capacity() >= n && it->capacity() <= 2 * n &&
          (best == idle_.end() || it->capacity() < best->capacity())) {
        best = it;
      }
    }
    if (best != idle_.end()) {
      std::string out = std::move(*best);
      idle_bytes_ -= out.capacity();
      idle_.erase(best);
      out.clear();
      return out;
    }
  }
  std::string out;
  out.reserve(n);
  return out;
}

void PrefetchBudget::GiveBuffer(std::string buffer) {
  uint64_t cap = buffer.capacity();
  if (cap < (64 << 10)) return;  // small ones are cheap to allocate
  std::lock_guard lock(mu_);
  // Room is made by dropping the smallest kept buffers: large ones are the expensive ones.
  while (idle_bytes_ + cap > idle_limit_ && !idle_.empty()) {
    auto smallest = std::min_element(idle_.begin(), idle_.end(), [](const auto& a, const auto& b) {
      return a.capacity() < b.capacity();
    });
    if (smallest->capacity() >= cap) return;
    idle_bytes_ -= smallest->capacity();
    idle_.erase(smallest);
  }
  if (idle_bytes_ + cap > idle_limit_) return;
  idle_bytes_ += cap;
  idle_.push_back(std::move(buffer));
}

uint64_t PrefetchBudget::idle_bytes() const {
  std::lock_guard lock(mu_);
  return idle_bytes_;
}

uint64_t ReadData::size() const {
  uint64_t n = 0;
  for (auto p : pieces) n += p.size();
  return n;
}

std::string ReadData::ToString() const {
  std::string out;
  out.reserve(size());
  for (auto p : pieces) out.append(p);
  return out;
}

// One ranged GET and its bytes. Holds its size against the budget until destroyed, then
// hands its buffer back.
struct ObjectReader::Part {
  Part(PrefetchBudget& b, uint64_t f, uint64_t l, std::shared_ptr<PrefetchBudget::Share> s)
      : budget(b), share(std::move(s)), first(f), length(l) {}
  ~Part() {
    budget.GiveBuffer(std::move(data));
    budget.Release(length, share.get());
  }
  PrefetchBudget& budget;
  const std::shared_ptr<PrefetchBudget::Share> share;  // null for a part a read waited for
  const uint64_t first, length;
  bool required = false;  // a read waits for it (set before it is shared)
  std::mutex mu;          // guards done, status, data
  std::condition_variable cv;
  bool done = false;
  Status status;
  std::string data;
};

namespace {

// A file up to first_window_bytes is fetched whole by its first read; a larger one starts at a
// quarter of that and grows with what is read: a reader of its first megabytes (a header, `head`)
// does not pull 32 MiB, whose bytes would also compete with the ones it waits for.
uint64_t FirstWindow(const ReadOptions& options, uint64_t size) {
  if (size <= options.first_window_bytes) return size;
  return std::max(options.min_window_bytes, options.first_window_bytes / 4);
}

}  // namespace

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
      cache_object_(cache != nullptr ? DiskCache::ObjectId(bucket_, key_, etag_) : std::string()),
      window_(options.min_window_bytes, options.max_window_bytes, FirstWindow(options, size)) {}

ObjectReader::~ObjectReader() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return running_ == 0; });
}

int ObjectReader::gets_started() const {
  std::lock_guard lock(const_cast<std::mutex&>(mu_));
  return gets_started_;
}

std::shared_ptr<ObjectReader::Part> ObjectReader::NewPart(uint64_t first, uint64_t length,
                                                          bool required) {
  if (required) {
    budget_.ForceAcquire(length);
  } else if (!budget_.TryAcquire(length, share_.get())) {
    return nullptr;
  }
  auto part = std::make_shared<Part>(budget_, first, length, required ? nullptr : share_);
  part->required = required;
  std::lock_guard lock(mu_);
  ++running_;
  ++gets_started_;
  return part;
}

void ObjectReader::Submit(std::shared_ptr<Part> part, uint64_t priority) {
  pool_.Submit([this, part]() mutable { Run(std::move(part)); }, priority);
}

void ObjectReader::Run(std::shared_ptr<Part> part) {
  Status status;
  std::string data;
  Fetch(part, &status, &data);
  Finish(std::move(part), std::move(status), std::move(data));
}

void ObjectReader::Launch(const std::vector<std::shared_ptr<Part>>& parts, uint64_t offset) {
  // The first part this read waits for is fetched on the reading thread itself: no hand-over
  // to a fetch thread and back (two wake-ups, milliseconds on a busy machine), and the idle
  // pooled connection goes to it. Other parts it waits for go to the head of the pool's queue
  // at once; read-ahead behind them, nearest first, before this thread starts its own GET.
  std::shared_ptr<Part> own;
  for (const auto& p : parts) {
    if (!p->required) continue;
    if (!own) {
      own = p;
    } else {
      Submit(p, 0);
    }
  }
  for (const auto& p : parts) {
    if (!p->required) Submit(p, p->first > offset ? p->first - offset : 0);
  }
  if (own) Run(std::move(own));
}

void ObjectReader::Fetch(const std::shared_ptr<Part>& part, Status* status, std::string* data) {
  *data = budget_.TakeBuffer(part->length);
  if (cache_ != nullptr && cache_->Read(cache_object_, part->first, part->length, data)) return;
  s3::GetObjectRequest req;
  req.bucket = bucket_;
  req.key = key_;
  req.range = s3::ByteRange{part->first, part->first + part->length - 1};
  req.if_match = etag_;
  // The body goes straight into the part's buffer, sized for it: no growing, no second copy.
  // (A retry after a broken transfer asks only for the rest.)
  req.sink = [&](std::string_view chunk) {
    if (data->size() + chunk.size() > part->length) {
      return Status::DataLoss("GetObject s3://" + bucket_ + "/" + key_ + ": more than the " +
                              std::to_string(part->length) + " bytes asked for at " +
                              std::to_string(part->first));
    }
    data->append(chunk);
    return Status::Ok();
  };
  auto got = client_.GetObject(req);
  if (!got.ok()) {
    *status = got.status();
  } else if (data->size() != part->length) {
    *status = Status::DataLoss(
        "GetObject s3://" + bucket_ + "/" + key_ + ": asked for " + std::to_string(part->length) +
        " bytes at " + std::to_string(part->first) + ", got " + std::to_string(data->size()));
  }
  if (!status->ok()) {
    data->clear();
    return;
  }
  if (cache_ != nullptr) cache_->Put(cache_object_, part->first, *data);
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

uint64_t ObjectReader::PartFor(uint64_t window) const {
  return std::clamp<uint64_t>(window / 16, std::min(options_.min_part_bytes, options_.part_bytes),
                              options_.part_bytes);
}

void ObjectReader::Plan(uint64_t offset, uint64_t required_end, uint64_t target_end,
                        uint64_t required_part, uint64_t ahead_part,
                        std::vector<std::shared_ptr<Part>>* started) {
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
    // What a read waits for goes out in parts of its own size, in parallel; read-ahead in
    // whole parts, so a reader advancing by small reads does not turn into as many small GETs.
    uint64_t end = pos + std::max<uint64_t>(1, required ? required_part : ahead_part);
    end = std::min(end, size_);
    if (it != parts_.end()) end = std::min(end, it->first);
    auto part = NewPart(pos, end - pos, required);
    if (!part) break;  // budget used up: no more read-ahead for now
    parts_.emplace(pos, part);
    started->push_back(std::move(part));
    pos = end;
  }
  planned_any_ = true;
}

Result<ReadData> ObjectReader::ReadSlices(uint64_t offset, uint64_t size) {
  ReadData out;
  std::vector<std::shared_ptr<Part>> need, started;
  uint64_t required_end;
  Status planned;
  {
    std::lock_guard read_lock(read_mu_);
    if (offset >= size_ || size == 0) return out;
    size = std::min(size, size_ - offset);
    uint64_t window = window_.OnRead(offset, size);
    required_end = offset + size;
    if (!window_.last_sequential()) {
      // Random access: read-ahead elsewhere is wasted; keep only what covers this read.
      std::erase_if(parts_, [&](const auto& kv) {
        const Part& p = *kv.second;
        return p.first + p.length <= offset || p.first >= required_end;
      });
      DropBefore(offset);
      Plan(offset, required_end, required_end, options_.random_fetch_bytes,
           options_.random_fetch_bytes, &started);
    } else {
      // Reads of one file arrive from several FUSE threads slightly out of order: a part just
      // behind this read stays a little longer, so a late read still finds it.
      uint64_t slack = options_.min_window_bytes;
      DropBefore(offset > slack ? offset - slack : 0);
      // The first GET of a file only has to bring the first bytes: small, so they come quickly.
      // Parts are sized to the window, or to the whole file when it is smaller, so a small file
      // also goes out as parallel GETs (but a large file's tail not as ever smaller ones).
      uint64_t ahead = PartFor(std::min(window, size_));
      uint64_t required_part = planned_any_ ? ahead : options_.first_part_bytes;
      Plan(offset, required_end, std::min(size_, required_end + window), required_part, ahead,
           &started);
    }
    uint64_t pos = offset;
    while (pos < required_end) {
      auto it = parts_.upper_bound(pos);
      const Part* part = it == parts_.begin() ? nullptr : std::prev(it)->second.get();
      if (part == nullptr || part->first + part->length <= pos) {
        planned = Status::Internal("reader: no part covers byte " + std::to_string(pos));
        break;
      }
      need.push_back(std::prev(it)->second);
      pos = part->first + part->length;
    }
  }
  // Fetching and waiting happen without the reader's lock: other reads of this file go on.
  Launch(started, offset);  // even after an error: every part counted as running must run
  THAW_RETURN_IF_ERROR(planned);
  uint64_t pos = offset;
  for (auto& part : need) {
    {
      std::unique_lock lock(part->mu);
      part->cv.wait(lock, [&] { return part->done; });
    }
    if (!part->status.ok()) {
      std::lock_guard read_lock(read_mu_);
      auto it = parts_.find(part->first);
      if (it != parts_.end() && it->second == part) parts_.erase(it);  // a later read tries again
      return part->status;
    }
    uint64_t from = pos - part->first;
    uint64_t n = std::min(required_end, part->first + part->length) - pos;
    out.pieces.emplace_back(part->data.data() + from, n);
    out.keep.push_back(std::move(part));
    pos += n;
  }
  return out;
}

Result<std::string> ObjectReader::Read(uint64_t offset, uint64_t size) {
  THAW_ASSIGN_OR_RETURN(ReadData data, ReadSlices(offset, size));
  return data.ToString();
}

}  // namespace thaw::fs
