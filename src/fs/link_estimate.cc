// Endpoint estimates from the mount's GETs and read-ahead sized from them (see link_estimate.h).
#include "fs/link_estimate.h"

#include <algorithm>
#include <cmath>
#include <vector>

namespace thaw::fs {

void LinkEstimate::OnGet(uint64_t bytes, Duration ttfb, Duration body) {
  if (ttfb.count() < 0 || body.count() < 0 || ttfb + body <= Duration::zero()) return;
  std::lock_guard lock(mu_);
  samples_.push_back(Sample{bytes, ttfb, body});
  if (samples_.size() > kSamples) samples_.pop_front();
}

std::optional<LinkEstimate::Duration> LinkEstimate::GetTime(uint64_t bytes) const {
  std::lock_guard lock(mu_);
  if (samples_.size() < kMinSamples) return std::nullopt;
  Duration ttfb = Duration::max();
  for (const auto& s : samples_) ttfb = std::min(ttfb, s.ttfb);
  std::vector<double> rates;  // bytes per nanosecond
  for (const auto& s : samples_) {
    auto ns = (s.ttfb + s.body - ttfb).count();
    if (s.bytes >= kRateMinBytes && ns > 0) {
      rates.push_back(static_cast<double>(s.bytes) / static_cast<double>(ns));
    }
  }
  if (rates.empty()) return std::nullopt;
  auto at = rates.begin() +
            static_cast<std::ptrdiff_t>(kFastShare * static_cast<double>(rates.size() - 1));
  std::nth_element(rates.begin(), at, rates.end());
  double rate = *at;
  return ttfb + Duration(static_cast<int64_t>(std::ceil(static_cast<double>(bytes) / rate)));
}

std::optional<uint64_t> LinkEstimate::LeastPartBytes(bool wait_for_prior) const {
  std::shared_ptr<Prior> prior;
  {
    std::lock_guard lock(mu_);
    if (auto least = LeastPartFromSamplesLocked()) return least;
    prior = prior_;
  }
  return prior ? prior->LeastPartBytes(wait_for_prior) : std::nullopt;
}

void LinkEstimate::SetPrior(std::shared_ptr<Prior> prior) {
  std::lock_guard lock(mu_);
  prior_ = std::move(prior);
}

std::shared_ptr<LinkEstimate::FirstGet> LinkEstimate::TakeFirstGet() {
  std::shared_ptr<Prior> prior;
  {
    std::lock_guard lock(mu_);
    if (LeastPartFromSamplesLocked()) return nullptr;
    prior = prior_;
  }
  return prior ? prior->TakeFirstGet() : nullptr;
}

std::optional<uint64_t> LinkEstimate::LeastPartFromSamplesLocked() const {
  if (samples_.size() < kMinSamples) return std::nullopt;
  std::vector<uint64_t> least;
  for (const auto& s : samples_) {
    if (s.bytes >= kRateMinBytes) least.push_back(LeastPartFor(s.bytes, s.ttfb, s.body));
  }
  if (least.size() < kMinSamples / 2) return std::nullopt;
  auto mid = least.begin() + static_cast<std::ptrdiff_t>(least.size() / 2);
  std::nth_element(least.begin(), mid, least.end());
  return *mid;
}

uint64_t LeastPartFor(uint64_t bytes, LinkEstimate::Duration ttfb, LinkEstimate::Duration body) {
  double body_ns = std::max(static_cast<double>(body.count()), 1e3);
  double least = static_cast<double>(bytes) *
                 static_cast<double>(std::max<int64_t>(0, ttfb.count())) / body_ns *
                 LinkEstimate::kLeastPartShare;
  return least < 1e18 ? static_cast<uint64_t>(least) : UINT64_MAX;
}

uint64_t LeastPartOfOneGet(uint64_t least_part_for) {
  double between = static_cast<double>(least_part_for) / LinkEstimate::kLeastPartShare;
  return between < 1e18 ? static_cast<uint64_t>(between) : UINT64_MAX;
}

void ReadRate::Restart() {
  last_ = clock_.Now();
  active_ = Clock::Duration::zero();
  bytes_ = 0;
  marks_.assign(1, Mark{active_, 0});
}

void ReadRate::OnConsumed(uint64_t bytes) {
  auto now = clock_.Now();
  if (now > last_) active_ += std::min<Clock::Duration>(now - last_, kMaxGap);
  last_ = std::max(last_, now);
  bytes_ = std::max(bytes_, bytes);
  marks_.push_back(Mark{active_, bytes_});
  while (marks_.size() > 2 && active_ - marks_[1].at >= kSpan) marks_.pop_front();
}

std::optional<double> ReadRate::BytesPerSecond() const {
  if (active_ < kMinSpan || marks_.empty()) return std::nullopt;
  const Mark& from = marks_.front();
  auto span = active_ - from.at;
  if (span <= Clock::Duration::zero()) return std::nullopt;
  return static_cast<double>(bytes_ - from.bytes) / ToSeconds(span);
}

uint64_t ReadAheadFor(double bytes_per_second, LinkEstimate::Duration get_time,
                      uint64_t part_bytes) {
  double seconds = ToSeconds(get_time);
  double ahead = kReadAheadGain * bytes_per_second * seconds;
  if (!(ahead < 1e18)) return UINT64_MAX;  // also NaN
  return static_cast<uint64_t>(ahead) + part_bytes;
}

}  // namespace thaw::fs
