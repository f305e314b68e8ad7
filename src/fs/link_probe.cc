// The mount's probe (link_probe.h).
#include "fs/link_probe.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "common/strings.h"
#include "fs/link_estimate.h"
#include "fs/prefetch.h"

namespace thaw::fs {
namespace {

using Duration = Clock::Duration;

Duration Times(Duration d, double factor) {
  return Duration(
      static_cast<Duration::rep>(std::llround(static_cast<double>(d.count()) * factor)));
}

ProbeVerdict Decided(std::optional<uint64_t> least = std::nullopt, bool one_at_a_time = false) {
  ProbeVerdict v;
  v.decided = true;
  v.least_part = least;
  v.one_at_a_time = one_at_a_time && least.has_value();
  return v;
}

ProbeVerdict DueBy(std::optional<Clock::TimePoint> when) {
  ProbeVerdict v;
  v.decide_by = when;
  return v;
}

}  // namespace

ProbeVerdict JudgeProbe(const ProbeGet& a, const ProbeGet& b, Clock::TimePoint now) {
  // f: the GET whose first byte came first; s: the other one.
  const ProbeGet* f = nullptr;
  const ProbeGet* s = nullptr;
  if (a.first_byte && (!b.first_byte || *a.first_byte <= *b.first_byte)) {
    f = &a;
    s = &b;
  } else if (b.first_byte) {
    f = &b;
    s = &a;
  }
  if (f == nullptr) return a.ended && b.ended ? Decided() : DueBy(std::nullopt);
  if (!f->sent || *f->first_byte <= *f->sent) return Decided();  // no time to judge by
  const Duration wait = *f->first_byte - *f->sent;
  // Costly only when the body came within this: LeastPartFor is then above the GET's size.
  const Clock::TimePoint costly_by = *f->first_byte + Times(wait, LinkEstimate::kLeastPartShare);
  if (!f->last_byte) {
    if (f->ended || now >= costly_by) return Decided();
    return DueBy(costly_by);
  }
  if (*f->last_byte > costly_by || f->bytes < LinkEstimate::kRateMinBytes) return Decided();
  const uint64_t least = LeastPartFor(f->bytes, wait, *f->last_byte - *f->first_byte);
  if (!s->sent) return s->ended ? Decided(least) : DueBy(std::nullopt);
  const Clock::TimePoint after = std::max(*f->last_byte, *s->sent + Times(wait, kOneAtATime));
  bool one_at_a_time;
  if (s->first_byte) {
    one_at_a_time = *s->first_byte >= after;
  } else if (s->ended) {
    one_at_a_time = false;  // failed before its first byte: cannot tell
  } else if (now >= after) {
    one_at_a_time = true;
  } else {
    return DueBy(after);
  }
  if (!one_at_a_time) return Decided(least);
  const double scale = 1.0 / (LinkEstimate::kLeastPartShare * LinkEstimate::kLeastPartShare);
  double one = static_cast<double>(least) * scale;
  return Decided(one < 1e18 ? static_cast<uint64_t>(one) : UINT64_MAX, /*one_at_a_time=*/true);
}

ProbeVerdict JudgeAlone(const ProbeGet& a, Clock::TimePoint now) {
  ProbeGet none;
  none.ended = true;
  ProbeVerdict v = JudgeProbe(a, none, now);
  if (v.decided && v.least_part) v.least_part = LeastPartOfOneGet(*v.least_part);
  return v;
}

LinkProbe::LinkProbe(s3::S3Client& client, FetchPool& pool, std::string bucket,
                     Clock::Duration quiet)
    : client_(client),
      pool_(pool),
      clock_(pool.clock()),
      bucket_(std::move(bucket)),
      quiet_(quiet) {}

std::optional<ProbeTarget> LinkProbe::Pick(const s3::ListObjectsPage& page) {
  std::optional<ProbeTarget> best;
  for (const s3::ObjectSummary& o : page.objects) {
    if (o.size < LinkEstimate::kRateMinBytes || o.etag.empty()) continue;
    if (best && o.size <= best->size) continue;
    bool restored = o.restore && o.restore->state == s3::RestoreStatus::State::kRestored;
    if (s3::IsArchived(o.storage_class) && !restored) continue;
    if (EqualsIgnoreCase(o.storage_class, s3::kIntelligentTiering)) continue;
    best = ProbeTarget{o.key, o.etag, o.size};
  }
  return best;
}

void LinkProbe::OnListing(const s3::ListObjectsPage& page) {
  Change([&] {
    if (listed_) return;
    listed_ = true;
    target_ = Pick(page);
  });
}

void LinkProbe::OnWarm() {
  Change([&] {
    if (!warm_) warm_ = clock_.Now();
  });
}

void LinkProbe::Close() {
  Change([&] { closed_ = true; });
}

// The read's GET as the probe's first.
class LinkProbe::StandIn : public LinkEstimate::FirstGet {
 public:
  explicit StandIn(std::shared_ptr<LinkProbe> probe) : probe_(std::move(probe)) {}
  // A GET dropped before it went out gives its place back.
  ~StandIn() override {
    if (!ended_) Ended(0);
  }
  void Sent() override {
    probe_->Change([&] {
      if (probe_->stand_in_ != this || probe_->closed_ || probe_->sent_) return;
      probe_->sent_ = probe_->gets_[0].sent = probe_->clock_.Now();
      probe_->gets_[1].ended = true;  // never sent
    });
  }
  void FirstByte() override {
    probe_->Change([&] {
      ProbeGet& g = probe_->gets_[0];
      if (probe_->stand_in_ == this && g.sent && !g.first_byte) {
        g.first_byte = probe_->clock_.Now();
      }
    });
  }
  void Ended(uint64_t bytes) override {
    ended_ = true;
    probe_->Change([&] {
      if (probe_->stand_in_ != this) return;
      ProbeGet& g = probe_->gets_[0];
      if (bytes < LinkEstimate::kRateMinBytes || !g.sent || !g.first_byte) {
        // Not a MiB timed (its bytes came from elsewhere, it failed, or the file is shorter):
        // the probe's own GETs after all.
        if (!probe_->verdict_) {
          probe_->stand_in_ = nullptr;
          probe_->adopted_.reset();
          probe_->sent_.reset();
          probe_->gets_[0] = probe_->gets_[1] = ProbeGet{};
        }
        return;
      }
      g.ended = true;
      g.last_byte = probe_->clock_.Now();
      g.bytes = bytes;
    });
  }

 private:
  const std::shared_ptr<LinkProbe> probe_;
  bool ended_ = false;  // Ended was called (by the one thread that runs the GET)
};

std::shared_ptr<LinkEstimate::FirstGet> LinkProbe::TakeFirstGet() {
  std::shared_ptr<StandIn> got;
  Change([&] {
    if (closed_ || sent_ || adopted_ || verdict_) return;
    adopted_ = clock_.Now();
    got = std::make_shared<StandIn>(shared_from_this());
    stand_in_ = got.get();
  });
  return got;
}

void LinkProbe::Change(const std::function<void()>& change) {
  {
    std::lock_guard lock(mu_);
    change();
    SendIfReadyLocked();
    ++events_;
  }
  changed_.notify_all();
}

bool LinkProbe::ReadyLocked() const {
  return !closed_ && listed_ && warm_ && target_ && !sent_ && !adopted_ && !verdict_;
}

void LinkProbe::SendIfReadyLocked(bool at_once) {
  if (!ReadyLocked()) return;
  // A read that comes within the quiet time takes the probe's place (TakeFirstGet): against a
  // server that serves GETs one at a time, the probe's GETs would be ahead of it.
  if (!at_once && clock_.Now() < *warm_ + quiet_) {
    if (!timer_) {
      timer_ = true;
      pool_.Submit([self = shared_from_this()] { self->SendAfterQuiet(); });
    }
    return;
  }
  sent_ = clock_.Now();
  spdlog::debug("mount: link probe: two GETs of the first MiB of {}", target_->key);
  auto self = shared_from_this();
  for (int i = 0; i < 2; ++i) pool_.Submit([self, i, what = *target_] { self->RunGet(i, what); });
}

void LinkProbe::SendAfterQuiet() {
  {
    std::unique_lock lock(mu_);
    clock_.WaitUntil(lock, changed_, *warm_ + quiet_, [&] { return !ReadyLocked(); });
    timer_ = false;
    SendIfReadyLocked(/*at_once=*/true);
    ++events_;
  }
  changed_.notify_all();
}

void LinkProbe::RunGet(int i, const ProbeTarget& what) {
  s3::GetObjectRequest req;
  req.bucket = bucket_;
  req.key = what.key;
  req.if_match = what.etag;
  req.range = s3::ByteRange{0, LinkEstimate::kRateMinBytes - 1};
  uint64_t bytes = 0;
  req.sink = [&](std::string_view chunk) {
    if (bytes == 0 && !chunk.empty()) {
      {
        std::lock_guard lock(mu_);
        gets_[i].first_byte = clock_.Now();
        ++events_;
      }
      changed_.notify_all();
    }
    bytes += chunk.size();
    return Status::Ok();
  };
  {
    std::lock_guard lock(mu_);
    gets_[i].sent = clock_.Now();
  }
  auto got = client_.GetObject(req);
  std::optional<std::pair<Duration, Duration>> timed;
  {
    std::lock_guard lock(mu_);
    ProbeGet& g = gets_[i];
    g.ended = true;
    if (got.ok() && g.first_byte) {
      g.last_byte = clock_.Now();
      g.bytes = bytes;
      timed = std::pair{*g.first_byte - *g.sent, *g.last_byte - *g.first_byte};
    } else if (!got.ok()) {
      spdlog::debug("mount: link probe: {}", got.status().ToString());
    }
    ++events_;
  }
  changed_.notify_all();
  if (timed) pool_.link().OnGet(bytes, timed->first, timed->second);
}

bool LinkProbe::MayComeLocked(Clock::TimePoint now) const {
  if (closed_) return false;
  if (sent_) return true;
  // A read's GET that has not come in time says nothing to the reads after it.
  if (adopted_) return now < *adopted_ + kMaxWait;
  return !listed_ || target_.has_value();  // the root's first page, or the warm-up, to come
}

void LinkProbe::DecideLocked(const ProbeVerdict& v, const ProbeGet& a, const ProbeGet& b,
                             const char* what) {
  verdict_ = v;
  auto ms = [](std::optional<Clock::TimePoint> t, std::optional<Clock::TimePoint> from) {
    return t && from ? ToSeconds(*t - *from) * 1e3 : -1.0;
  };
  spdlog::debug(
      "mount: link probe ({}): first bytes after {:.1f} and {:.1f} ms, bodies of {} and {} "
      "bytes in {:.2f} and {:.2f} ms more: {}",
      what, ms(a.first_byte, a.sent), ms(b.first_byte, b.sent), a.bytes, b.bytes,
      ms(a.last_byte, a.first_byte), ms(b.last_byte, b.first_byte),
      !v.least_part ? std::string("GETs cost what their bytes do")
                    : fmt::format("parts of at least {} KiB{}", *v.least_part >> 10,
                                  v.one_at_a_time ? " (GETs served one at a time)" : ""));
}

std::optional<uint64_t> LinkProbe::LeastPartBytes(bool wait) {
  std::unique_lock lock(mu_);
  const Clock::TimePoint give_up = clock_.Now() + kMaxWait;
  while (!verdict_) {
    Clock::TimePoint now = clock_.Now();
    if (!MayComeLocked(now)) return std::nullopt;
    if (wait && ReadyLocked()) {
      SendIfReadyLocked(/*at_once=*/true);  // a read wants the verdict: no more quiet
      changed_.notify_all();
    }
    std::optional<Clock::TimePoint> due;
    if (sent_) {
      ProbeVerdict v = adopted_ ? JudgeAlone(gets_[0], now) : JudgeProbe(gets_[0], gets_[1], now);
      if (v.decided) {
        DecideLocked(v, gets_[0], gets_[1], adopted_ ? "a file's first GET" : "its two GETs");
        break;
      }
      due = v.decide_by;
    } else if (adopted_) {
      due = *adopted_ + kMaxWait;
    }
    if (!wait || now >= give_up) return std::nullopt;  // judged again by a later read
    uint64_t seen = events_;
    clock_.WaitUntil(lock, changed_, std::min(due.value_or(give_up), give_up),
                     [&] { return events_ != seen; });
  }
  return verdict_->least_part;
}

bool LinkProbe::one_at_a_time() {
  std::lock_guard lock(mu_);
  return verdict_ && verdict_->one_at_a_time;
}

}  // namespace thaw::fs
