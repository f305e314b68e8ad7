// Early GETs (early_get.h).
#include "fs/early_get.h"

#include <utility>

#include "fs/prefetch.h"

namespace thaw::fs {

void EarlyGet::Run() {
  {
    std::lock_guard lock(mu_);
    if (claimed_ || client_ == nullptr) return;
    claimed_ = true;
    sent_ = clock_->Now();
  }
  // A new mount's first GET of a MiB or more stands in for the mount's probe (link_probe.h).
  std::shared_ptr<LinkEstimate::FirstGet> judge;
  if (link_ != nullptr && bytes_ >= LinkEstimate::kRateMinBytes) judge = link_->TakeFirstGet();
  // The body comes through a sink so that its first byte is timed (a retry resumes pinned to
  // the first answer's ETag: http_client.cc) and goes into the result as without one.
  s3::GetObjectRequest req = req_;
  std::string body;
  bool first = true;
  req.sink = [&](std::string_view chunk) {
    if (first) {
      first = false;
      if (judge) judge->FirstByte();
      {
        std::lock_guard lock(mu_);
        first_byte_ = clock_->Now();
        timed_ = true;
      }
      cv_.notify_all();
    }
    body.append(chunk);
    return Status::Ok();
  };
  if (judge) judge->Sent();
  auto got = client_->GetObject(req);
  Clock::TimePoint last = clock_->Now();
  std::optional<LinkEstimate::Duration> ttfb, body_time;
  if (got.ok()) {
    got->body = std::move(body);
    std::lock_guard lock(mu_);
    last_byte_ = last;
    if (timed_) {
      ttfb = first_byte_ - sent_;
      body_time = last_byte_ - first_byte_;
    }
  }
  if (link_ != nullptr && ttfb) link_->OnGet(got->body.size(), *ttfb, *body_time);
  if (judge) judge->Ended(ttfb ? got->body.size() : 0);
  Finish(std::move(got));
}

std::optional<uint64_t> EarlyGet::LeastPartBytes() {
  std::unique_lock lock(mu_);
  if (!claimed_ || clock_ == nullptr) return std::nullopt;
  cv_.wait(lock, [&] { return timed_ || done_; });
  if (!timed_) return std::nullopt;  // failed before its first byte
  auto ttfb = first_byte_ - sent_;
  auto within = std::chrono::duration_cast<Clock::Duration>(ttfb * LinkEstimate::kLeastPartShare);
  clock_->WaitUntil(lock, cv_, first_byte_ + within, [&] { return done_; });
  if (!done_ || !result_->ok()) return std::nullopt;
  uint64_t bytes = (*result_)->body.size();
  if (bytes < LinkEstimate::kRateMinBytes) return std::nullopt;
  return LeastPartFor(bytes, ttfb, last_byte_ - first_byte_);
}

void EarlyGet::Cancel() {
  {
    std::lock_guard lock(mu_);
    if (claimed_ || client_ == nullptr) return;
    claimed_ = true;
  }
  Finish(Status::Cancelled("early GET of " + req_.key + " dropped before it was sent"));
}

void EarlyGet::Finish(Result<s3::GetObjectResult> result) {
  {
    std::lock_guard lock(mu_);
    result_ = std::move(result);
    done_ = true;
  }
  cv_.notify_all();
}

std::optional<std::string_view> EarlyGet::Bytes(const std::string& etag, uint64_t size) {
  Run();  // still queued behind other fetches: the reader sends it now
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_; });
  if (!result_->ok()) return std::nullopt;
  const s3::GetObjectResult& got = **result_;
  // A ranged GET says the object's size in Content-Range; one that covered all of a small
  // object may answer 200 without it.
  uint64_t total = got.total_size.value_or(got.body.size());
  if (got.info.etag != etag || total != size || got.body.size() != Covers(size)) {
    return std::nullopt;
  }
  return std::string_view(got.body);
}

EarlyGets::EarlyGets(s3::S3Client& client, FetchPool& pool, std::string bucket, uint64_t bytes,
                     Clock& clock)
    : client_(client), pool_(pool), bucket_(std::move(bucket)), bytes_(bytes), clock_(clock) {}

std::map<std::string, EarlyGets::Held>::iterator EarlyGets::EraseLocked(
    std::map<std::string, Held>::iterator it, bool cancel) {
  if (cancel) it->second.get->Cancel();
  if (it->second.prefetch_bytes == 0) {
    --lookups_held_;
  } else {
    prefetch_bytes_ -= it->second.prefetch_bytes;
  }
  return held_.erase(it);
}

void EarlyGets::PruneLocked(Clock::TimePoint now) {
  for (auto it = held_.begin(); it != held_.end();) {
    auto max_age = it->second.prefetch_bytes == 0 ? kMaxAge : kPrefetchMaxAge;
    it = now - it->second.sent >= max_age ? EraseLocked(it, true) : std::next(it);
  }
}

void EarlyGets::Start(const std::string& key) {
  if (bytes_ == 0 || key.empty() || key.back() == '/') return;
  s3::GetObjectRequest req;
  req.bucket = bucket_;
  req.key = key;
  req.range = s3::ByteRange{0, bytes_ - 1};
  auto get = std::make_shared<EarlyGet>(bytes_, client_, std::move(req), clock_, &pool_.link());
  {
    std::lock_guard lock(mu_);
    Clock::TimePoint now = clock_.Now();
    PruneLocked(now);
    if (lookups_held_ >= kMaxHeld || held_.count(key) != 0) return;
    held_.emplace(key, Held{get, now});
    ++lookups_held_;
    ++started_;
  }
  // At the head of the pool's queue: a reader may be about to wait for these bytes.
  // The task holds the GET (whose client outlives the mount), not this registry.
  pool_.Submit([get] { get->Run(); }, 0);
}

bool EarlyGets::Prefetch(const std::string& key, const std::string& etag, uint64_t size,
                         uint64_t priority) {
  uint64_t bytes = std::min(bytes_, size);
  if (bytes == 0) return bytes_ != 0;
  s3::GetObjectRequest req;
  req.bucket = bucket_;
  req.key = key;
  req.range = s3::ByteRange{0, bytes - 1};
  req.if_match = etag;
  auto get = std::make_shared<EarlyGet>(bytes, client_, std::move(req), clock_, &pool_.link());
  {
    std::lock_guard lock(mu_);
    Clock::TimePoint now = clock_.Now();
    PruneLocked(now);
    if (held_.count(key) != 0) return true;
    if (prefetch_bytes_ + bytes > kMaxPrefetchBytes) return false;
    held_.emplace(key, Held{get, now, bytes});
    prefetch_bytes_ += bytes;
    ++prefetched_;
  }
  pool_.Submit([get] { get->Run(); }, priority);
  return true;
}

std::shared_ptr<EarlyGet> EarlyGets::Take(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = held_.find(key);
  if (it == held_.end()) return nullptr;
  Held held = it->second;
  EraseLocked(it, false);
  auto max_age = held.prefetch_bytes == 0 ? kMaxAge : kPrefetchMaxAge;
  if (clock_.Now() - held.sent >= max_age) {
    held.get->Cancel();
    return nullptr;
  }
  return held.get;
}

void EarlyGets::Drop(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = held_.find(key);
  if (it != held_.end()) EraseLocked(it, true);
}

int EarlyGets::started() const {
  std::lock_guard lock(mu_);
  return started_;
}

int EarlyGets::prefetched() const {
  std::lock_guard lock(mu_);
  return prefetched_;
}

}  // namespace thaw::fs
