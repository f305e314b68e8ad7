// Prefetch window, fetch pool, read-ahead budget and the per-file reader (see prefetch.h).
#include "fs/prefetch.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>

namespace thaw::fs {

uint64_t PrefetchWindow::OnRead(uint64_t offset, uint64_t size) {
  // The kernel's readahead sends several reads at once and FUSE threads may hand them over out
  // of order: a read up to one window behind where the last one ended, or a little ahead of it,
  // still counts as sequential. Only a little ahead: a reader jumping within a large first
  // window (an HDF5 header, then chunks) is random, not a run that consumed the skipped bytes.
  if (first_read_ && offset == 0 && size >= kBulkReadBytes) start_ = window_ = bulk_start_;
  first_read_ = false;
  uint64_t lo = next_offset_ > window_ ? next_offset_ - window_ : 0;
  // A run that began mid-file (dd skip=, a reader of one quarter) began with the kernel's
  // readahead of its first read, whose reads arrive out of order: the first to arrive may be
  // its last. Reads a little before where the run began belong to it, not to a new random one.
  lo = std::min(lo, run_start_ > kReorderBytes ? run_start_ - kReorderBytes : 0);
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

FetchPool::FetchPool(int threads, Clock& clock) : clock_(clock) {
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
// gives its chunks back.
struct ObjectReader::Part {
  Part(PrefetchBudget& b, uint64_t f, uint64_t l, std::shared_ptr<PrefetchBudget::Share> s)
      : budget(b), share(std::move(s)), first(f), length(l), data(b.chunks()) {}
  ~Part() {
    data.Clear();
    budget.Release(length, share.get());
  }
  PrefetchBudget& budget;
  const std::shared_ptr<PrefetchBudget::Share> share;  // null for a part a read waited for
  const uint64_t first, length;
  bool required = false;  // planned for a read that waits for it (set before it is shared)
  bool started = false;   // submitted or running (guarded by the reader's mu_)
  bool ahead = false;     // started as read-ahead, counted in running_ahead_ (the reader's mu_)
  // Set when its GET stands in for the mount's probe (LinkEstimate::TakeFirstGet).
  std::shared_ptr<LinkEstimate::FirstGet> judge;
  std::mutex mu;  // guards done, status, filled, wanted
  std::condition_variable cv;
  bool done = false;
  Status status;
  // Bytes of data a reader may use: a read waits for the bytes it needs, not for the whole part
  // (a part of megabytes streams in for tens of milliseconds). Only the fetching thread writes
  // data, and never below `filled`; room for all of it is reserved, so slices stay valid.
  uint64_t filled = 0;
  uint64_t wanted = UINT64_MAX;  // the least `filled` a waiting reader needs
  ChunkBuffer data;
};

namespace {

// A file up to first_window_bytes is fetched whole by its first read; a larger one starts at a
// quarter of that and grows with what is read: a reader of its first kilobytes (a header, `head`)
// does not pull 32 MiB, whose bytes would also compete with the ones it waits for.
uint64_t FirstWindow(const ReadOptions& options, uint64_t size) {
  if (size <= options.first_window_bytes) return size;
  return std::max(options.min_window_bytes, options.first_window_bytes / 4);
}

// A bulk first read (PrefetchWindow::kBulkReadBytes) of a larger file gets the whole first
// window: with 20 ms per GET a quarter of it (16 parts of 768 KiB) caps the first round trips at
// about 430 MiB/s, and the first 64 MiB of a big file read 20% faster with the whole one.
uint64_t BulkFirstWindow(const ReadOptions& options, uint64_t size) {
  return std::min(size, options.first_window_bytes);
}

}  // namespace

ObjectReader::ObjectReader(s3::S3Client& client, FetchPool& pool, PrefetchBudget& budget,
                           const ReadOptions& options, std::string bucket, std::string key,
                           std::string etag, uint64_t size, DiskCache* cache,
                           std::shared_ptr<EarlyGet> early)
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
      window_(options.min_window_bytes, options.max_window_bytes, FirstWindow(options, size),
              BulkFirstWindow(options, size)),
      rate_(pool.clock()),
      early_(std::move(early)) {}

ObjectReader::~ObjectReader() {
  std::unique_lock lock(mu_);
  pending_.clear();
  idle_cv_.wait(lock, [&] { return running_ == 0; });
}

int ObjectReader::gets_started() const {
  std::lock_guard lock(const_cast<std::mutex&>(mu_));
  return gets_started_;
}

void ObjectReader::WaitIdle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return running_ == 0; });
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
  return part;
}

void ObjectReader::StartAheadLocked(std::vector<std::shared_ptr<Part>>* out) {
  int limit = std::max(1, options_.parallel_gets);
  while (running_ahead_ < limit && !pending_.empty()) {
    auto part = std::move(pending_.begin()->second);
    pending_.erase(pending_.begin());
    part->started = part->ahead = true;
    ++running_ahead_;
    ++running_;
    ++gets_started_;
    out->push_back(std::move(part));
  }
}

void ObjectReader::Unplan(const std::shared_ptr<Part>& part) {
  std::lock_guard lock(mu_);
  auto it = pending_.find(part->first);
  if (it != pending_.end() && it->second == part) pending_.erase(it);
}

void ObjectReader::Submit(std::shared_ptr<Part> part, uint64_t priority) {
  pool_.Submit([this, part]() mutable { Run(std::move(part)); }, priority);
}

void ObjectReader::Run(std::shared_ptr<Part> part) {
  Status status;
  Fetch(part, &status);
  Finish(std::move(part), std::move(status));
}

void ObjectReader::Launch(const std::vector<std::shared_ptr<Part>>& planned,
                          const std::vector<std::shared_ptr<Part>>& need, uint64_t offset) {
  std::vector<std::shared_ptr<Part>> wait, ahead;
  {
    std::lock_guard lock(mu_);
    reader_at_ = offset;
    for (const auto& p : planned) {
      if (!p->required) pending_.emplace(p->first, p);
    }
    // What this read waits for starts now, whether planned for it or as read-ahead not yet
    // started, and outside the read-ahead limit.
    for (const auto& p : need) {
      if (p->started) continue;
      auto it = pending_.find(p->first);
      if (it != pending_.end() && it->second == p) pending_.erase(it);
      p->started = true;
      ++running_;
      ++gets_started_;
      wait.push_back(p);
    }
    StartAheadLocked(&ahead);
  }
  // The first part this read waits for is fetched on the reading thread itself: no hand-over
  // to a fetch thread and back (two wake-ups, milliseconds on a busy machine), and the idle
  // pooled connection goes to it. Other parts it waits for go to the head of the pool's queue
  // at once; read-ahead behind them, nearest first, before this thread starts its own GET.
  for (size_t i = 1; i < wait.size(); ++i) Submit(wait[i], 0);
  for (const auto& p : ahead) Submit(p, p->first > offset ? p->first - offset : 0);
  if (!wait.empty()) Run(wait.front());
}

void ObjectReader::Fetch(const std::shared_ptr<Part>& part, Status* status) {
  uint64_t timed = FetchBytes(part, status);
  if (part->judge) part->judge->Ended(timed);
}

uint64_t ObjectReader::FetchBytes(const std::shared_ptr<Part>& part, Status* status) {
  ChunkBuffer& data = part->data;
  data.Reserve(part->length);
  if (cache_ != nullptr && cache_->Read(cache_object_, part->first, part->length, &data)) {
    Publish(*part);
    return 0;
  }
  if (auto early_get = TakeEarly(*part)) {
    auto early = early_get->Bytes(etag_, size_);
    DoneWithEarly(early ? part->length : 0);
    if (early) {
      data.Append(early->substr(part->first, part->length));
      Publish(*part);
      if (cache_ != nullptr) {
        cache_->Put(cache_object_, part->first, early->substr(part->first, part->length));
      }
      return 0;
    }
  }
  s3::GetObjectRequest req;
  req.bucket = bucket_;
  req.key = key_;
  req.range = s3::ByteRange{part->first, part->first + part->length - 1};
  req.if_match = etag_;
  // The body goes straight into the part's chunks (no second copy) and is readable as it comes.
  // A retry after a broken transfer asks only for the rest; bytes published stay valid even if
  // the GET fails later (If-Match pins them to one version).
  // Timed for the link estimate: from sending to the first byte, and to the last.
  Clock& clock = pool_.clock();
  auto t0 = clock.Now();
  std::optional<Clock::TimePoint> t1;
  req.sink = [&](std::string_view chunk) {
    if (!t1) {
      t1 = clock.Now();
      if (part->judge) part->judge->FirstByte();
    }
    if (data.size() + chunk.size() > part->length) {
      return Status::DataLoss("GetObject s3://" + bucket_ + "/" + key_ + ": more than the " +
                              std::to_string(part->length) + " bytes asked for at " +
                              std::to_string(part->first));
    }
    data.Append(chunk);
    Publish(*part);
    return Status::Ok();
  };
  if (part->judge) part->judge->Sent();
  auto got = client_.GetObject(req);
  const bool timed = got.ok() && t1 && data.size() == part->length;
  if (timed) pool_.link().OnGet(part->length, *t1 - t0, clock.Now() - *t1);
  if (!got.ok()) {
    *status = got.status();
  } else if (data.size() != part->length) {
    *status = Status::DataLoss(
        "GetObject s3://" + bucket_ + "/" + key_ + ": asked for " + std::to_string(part->length) +
        " bytes at " + std::to_string(part->first) + ", got " + std::to_string(data.size()));
  }
  if (status->ok() && cache_ != nullptr) {
    std::vector<std::string_view> pieces;
    data.Slices(0, data.size(), &pieces);
    cache_->Put(cache_object_, part->first, pieces);
  }
  return timed ? part->length : 0;
}

std::shared_ptr<EarlyGet> ObjectReader::TakeEarly(const Part& part) {
  std::lock_guard lock(mu_);
  if (early_ == nullptr || part.first + part.length > early_->Covers(size_)) return nullptr;
  return early_;
}

void ObjectReader::DoneWithEarly(uint64_t served) {
  std::lock_guard lock(mu_);
  if (early_ == nullptr) return;
  early_served_ += served;
  if (served == 0 || early_served_ >= early_->Covers(size_)) early_.reset();
}

void ObjectReader::Publish(Part& part) {
  bool wake;
  {
    std::lock_guard lock(part.mu);
    part.filled = part.data.size();
    wake = part.filled >= part.wanted;
    // Every waiter wakes and asks again for what it still needs.
    if (wake) part.wanted = UINT64_MAX;
  }
  if (wake) part.cv.notify_all();
}

void ObjectReader::Finish(std::shared_ptr<Part> part, Status status) {
  {
    std::lock_guard lock(part->mu);
    part->status = std::move(status);
    part->done = true;
  }
  part->cv.notify_all();
  std::vector<std::shared_ptr<Part>> next;
  uint64_t at;
  {
    std::lock_guard lock(mu_);
    if (part->ahead) --running_ahead_;
    StartAheadLocked(&next);
    at = reader_at_;
  }
  part.reset();  // before running_ drops: a reader that has let go of it frees its budget now
  for (const auto& p : next) Submit(p, p->first > at ? p->first - at : 0);
  std::lock_guard lock(mu_);
  if (--running_ == 0) idle_cv_.notify_all();
}

void ObjectReader::DropBefore(uint64_t offset) {
  while (!parts_.empty()) {
    auto it = parts_.begin();
    if (it->second->first + it->second->length > offset) break;
    Unplan(it->second);
    parts_.erase(it);
  }
}

uint64_t ObjectReader::FitToLink(uint64_t window, uint64_t* ahead_part) {
  auto rate = rate_.BytesPerSecond();
  if (!rate) return window;
  auto get_time = pool_.link().GetTime(*ahead_part);
  if (!get_time || rate_.active() < kRampGets * *get_time) return window;
  uint64_t fit = std::max({options_.min_window_bytes, window_.run_start_window(),
                           ReadAheadFor(*rate, *get_time, *ahead_part)});
  if (fit >= window) return window;
  // Few large parts rather than many small ones: on a link this fast the per-GET cost counts,
  // and fewer GETs at once leave more of it to the one the reader waits for.
  uint64_t least_part = std::min(options_.min_part_bytes, options_.part_bytes);
  *ahead_part = std::max(least_part, std::min(*ahead_part, fit / 2));
  return fit;
}

bool ObjectReader::FitToGetCost(uint64_t offset, uint64_t* ahead_part, uint64_t* required_part) {
  bool early_covers = false;  // the first read's own parts come from the early GET's bytes
  std::shared_ptr<EarlyGet> early;
  if (!planned_any_) {
    std::lock_guard lock(mu_);
    if (early_ != nullptr && offset < early_->Covers(size_)) early = early_;
    early_covers = early != nullptr;
  }
  // A file whose GETs could judge the link (a body of kRateMinBytes at least from here).
  const bool long_enough = size_ - offset >= LinkEstimate::kRateMinBytes;
  // A new mount's first read, before the probe (link_probe.h) has sent anything: its first GET
  // judges the link in the probe's place, sent alone and large enough to time a rate; the
  // read-ahead waits for the verdict (the next read asks for it).
  if (!planned_any_ && !early_covers && long_enough) {
    if (auto judge = pool_.link().TakeFirstGet()) {
      judge_ = std::move(judge);
      judging_link_ = true;
      *required_part = std::max(*required_part, LinkEstimate::kRateMinBytes);
      return true;
    }
  }
  // Otherwise a new mount's first read not covered by an early GET waits for the probe's
  // verdict if it may still come: its parts may be all this file's GETs.
  const bool wait = !early_covers && ((!planned_any_ && long_enough) || judging_link_);
  judging_link_ = false;
  auto least = pool_.link().LeastPartBytes(/*wait_for_prior=*/wait);
  // Asked only while the mount knows nothing better (it waits a little on a new mount).
  if (early_covers && !least) {
    early_least_ = early->LeastPartBytes();
    // One GET cannot tell whether the endpoint serves GETs side by side or one at a time: the
    // probe's verdict where it has one, else a least part between the two. Not waiting for the
    // probe: against a server that serves GETs one at a time its GETs would go ahead.
    if (early_least_ && *early_least_ > options_.min_part_bytes) {
      auto probed = pool_.link().LeastPartBytes(/*wait_for_prior=*/false);
      early_least_ = probed ? std::max(*early_least_, *probed) : LeastPartOfOneGet(*early_least_);
    }
  }
  if (!least) least = early_least_;
  if (!least || *least <= options_.min_part_bytes) return false;
  uint64_t part = std::min(*least, std::max(options_.part_bytes, options_.max_window_bytes / 4));
  *ahead_part = std::max(*ahead_part, part);
  if (!early_covers) *required_part = std::max(*required_part, part);
  return false;
}

uint64_t ObjectReader::PartFor(uint64_t window) const {
  return std::clamp<uint64_t>(window / static_cast<uint64_t>(std::max(1, options_.window_parts)),
                              std::min(options_.min_part_bytes, options_.part_bytes),
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
    bool new_run = !planned_any_;
    bool judge = false;  // this read's first part judges the link (FitToGetCost)
    uint64_t window = window_.OnRead(offset, size);
    required_end = offset + size;
    if (new_run || !window_.last_sequential()) rate_.Restart();
    rate_.OnConsumed(window_.consumed());
    if (!window_.last_sequential()) {
      // Random access: read-ahead elsewhere is wasted; keep only what covers this read.
      std::erase_if(parts_, [&](const auto& kv) {
        const Part& p = *kv.second;
        bool drop = p.first + p.length <= offset || p.first >= required_end;
        if (drop) Unplan(kv.second);
        return drop;
      });
      DropBefore(offset);
      // Where every GET costs much more than its bytes, a read's own bytes go out in one GET,
      // not in random_fetch_bytes pieces (a reader starting mid-file: dd skip=, one quarter).
      uint64_t part = options_.random_fetch_bytes;
      uint64_t costly = part;
      uint64_t unused = part;
      judge = FitToGetCost(offset, &unused, &costly);
      if (judge) {
        part = std::max(part, costly);  // the GET that judges the link, whole
      } else if (costly > part) {
        part = std::max(part, std::min(costly, size));
      }
      Plan(offset, required_end, required_end, part, part, &started);
    } else {
      // Reads of one file arrive from several FUSE threads slightly out of order: a part just
      // behind this read stays a little longer, so a late read still finds it.
      uint64_t slack = options_.min_window_bytes;
      DropBefore(offset > slack ? offset - slack : 0);
      // The first GET of a file only has to bring the first bytes: small, so they come quickly.
      // Parts are sized to the window, or to the whole file when it is smaller, so a small file
      // also goes out as parallel GETs (but a large file's tail not as ever smaller ones).
      uint64_t ahead = PartFor(std::min(window, size_));
      window = FitToLink(window, &ahead);
      uint64_t required_part = planned_any_ ? ahead : options_.first_part_bytes;
      judge = FitToGetCost(offset, &ahead, &required_part);
      Plan(offset, required_end, judge ? required_end : std::min(size_, required_end + window),
           required_part, ahead, &started);
    }
    if (judge) {
      if (!started.empty() && started.front()->first == offset) {
        started.front()->judge = std::move(judge_);
      } else {
        judge_->Ended(0);  // no GET of this read's to judge by
      }
      judge_.reset();
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
  Launch(started, need, offset);
  THAW_RETURN_IF_ERROR(planned);
  uint64_t pos = offset;
  for (auto& part : need) {
    uint64_t from = pos - part->first;
    uint64_t n = std::min(required_end, part->first + part->length) - pos;
    Status failed;
    {
      std::unique_lock lock(part->mu);
      while (part->filled < from + n && !part->done) {
        part->wanted = std::min(part->wanted, from + n);
        part->cv.wait(lock);
      }
      if (part->filled < from + n) {
        failed = part->status.ok() ? Status::Internal("reader: a part ended short") : part->status;
      }
    }
    if (!failed.ok()) {
      std::lock_guard read_lock(read_mu_);
      auto it = parts_.find(part->first);
      if (it != parts_.end() && it->second == part) parts_.erase(it);  // a later read tries again
      return failed;
    }
    part->data.Slices(from, n, &out.pieces);
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
