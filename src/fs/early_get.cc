// Early GETs (early_get.h).
#include "fs/early_get.h"

#include <utility>

#include "fs/prefetch.h"

namespace thaw::fs {

void EarlyGet::Finish(Result<s3::GetObjectResult> result) {
  {
    std::lock_guard lock(mu_);
    result_ = std::move(result);
    done_ = true;
  }
  cv_.notify_all();
}

std::optional<std::string_view> EarlyGet::Bytes(const std::string& etag, uint64_t size) {
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

void EarlyGets::PruneLocked(Clock::TimePoint now) {
  for (auto it = held_.begin(); it != held_.end();) {
    it = now - it->second.sent >= kMaxAge ? held_.erase(it) : std::next(it);
  }
}

void EarlyGets::Start(const std::string& key) {
  if (bytes_ == 0 || key.empty() || key.back() == '/') return;
  auto get = std::make_shared<EarlyGet>(bytes_);
  {
    std::lock_guard lock(mu_);
    Clock::TimePoint now = clock_.Now();
    PruneLocked(now);
    if (held_.size() >= kMaxHeld || held_.count(key) != 0) return;
    held_.emplace(key, Held{get, now});
    ++started_;
  }
  s3::GetObjectRequest req;
  req.bucket = bucket_;
  req.key = key;
  req.range = s3::ByteRange{0, bytes_ - 1};
  // At the head of the pool's queue: a reader may be about to wait for these bytes.
  // The task holds the client (which outlives the mount), not this registry.
  pool_.Submit([&client = client_, get, req] { get->Finish(client.GetObject(req)); }, 0);
}

std::shared_ptr<EarlyGet> EarlyGets::Take(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = held_.find(key);
  if (it == held_.end()) return nullptr;
  Held held = std::move(it->second);
  held_.erase(it);
  if (clock_.Now() - held.sent >= kMaxAge) return nullptr;
  return held.get;
}

void EarlyGets::Drop(const std::string& key) {
  std::lock_guard lock(mu_);
  held_.erase(key);
}

int EarlyGets::started() const {
  std::lock_guard lock(mu_);
  return started_;
}

}  // namespace thaw::fs
